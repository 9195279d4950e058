/**
 * The dashboard's HTTP server, on `node:http`: the front end's three files and the JSON API under `/api/`.
 * Every request passes the access policy first (`access-policy.ts`). GETs change nothing stored (looking at
 * dead letters receives them, so the API answers only the dashboard's own page); every write is a POST the
 * page sends after a click (and, for a purge, a typed confirmation). No framework: the API is a dozen routes
 * matched by regular expressions, and `node:http` keeps the package's dependencies where they are.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkAccess, isLoopback, newSessionId } from './access-policy.js';
import { DashboardRequestError, toApiError } from './api-errors.js';
import { type DashboardAssets, loadDashboardAssets } from './assets.js';
import type { DashboardContext } from './dashboard-context.js';
import { INFO_ROUTES } from './info-routes.js';
import { QUEUE_ROUTES } from './queue-routes.js';
import type { Route } from './route.js';
import { TASK_ROUTES } from './task-routes.js';

/** Options of {@link startDashboardServer}. */
export interface DashboardServerOptions {
  /** Default 127.0.0.1. Any other address needs a `token`. */
  readonly host?: string;
  /** Default 5555 (Flower's); 0 picks a free port. */
  readonly port?: number;
  /** Required unless the host is loopback; then every request must carry it. */
  readonly token?: string;
  /** Where the built front end is (default: beside the package's dist/). */
  readonly assetsDir?: string;
}

/** A running dashboard. */
export interface DashboardServer {
  /** `http://host:port/`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const ROUTES: readonly Route[] = [...QUEUE_ROUTES, ...TASK_ROUTES, ...INFO_ROUTES];
const MAX_BODY_BYTES = 64 * 1024;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type });
  response.end(body);
}

const sendJson = (response: ServerResponse, status: number, value: unknown) =>
  send(response, status, 'application/json; charset=utf-8', JSON.stringify(value));

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new DashboardRequestError(413, 'bad-request', 'The request body is over 64 KiB');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new DashboardRequestError(400, 'bad-request', 'The request body is not JSON', { cause: error });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new DashboardRequestError(400, 'bad-request', 'The request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** A path segment, percent-decoded; a malformed escape is the client's error. */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new DashboardRequestError(
      400,
      'bad-request',
      `The path has a malformed percent escape: ${part.slice(0, 80)}`,
    );
  }
}

async function handle(
  ctx: DashboardContext,
  assets: DashboardAssets,
  policy: { host: string; port: number; token: string | undefined; session: string },
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://dashboard.invalid');
  const decision = checkAccess(request, url, policy);
  if ('redirect' in decision) {
    response.writeHead(302, {
      ...SECURITY_HEADERS,
      location: decision.redirect,
      'set-cookie': decision.cookie,
    });
    response.end();
    return;
  }
  if (!decision.allow) {
    sendJson(response, decision.status, { error: { kind: 'forbidden', message: decision.message } });
    return;
  }
  const asset = request.method === 'GET' ? assets.get(url.pathname) : undefined;
  if (asset) {
    send(response, 200, asset.type, asset.body);
    return;
  }
  for (const route of ROUTES) {
    const match = route.pattern.exec(url.pathname);
    if (!match || route.method !== request.method) continue;
    try {
      const params = match.slice(1).map(decodePathPart);
      const body = route.method === 'POST' ? await readBody(request) : {};
      sendJson(response, 200, await route.handle({ ctx, params, query: url.searchParams, body }));
    } catch (error) {
      const { status, body } = toApiError(error);
      sendJson(response, status, { error: body });
    }
    return;
  }
  sendJson(response, 404, {
    error: { kind: 'not-found', message: `No ${request.method} ${url.pathname} here` },
  });
}

/**
 * Starts the dashboard on `host:port` for the context's app.
 *
 * @throws {DashboardRequestError} for a non-loopback host without a token.
 * @example
 * const server = await startDashboardServer(createDashboardContext(app), { port: 5555 });
 * console.log(`dashboard at ${server.url}`);
 */
export async function startDashboardServer(
  ctx: DashboardContext,
  options: DashboardServerOptions = {},
): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host) && (options.token === undefined || options.token.length < 16)) {
    throw new DashboardRequestError(
      400,
      'token-required',
      `Serving the dashboard on ${host} exposes it beyond this machine: give --token with at least 16 characters ` +
        '(every request must then carry it), or keep the default host 127.0.0.1',
    );
  }
  const assets = await loadDashboardAssets(options.assetsDir);
  const policy = { host, port: 0, token: options.token, session: newSessionId() };
  const server: Server = createServer((request, response) => {
    handle(ctx, assets, policy, request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: toApiError(error).body });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 5555, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  policy.port = port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
