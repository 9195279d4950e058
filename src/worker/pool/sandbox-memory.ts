/** What `maxMemoryPerChildKiB` measures in a sandbox. */
import { isMainThread } from 'node:worker_threads';

/**
 * The sandbox's memory, KiB: a child process's resident set size (as Celery measures it); for a worker thread,
 * which has no resident set of its own, its V8 heap plus the memory its buffers hold outside the heap.
 */
export function sandboxMemoryKiB(): number {
  if (isMainThread) return Math.round(process.memoryUsage.rss() / 1024);
  const usage = process.memoryUsage();
  return Math.round((usage.heapUsed + usage.external) / 1024);
}
