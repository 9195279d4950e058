/** A route of the dashboard's JSON API: a method, a path pattern, and a handler returning the JSON to send. */
import type { DashboardContext } from './dashboard-context.js';

/** What a handler gets. */
export interface RouteRequest {
  readonly ctx: DashboardContext;
  /** The path's captured parts, URI-decoded. */
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  /** The parsed JSON body of a POST (`{}` when empty). */
  readonly body: Readonly<Record<string, unknown>>;
}

/** One route. */
export interface Route {
  readonly method: 'GET' | 'POST';
  readonly pattern: RegExp;
  readonly handle: (request: RouteRequest) => Promise<unknown>;
}

/** A path segment: anything but a slash. */
export const SEGMENT = '([^/]+)';
