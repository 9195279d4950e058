/**
 * The serializers celeriac speaks, by kombu's names and content types (`kombu/serialization.py`), and the
 * accept list that decides which of them a receiver reads (Celery's `accept_content`).
 *
 * | name      | content type         | content encoding | body                                   |
 * |-----------|----------------------|------------------|----------------------------------------|
 * | `json`    | `application/json`   | `utf-8`          | kombu JSON with type tags (the default) |
 * | `msgpack` | `application/x-msgpack` | `binary`      | `packb(use_bin_type=True)`             |
 * | `yaml`    | `application/x-yaml` | `utf-8`          | YAML 1.1, safe schema only             |
 *
 * Pickle (`application/x-python-serialize`) is never read, whatever the accept list says: unpickling runs code.
 */
import { ContentDisallowed, DecodeError } from './errors.js';
import { MSGPACK_CONTENT_TYPE, msgpackDumps, msgpackLoads } from './msgpack-body.js';
import { kombuJsonDumps, kombuJsonLoads } from './type-tags.js';
import { YAML_CONTENT_TYPE, yamlDumps, yamlLoads } from './yaml-body.js';

/** The serializers celeriac can write and read. */
export const SERIALIZERS = ['json', 'msgpack', 'yaml'] as const;

/** A serializer name, as Celery's `task_serializer` takes it. */
export type SerializerName = (typeof SERIALIZERS)[number];

/** Each serializer's content type and content encoding, as kombu registers them. */
export const SERIALIZER_CONTENT = {
  json: { contentType: 'application/json', contentEncoding: 'utf-8' },
  msgpack: { contentType: MSGPACK_CONTENT_TYPE, contentEncoding: 'binary' },
  yaml: { contentType: YAML_CONTENT_TYPE, contentEncoding: 'utf-8' },
} as const satisfies Record<SerializerName, { contentType: string; contentEncoding: string }>;

/** pickle's content type: refused always. */
export const PICKLE_CONTENT_TYPE = 'application/x-python-serialize';

/** Celery's default `accept_content`: JSON only. */
export const DEFAULT_ACCEPT_CONTENT: readonly string[] = ['application/json'];

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether `value` is a serializer name celeriac knows. */
export function isSerializerName(value: unknown): value is SerializerName {
  return typeof value === 'string' && (SERIALIZERS as readonly string[]).includes(value);
}

/**
 * Turns an accept list of names or content types (`['json', 'application/x-msgpack']`, as Celery's
 * `accept_content` takes them) into content types.
 *
 * @returns the content types, or `{ unknown }` naming the first entry celeriac cannot read (pickle included).
 */
export function acceptedContentTypes(
  accept: readonly string[],
): { readonly contentTypes: readonly string[] } | { readonly unknown: string } {
  const contentTypes: string[] = [];
  for (const entry of accept) {
    const key = entry.trim().toLowerCase();
    const byName = isSerializerName(key) ? SERIALIZER_CONTENT[key].contentType : undefined;
    const byType = SERIALIZERS.map((name) => SERIALIZER_CONTENT[name].contentType).find(
      (type) => type === key,
    );
    const contentType = byName ?? byType;
    if (contentType === undefined) return { unknown: entry };
    contentTypes.push(contentType);
  }
  return { contentTypes };
}

/** A serialized body: the bytes and the envelope's `content-type` and `content-encoding`. */
export interface SerializedBody {
  readonly bytes: Uint8Array;
  readonly contentType: string;
  readonly contentEncoding: string;
}

/**
 * Serializes a value with the named serializer, as kombu's `dumps` does.
 *
 * @throws {EncodeError} for a value the serializer has no form for, naming its path.
 */
export function serializeValue(value: unknown, serializer: SerializerName = 'json'): SerializedBody {
  const { contentType, contentEncoding } = SERIALIZER_CONTENT[serializer];
  if (serializer === 'msgpack') return { bytes: msgpackDumps(value), contentType, contentEncoding };
  const text = serializer === 'yaml' ? yamlDumps(value) : kombuJsonDumps(value);
  return { bytes: Buffer.from(text, 'utf-8'), contentType, contentEncoding };
}

/**
 * Reads a serialized body by its content type, as kombu's `loads` does, when the type is in `accept`.
 *
 * @param accept content types (see {@link acceptedContentTypes}); default JSON only.
 * @param options `exact`: read in exact mode (`exact-values.ts`), whichever the serializer.
 * @throws {ContentDisallowed} for pickle always, and for any content type not in `accept`.
 * @throws {DecodeError} for bytes the serializer cannot read.
 */
export function deserializeValue(
  bytes: Uint8Array,
  contentType: string,
  layer: string,
  accept: readonly string[] = DEFAULT_ACCEPT_CONTENT,
  options: { readonly exact?: boolean } = {},
): unknown {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === PICKLE_CONTENT_TYPE || !accept.includes(type)) {
    throw ContentDisallowed.forType(contentType, { accepted: accept });
  }
  if (type === MSGPACK_CONTENT_TYPE) return msgpackLoads(bytes, options);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch (error) {
    throw DecodeError.at(layer, 'the body is not UTF-8 text', { cause: error });
  }
  return type === YAML_CONTENT_TYPE ? yamlLoads(text, options) : kombuJsonLoads(text, layer, options);
}
