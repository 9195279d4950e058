/**
 * Message bodies the protocol tests build: valid task messages of a given size (the baseline of the timing
 * properties) and envelopes around a body of the test's choosing (the hostile inputs).
 */
import { base64Encode, encodeSqsMessageBody, type KombuEnvelope } from '../../src/protocol/envelope.js';
import { buildResultMeta, encodeResultMeta } from '../../src/protocol/result-meta.js';
import { buildTaskMessage, encodeTaskMessage } from '../../src/protocol/task-message.js';

/** Plain records of mixed JSON types, about `sizeBytes` bytes of kombu JSON in all: typical task data. */
export function sampleRecords(sizeBytes: number): Record<string, unknown>[] {
  const records: Record<string, unknown>[] = [];
  // Each record is about 100 bytes of JSON.
  for (let i = 0; i * 100 < sizeBytes; i++) {
    records.push({ id: i, name: `item-${i}`, tags: ['a', 'b'], price: 1.5, note: null, ok: true });
  }
  return records;
}

/**
 * A valid, kombu-encoded task `MessageBody` of about `sizeBytes` bytes, carrying typical task data. Both base64
 * layers grow the text by 4/3, hence the 9/16.
 */
export function validMessageBody(sizeBytes: number): string {
  const message = buildTaskMessage({
    taskId: 'baseline-1',
    name: 'tasks.echo',
    args: [sampleRecords((sizeBytes * 9) / 16)],
    queue: 'celery',
    origin: 'gen1@fuzz',
    replyTo: 'reply-1',
    deliveryTag: 'tag-1',
  });
  return encodeTaskMessage(message);
}

/** A valid stored result meta of about `sizeBytes` bytes, holding typical data. */
export function validResultMetaText(sizeBytes: number): string {
  return encodeResultMeta(
    buildResultMeta({ taskId: 'baseline-1', status: 'SUCCESS', result: sampleRecords(sizeBytes) }),
  );
}

/** The parts of an envelope a test may set; the rest are those of a protocol v2 task `tasks.add` with id `t-1`. */
export interface EnvelopeParts {
  /** The envelope's `body`, as it stands in the envelope (already base64, or not). */
  readonly body: string;
  readonly headers?: Record<string, unknown>;
  readonly bodyEncoding?: string;
}

/** A `MessageBody` holding an envelope around `parts.body`, as kombu would send it. */
export function envelopeMessageBody(parts: EnvelopeParts): string {
  const envelope: KombuEnvelope = {
    body: parts.body,
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers: parts.headers ?? { task: 'tasks.add', id: 't-1' },
    properties: {
      body_encoding: parts.bodyEncoding ?? 'base64',
      delivery_info: { exchange: '', routing_key: 'celery' },
    },
  };
  return encodeSqsMessageBody(envelope);
}

/** A `MessageBody` whose v2 task body is `bodyJson` (kombu JSON text), base64-encoded in the envelope. */
export function taskMessageBody(bodyJson: string, headers?: Record<string, unknown>): string {
  return envelopeMessageBody({ body: base64Encode(bodyJson), ...(headers ? { headers } : {}) });
}
