import { randomUUID } from 'node:crypto';

/** A resource name no other test file uses, e.g. `celeriac-results-1f3a9c2b`. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}
