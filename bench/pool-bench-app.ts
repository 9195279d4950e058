/** The app `bench/pool-overhead.ts` runs in each pool: a trivial task and a CPU-bound one. In memory. */
import { createHash } from 'node:crypto';
import { createApp } from '../src/index.js';
import { createMemoryTransport } from '../src/memory/index.js';

export const transport = createMemoryTransport();
transport.broker.createQueue('celery');
export const app = createApp({ transport, env: {} });

/** `rounds` SHA-256 hashes, each of the previous digest: fixed work, whatever the machine's load. */
export function hashRounds(rounds: number): string {
  let digest = Buffer.alloc(32);
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).update('celeriac').digest();
  return digest.toString('hex');
}

app.task('bench.noop', (n: number) => n);
app.task('bench.hash', (rounds: number) => hashRounds(rounds));
