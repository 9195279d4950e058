/** The one conversion between the port's message attributes and the SQS SDK's `MessageAttributeValue`. */
import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import type { MessageAttribute } from '../ports/broker.js';
import { toMessageAttribute } from '../ports/message-attribute.js';
import { setOwn } from '../protocol/set-own.js';

/** The SDK's attributes for a send; `undefined` when there are none (SQS refuses an empty map). */
export function toSqsAttributes(
  attributes: Readonly<Record<string, MessageAttribute>> | undefined,
): Record<string, MessageAttributeValue> | undefined {
  if (!attributes || Object.keys(attributes).length === 0) return undefined;
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(attributes)) {
    setOwn(out, name, {
      DataType: value.dataType,
      ...(value.stringValue === undefined ? {} : { StringValue: value.stringValue }),
      ...(value.binaryValue === undefined ? {} : { BinaryValue: value.binaryValue }),
    });
  }
  return out;
}

/** The port's attributes of a received message. */
export function fromSqsAttributes(
  attributes: Readonly<Record<string, MessageAttributeValue>> | undefined,
): Record<string, MessageAttribute> {
  const out: Record<string, MessageAttribute> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    setOwn(out, name, toMessageAttribute(value.DataType, value.StringValue, value.BinaryValue));
  }
  return out;
}
