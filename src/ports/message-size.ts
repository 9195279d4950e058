/**
 * The size SQS counts for a message: the UTF-8 body plus, for each attribute, its name, its data type and its
 * value. The payload offloader and the SQS broker's batch planner both measure with it.
 */
import type { MessageAttribute, OutgoingMessage } from './broker.js';

/**
 * The bytes SQS counts for a set of message attributes.
 *
 * @example
 * messageAttributesSize({ ExtendedPayloadSize: { dataType: 'Number', stringValue: '300000' } }) // 31
 */
export function messageAttributesSize(
  attributes: Readonly<Record<string, MessageAttribute>> | undefined,
): number {
  let size = 0;
  for (const [name, value] of Object.entries(attributes ?? {})) {
    size += Buffer.byteLength(name) + Buffer.byteLength(value.dataType);
    size +=
      value.stringValue !== undefined
        ? Buffer.byteLength(value.stringValue)
        : (value.binaryValue?.byteLength ?? 0);
  }
  return size;
}

/**
 * The bytes SQS counts for a message, body and attributes together.
 *
 * @example
 * messageSize({ body: 'héllo' }) // 6
 */
export function messageSize(message: Pick<OutgoingMessage, 'body' | 'attributes'>): number {
  return Buffer.byteLength(message.body, 'utf8') + messageAttributesSize(message.attributes);
}
