/**
 * Who may talk to the dashboard. On a loopback address with no token, anyone on this machine, as with
 * `celery flower`; the `Host` header must then name the loopback address, so a web page elsewhere cannot reach
 * the dashboard through a DNS name rebound to 127.0.0.1. With a token (required for any other address) every
 * request carries it: an `Authorization: Bearer <token>` or `X-Celeriac-Token` header, or the `celeriac_token`
 * cookie, which opening the dashboard once with `?token=<token>` sets. Every write is a POST with a JSON body
 * whose `Origin`, when sent, is the dashboard's own, so another site's page cannot submit one.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The cookie that carries the token. */
export const TOKEN_COOKIE = 'celeriac_token';

/** Whether an address is loopback (127.0.0.0/8, ::1, localhost). */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost' || bare === '::1') return true;
  return isIP(bare) === 4 && bare.startsWith('127.');
}

/** What a request is refused with, or a redirect that sets the cookie. */
export type AccessDecision =
  | { readonly allow: true }
  | { readonly allow: false; readonly status: number; readonly message: string }
  | { readonly redirect: string; readonly cookie: string };

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(header: string | undefined): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === TOKEN_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** Decides on one request. `port` is the port the server listens on. */
export function checkAccess(
  request: IncomingMessage,
  url: URL,
  policy: { readonly host: string; readonly port: number; readonly token: string | undefined },
): AccessDecision {
  const hostHeader = request.headers.host ?? '';
  if (policy.token === undefined) {
    const name = hostHeader.replace(/:\d+$/, '');
    if (!isLoopback(name) || hostHeader !== `${name}:${policy.port}`) {
      return {
        allow: false,
        status: 421,
        message: `This dashboard answers only on its loopback address (Host ${hostHeader || '(none)'} refused)`,
      };
    }
  } else {
    const fromQuery = url.searchParams.get('token');
    if (request.method === 'GET' && fromQuery !== null && sameToken(fromQuery, policy.token)) {
      url.searchParams.delete('token');
      return {
        redirect: `${url.pathname}${url.search}`,
        cookie: `${TOKEN_COOKIE}=${encodeURIComponent(policy.token)}; HttpOnly; SameSite=Strict; Path=/`,
      };
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const header = request.headers['x-celeriac-token'];
    const given =
      bearer ?? (typeof header === 'string' ? header : undefined) ?? cookieToken(request.headers.cookie);
    if (!sameToken(given, policy.token)) {
      return {
        allow: false,
        status: 401,
        message:
          'This dashboard needs its token: open it with ?token=<token>, or send Authorization: Bearer <token>',
      };
    }
  }
  if (request.method === 'POST') {
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== `http://${hostHeader}`) {
      return {
        allow: false,
        status: 403,
        message: `Writes come only from the dashboard's own page (Origin ${origin})`,
      };
    }
    if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
      return {
        allow: false,
        status: 415,
        message: 'Writes are POSTs with a JSON body (Content-Type: application/json)',
      };
    }
  }
  return { allow: true };
}
