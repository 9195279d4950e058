/** Changing a received message's visibility, for either host, logging (never throwing) when SQS refuses. */
import type { Broker } from '../ports/broker.js';
import { describeError } from './execution-context.js';

/** Which message, and what the change is for (for the log line). */
export interface VisibilityChange {
  readonly queueUrl: string;
  readonly receiptHandle: string;
  readonly messageId: string;
  readonly seconds: number;
  /** What the change does, e.g. `extend the visibility of`, `return`, `delay`. */
  readonly what: string;
}

/** Sets how long a message stays invisible from now; false (and logged) when it could not be set. */
export async function setVisibility(
  broker: Broker,
  change: VisibilityChange,
  log: (line: string) => void,
): Promise<boolean> {
  try {
    const [failed] = await broker.changeVisibility(change.queueUrl, [
      { receiptHandle: change.receiptHandle, visibilityTimeoutSeconds: change.seconds },
    ]);
    if (!failed) return true;
    log(`could not ${change.what} message ${change.messageId}: ${failed.code} ${failed.message}`);
  } catch (error) {
    log(`could not ${change.what} message ${change.messageId}: ${describeError(error)}`);
  }
  return false;
}
