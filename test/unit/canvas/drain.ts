/**
 * Runs every message on a memory app's default queue, and what they send, until none is visible, deleting each
 * finished one as the hosts do.
 */
import { executeMessage } from '../../../src/worker/execute-message.js';
import type { MemoryAppFixture } from '../../helpers/memory-app.js';

/** Executes messages until none is left; returns how many ran. */
export async function drain(fx: MemoryAppFixture, maxRounds = 50): Promise<number> {
  let ran = 0;
  for (let round = 0; round < maxRounds; round += 1) {
    const batch = await fx.receiveAll();
    if (batch.length === 0) return ran;
    for (const inbound of batch) {
      const outcome = await executeMessage(inbound, fx.context());
      // As the hosts do: a finished message is deleted, anything else stays for redelivery.
      if (outcome.action === 'delete') await fx.transport.broker.delete(fx.queueUrl, [inbound.receiptHandle]);
      ran += 1;
    }
  }
  throw new Error(`queue not empty after ${maxRounds} rounds`);
}
