/** How a worker names itself in results (`worker`, STARTED's `hostname`) and in claims. */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';

/** A worker's names. */
export interface WorkerIdentity {
  /** Celery-style node name, `celeriac@<host>`. */
  readonly hostname: string;
  /** Unique per worker process (or Lambda execution environment), used in claim owners. */
  readonly workerId: string;
  readonly pid: number;
}

/** The identity of this process. */
export function workerIdentity(name = 'celeriac'): WorkerIdentity {
  return {
    hostname: `${name}@${hostname()}`,
    workerId: `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`,
    pid: process.pid,
  };
}
