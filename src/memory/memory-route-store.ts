/** {@link RouteStore} in memory, for unit tests and local tools. */
import type { RouteStore, ShadowQuery, ShadowRecord } from '../ports/route-store.js';

/** The routes record and shadow results in maps. */
export class MemoryRouteStore implements RouteStore {
  #routes: string | undefined;
  readonly #shadows = new Map<string, ShadowRecord>();
  /** How many times the routes record was read. */
  reads = 0;

  async readRoutes(): Promise<string | undefined> {
    this.reads += 1;
    return this.#routes;
  }

  async writeRoutes(text: string): Promise<void> {
    this.#routes = text;
  }

  async putShadow(record: ShadowRecord): Promise<boolean> {
    if (this.#shadows.has(record.taskId)) return false;
    this.#shadows.set(record.taskId, record);
    return true;
  }

  async getShadow(taskId: string): Promise<ShadowRecord | undefined> {
    return this.#shadows.get(taskId);
  }

  async listShadows(query: ShadowQuery = {}): Promise<ShadowRecord[]> {
    const all = [...this.#shadows.values()]
      .filter((record) => query.taskName === undefined || record.taskName === query.taskName)
      .sort((a, b) => b.storedAtMs - a.storedAtMs);
    return query.limit === undefined ? all : all.slice(0, query.limit);
  }
}
