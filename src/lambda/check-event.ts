/**
 * What the Lambda handler checks before it trusts an event's shape. The SQS event source mapping only ever sends
 * well-formed records, but the function can be invoked with any JSON (a console test event, a direct `Invoke`, a
 * wrong trigger), and a field of the wrong type must end as a logged refusal of its own record, never as a
 * TypeError that fails the whole batch.
 */
import { isFields } from '../protocol/is-fields.js';

/** A short name for what a value is, for a line saying what was expected instead. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'undefined' ? 'missing' : `a ${typeof value}`;
}

/** An attribute name for a log line: quoted, and cut short (a name is data from the sender). */
function quoted(name: string): string {
  return JSON.stringify(name.length > 64 ? `${name.slice(0, 64)}…` : name);
}

/** An SQS queue ARN: `arn:<partition>:sqs:<region>:<account>:<queue name>`. */
export function isSqsArn(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const parts = value.split(':');
  return parts.length === 6 && parts[0] === 'arn' && parts[2] === 'sqs' && parts.every((part) => part !== '');
}

/**
 * Why the event is not one the handler can answer record by record, or undefined when it is: it must carry a
 * `Records` array of objects, each with a `messageId` (the only way to name a record in `batchItemFailures`).
 */
export function eventProblem(event: unknown): string | undefined {
  if (!isFields(event)) return `the event is ${kindOf(event)}, not an object with Records`;
  const records = event.Records;
  if (!Array.isArray(records)) return `its Records is ${kindOf(records)}, not an array`;
  for (let i = 0; i < records.length; i++) {
    const record: unknown = records[i];
    if (!isFields(record)) return `Records[${i}] is ${kindOf(record)}, not a record`;
    if (typeof record.messageId !== 'string' || record.messageId === '') {
      return `Records[${i}] has a messageId that is ${kindOf(record.messageId)}, so it cannot be reported as a batch item failure`;
    }
  }
  return undefined;
}

/** Why a record (of an event {@link eventProblem} accepted) cannot be processed, or undefined when it can. */
export function recordProblem(record: Readonly<Record<string, unknown>>): string | undefined {
  if (typeof record.body !== 'string') return `its body is ${kindOf(record.body)}, not a string`;
  if (typeof record.receiptHandle !== 'string' || record.receiptHandle === '') {
    return `its receiptHandle is ${kindOf(record.receiptHandle)}, not a string`;
  }
  if (!isSqsArn(record.eventSourceARN)) {
    const arn = record.eventSourceARN;
    return typeof arn === 'string'
      ? `its eventSourceARN ${quoted(arn)} is not an SQS queue ARN`
      : `its eventSourceARN is ${kindOf(arn)}, not an SQS queue ARN`;
  }
  const { attributes, messageAttributes } = record;
  if (attributes != null && !isFields(attributes))
    return `its attributes is ${kindOf(attributes)}, not an object`;
  if (messageAttributes == null) return undefined;
  if (!isFields(messageAttributes))
    return `its messageAttributes is ${kindOf(messageAttributes)}, not an object`;
  for (const [name, value] of Object.entries(messageAttributes)) {
    if (!isFields(value)) return `its message attribute ${quoted(name)} is ${kindOf(value)}, not an object`;
    for (const field of ['dataType', 'stringValue', 'binaryValue'] as const) {
      if (value[field] !== undefined && typeof value[field] !== 'string') {
        return `the ${field} of its message attribute ${quoted(name)} is ${kindOf(value[field])}, not a string`;
      }
    }
  }
  return undefined;
}

/** SQS's `ApproximateReceiveCount`: 1 when it is missing or not a count (SQS counts for the redrive policy). */
export function receiveCountOf(value: unknown): number {
  const count = typeof value === 'string' || typeof value === 'number' ? Number(value) : Number.NaN;
  return Number.isSafeInteger(count) && count >= 1 ? count : 1;
}
