/**
 * An app configured with `security` signs everything it sends, its workers' follow-ups included, and its
 * workers refuse what is not signed by a trusted certificate (memory transport, the real execution core).
 */
import { describe, expect, it } from 'vitest';
import { signatureDict } from '../../../src/protocol/signature.js';
import { encodeTaskMessage } from '../../../src/protocol/task-message.js';
import { executeMessage } from '../../../src/worker/execute-message.js';
import { memoryApp } from '../../helpers/memory-app.js';
import { makeTestCertificate } from '../../helpers/test-certificates.js';

const pair = makeTestCertificate({ commonName: 'app-signer' });
const security = { key: pair.keyPem, certificate: pair.certificatePem, certStore: [pair.certificatePem] };

describe('an app with security', () => {
  it('signs its sends and the follow-ups its worker sends, and runs them', async () => {
    const fx = memoryApp({ security });
    const seen: number[] = [];
    const first = fx.app.task('tasks.first', () => 41);
    fx.app.task('tasks.second', (n: number) => {
      seen.push(n + 1);
      return n + 1;
    });
    await first.applyAsync([], {}, { link: signatureDict('tasks.second') });
    const [message] = await fx.receiveAll();
    const envelope = JSON.parse(Buffer.from(message?.body ?? '', 'base64').toString());
    expect(envelope['content-type']).toBe('application/data');
    expect((await executeMessage(message as NonNullable<typeof message>, fx.context())).state).toBe(
      'SUCCESS',
    );
    const [followUp] = await fx.receiveAll();
    const followEnvelope = JSON.parse(Buffer.from(followUp?.body ?? '', 'base64').toString());
    expect(followEnvelope['content-type']).toBe('application/data');
    expect((await executeMessage(followUp as NonNullable<typeof followUp>, fx.context())).state).toBe(
      'SUCCESS',
    );
    expect(seen).toEqual([42]);
  });

  it('refuses an unsigned message without running it or storing a result under its id', async () => {
    const fx = memoryApp({ security });
    let ran = 0;
    fx.app.task('tasks.first', () => {
      ran += 1;
    });
    const body = encodeTaskMessage(fx.message('tasks.first', [], {}, { taskId: 'forged-id' }));
    const outcome = await executeMessage(
      { messageId: 'm1', receiptHandle: 'r1', body, receiveCount: 1, queueUrl: fx.queueUrl, attributes: {} },
      fx.context(),
    );
    expect(outcome).toMatchObject({ action: 'reject', state: 'INVALID' });
    expect(outcome.reason).toMatch(/SecurityError: Refusing an unsigned message/);
    expect(ran).toBe(0);
    expect(await fx.app.asyncResult('forged-id').state()).toBe('PENDING');
  });

  it('is refused at configuration when half of it is given', async () => {
    expect(() => memoryApp({ security: { key: pair.keyPem } })).toThrow(
      /both `security.key` and `security.certificate`/,
    );
    expect(() => memoryApp({ security: { certStore: ['garbage'] } })).toThrow(
      /not usable: Invalid certificate/,
    );
  });
});
