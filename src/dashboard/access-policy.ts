/**
 * Who may talk to the dashboard. On a loopback address with no token, anyone on this machine, as with
 * `celery flower`; the `Host` header must then name the loopback address, so a web page elsewhere cannot reach
 * the dashboard through a DNS name rebound to 127.0.0.1. With a token (required for any other address) every
 * request carries it: an `Authorization: Bearer <token>` or `X-Celeriac-Token` header, or the session cookie
 * that opening the dashboard once with `?token=<token>` sets. The cookie holds a random session id of this
 * server's, never the token (a browser sends a host's cookies to each of its ports), under a name with the port
 * in it, so two dashboards on one host keep theirs apart. An API request a browser marks as sent from another
 * page (`Sec-Fetch-Site` other than `same-origin` or `none`) is refused, so a page elsewhere cannot make the
 * browser call the API blind, not even a GET: looking at dead letters receives them. Every write is a POST with
 * a JSON body whose `Origin`, when sent, is the dashboard's own.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** The name of the session cookie of the dashboard on `port`. */
export function sessionCookieName(port: number): string {
  return `celeriac_session_${port}`;
}

/** A new session id: what the cookie holds instead of the token. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

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

/** The value of cookie `name` in a `Cookie` header (session ids are base64url: nothing to decode). */
function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** The pages a browser may load from a link elsewhere: the API answers only the dashboard's own page. */
const CROSS_SITE_OK = new Set(['same-origin', 'none']);

/** Decides on one request. `port` is the port the server listens on; `session` the cookie's value. */
export function checkAccess(
  request: IncomingMessage,
  url: URL,
  policy: {
    readonly host: string;
    readonly port: number;
    readonly token: string | undefined;
    readonly session: string;
  },
): AccessDecision {
  const hostHeader = request.headers.host ?? '';
  const site = request.headers['sec-fetch-site'];
  if (url.pathname.startsWith('/api/') && typeof site === 'string' && !CROSS_SITE_OK.has(site)) {
    return {
      allow: false,
      status: 403,
      message: `The API answers only the dashboard's own page (Sec-Fetch-Site ${site})`,
    };
  }
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
        cookie: `${sessionCookieName(policy.port)}=${policy.session}; HttpOnly; SameSite=Strict; Path=/`,
      };
    }
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1];
    const header = request.headers['x-celeriac-token'];
    const given = bearer ?? (typeof header === 'string' ? header : undefined);
    const session = cookieValue(request.headers.cookie, sessionCookieName(policy.port));
    if (given === undefined ? !sameToken(session, policy.session) : !sameToken(given, policy.token)) {
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
