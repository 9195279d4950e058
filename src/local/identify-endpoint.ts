/** Tells whether what answers on an endpoint is MiniStack, something else, or nothing. */

/** The health path only MiniStack answers (LocalStack answers `/_localstack/health`, which MiniStack also does). */
export const MINISTACK_HEALTH_PATH = '/_ministack/health';

/** What answers on an endpoint. */
export type EndpointOwner =
  | { readonly kind: 'ministack'; readonly version: string }
  | { readonly kind: 'other'; readonly description: string }
  | { readonly kind: 'nothing' };

/**
 * Finds out what answers on `endpoint`: MiniStack (its health document lists its services and version),
 * something else, or nothing at all.
 *
 * @example
 * if ((await identifyEndpoint('http://127.0.0.1:4566')).kind === 'other') console.error('port 4566 is taken');
 */
export async function identifyEndpoint(endpoint: string, timeoutMs = 5000): Promise<EndpointOwner> {
  let response: Response;
  try {
    response = await fetch(`${endpoint}${MINISTACK_HEALTH_PATH}`, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED') return { kind: 'nothing' };
    const why =
      error instanceof Error && error.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms`
        : (code ?? (error instanceof Error ? error.message : String(error)));
    return { kind: 'other', description: `something that does not answer HTTP (${why})` };
  }
  const server = response.headers.get('server');
  const text = await response.text();
  if (response.ok) {
    try {
      const health = JSON.parse(text) as { services?: unknown; version?: unknown };
      if (typeof health.services === 'object' && health.services !== null && 'sqs' in health.services) {
        return {
          kind: 'ministack',
          version: typeof health.version === 'string' ? health.version : 'unknown',
        };
      }
    } catch {
      // Not JSON: not MiniStack.
    }
  }
  return {
    kind: 'other',
    description: `an HTTP server that is not MiniStack (${MINISTACK_HEALTH_PATH} answered ${response.status}${server ? `, server ${server}` : ''})`,
  };
}
