/**
 * The routes in force in one process (a `celeriac worker`, a Lambda execution environment): the routes record,
 * re-read every `refreshMs` (10 s by default), over the routes in code. Until the record was read once, no
 * message is routed: a failed first read throws (the message is tried again later), so no task runs on a side the
 * record may not allow. Later, a record that cannot be read keeps the routes last read; one that cannot be parsed
 * falls back to the routes in code; each problem is logged once.
 */
import type { RouteStore } from '../ports/route-store.js';
import type { ResolvedMigrationConfig } from './migration-config.js';
import { EMPTY_ROUTES, parseRoutesRecord, type Route, type RoutesRecord } from './routes-record.js';

/** What {@link MigrationRoutes} needs. */
export interface MigrationRoutesOptions {
  readonly now: () => number;
  readonly log: (line: string) => void;
}

/** The migration state of one process: its routes and the store of routes and shadow results. */
export class MigrationRoutes {
  readonly store: RouteStore;
  readonly settings: ResolvedMigrationConfig;
  readonly #options: MigrationRoutesOptions;
  #record: RoutesRecord = EMPTY_ROUTES;
  #readAtMs = Number.NEGATIVE_INFINITY;
  #reading: Promise<void> | undefined;
  #readOnce = false;
  /** The last problem logged about the record, so each is logged once. */
  #problem: string | undefined;

  constructor(store: RouteStore, settings: ResolvedMigrationConfig, options: MigrationRoutesOptions) {
    this.store = store;
    this.settings = settings;
    this.#options = options;
  }

  /**
   * The route of a task name: the record's, else the code's; undefined when it runs wherever it is received.
   *
   * @throws the store's error when the record was never read and cannot be read now.
   */
  async routeOf(name: string): Promise<Route | undefined> {
    if (this.#options.now() - this.#readAtMs >= this.settings.refreshMs) {
      this.#reading ??= this.#read().finally(() => {
        this.#reading = undefined;
      });
    }
    // Every message waits for a read in progress: the first one above all, before which no route is known.
    if (this.#reading) await this.#reading;
    return this.#record.tasks[name] ?? this.settings.routes[name];
  }

  async #read(): Promise<void> {
    this.#readAtMs = this.#options.now();
    let text: string | undefined;
    try {
      text = await this.store.readRoutes();
    } catch (error) {
      if (!this.#readOnce) {
        this.#readAtMs = Number.NEGATIVE_INFINITY;
        throw error;
      }
      this.#report(
        `cannot read the routes record (${(error as Error).message}); keeping the routes in force`,
      );
      return;
    }
    this.#readOnce = true;
    if (text === undefined) {
      this.#record = EMPTY_ROUTES;
      this.#problem = undefined;
      return;
    }
    try {
      this.#record = parseRoutesRecord(text);
      this.#problem = undefined;
    } catch (error) {
      this.#record = EMPTY_ROUTES;
      this.#report(`ignoring the routes record, ${(error as Error).message}; using the routes in code`);
    }
  }

  #report(problem: string): void {
    if (problem === this.#problem) return;
    this.#problem = problem;
    this.#options.log(problem);
  }
}
