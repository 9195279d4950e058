/**
 * One conversion into the port's {@link MessageAttribute} from whatever shape an SQS attribute arrives in (the
 * SDK's `MessageAttributeValue`, a Lambda event record's `messageAttributes`), once the caller has its parts.
 */
import type { MessageAttribute } from './broker.js';

/**
 * A {@link MessageAttribute} from SQS's parts. The data type keeps only its base type: SQS allows custom
 * suffixes (`Number.float`, `String.json`) that celeriac does not interpret.
 *
 * @param dataType SQS's `DataType`, e.g. `Number` or `Binary.gzip`; `String` when absent.
 * @param binaryValue already decoded bytes (a Lambda event carries them as base64).
 * @example
 * toMessageAttribute('Number.int', '42') // { dataType: 'Number', stringValue: '42' }
 */
export function toMessageAttribute(
  dataType: string | undefined,
  stringValue: string | undefined,
  binaryValue?: Uint8Array | undefined,
): MessageAttribute {
  const base = (dataType ?? 'String').split('.')[0];
  return {
    dataType: base === 'Number' || base === 'Binary' ? base : 'String',
    ...(stringValue === undefined ? {} : { stringValue }),
    ...(binaryValue === undefined ? {} : { binaryValue }),
  };
}
