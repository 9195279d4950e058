/**
 * Reads the serializer, compression and signing vectors in `test/golden/serializers/` (recorded by
 * `scripts/capture-golden-serializers.py`), in the same file format as the other golden vectors plus a
 * `security` block (the signer's certificate, public) on the signed ones.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type GoldenVector, sentMessages } from './golden-vectors.js';

/** Where the vectors are. */
export const serializerVectorDir = path.resolve(import.meta.dirname, '..', 'serializers');

/** A serializer vector, with the `security` block of the signed ones. */
export interface SerializerVector extends GoldenVector {
  readonly security?: { readonly digest: string; readonly certificate: string };
}

/** One serializer vector by name. */
export function loadSerializerVector(name: string): SerializerVector {
  const parsed = JSON.parse(readFileSync(path.join(serializerVectorDir, `${name}.json`), 'utf8')) as Omit<
    SerializerVector,
    'file'
  >;
  return { ...parsed, file: `serializers/${name}.json` };
}

/** The one MessageBody a vector sent. */
export function sentBody(vector: GoldenVector): string {
  const sends = sentMessages(vector);
  if (sends.length !== 1) throw new Error(`${vector.file} sent ${sends.length} messages, expected 1`);
  return sends[0]?.messageBody ?? '';
}
