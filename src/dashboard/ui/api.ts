/// <reference lib="dom" />
/** The front end's calls to the dashboard's JSON API. A failure carries the API's error body. */

/** The API's error body (src/dashboard/api-errors.ts). */
export interface ApiErrorBody {
  readonly kind: string;
  readonly message: string;
  readonly queue?: string;
  readonly action?: string;
  readonly resource?: string;
}

/** A request the API answered with an error. */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  readonly status: number;
  readonly body: ApiErrorBody;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.status = status;
    this.body = body;
  }
}

async function call<T>(path: string, init?: RequestInit): Promise<T> {
  const response = await fetch(path, { credentials: 'same-origin', ...init });
  const value = (await response.json()) as { error?: ApiErrorBody };
  if (!response.ok) {
    throw new ApiFailure(response.status, value.error ?? { kind: 'error', message: response.statusText });
  }
  return value as T;
}

/** GET a JSON value. */
export const getJson = <T>(path: string): Promise<T> => call<T>(path);

/** POST a JSON body (a user's action). */
export const postJson = <T>(path: string, body: unknown = {}): Promise<T> =>
  call<T>(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** A path segment, encoded. */
export const seg = (value: string): string => encodeURIComponent(value);
