/**
 * msgpack keeps floats and integers apart (float64 `cb` against int `00`-`d3`), but `@msgpack/msgpack` turns
 * both into a JavaScript number. For exact values (`exact-values.ts`) celeriac hooks the library's float
 * reader and writer: in exact mode a float64 or float32 with an integral value reads as {@link PythonFloat},
 * and a {@link PythonFloat} always goes out as float64, as msgpack-python packs a Python float. The hooks are the
 * library's own (unexported) `readF32`/`readF64` and `encodeObject` methods, at the version pinned in
 * package.json; the golden msgpack vectors test them byte for byte.
 */
import { Decoder, type DecoderOptions, Encoder, type EncoderOptions } from '@msgpack/msgpack';
import { PythonFloat } from './exact-values.js';

/** The library's internals the hooks use (not in its type declarations). */
interface DecoderInternals {
  readF32(): number;
  readF64(): number;
}
interface EncoderInternals {
  encodeObject(object: unknown, depth: number): void;
  encodeNumberAsFloat(value: number): void;
}

const exactFloat = (value: number): number | PythonFloat =>
  Number.isInteger(value) ? new PythonFloat(value) : value;

/** A decoder that reads integral floats as {@link PythonFloat}. */
class ExactFloatDecoder extends Decoder {}
const decoderBase = Decoder.prototype as unknown as DecoderInternals;
Object.assign(ExactFloatDecoder.prototype, {
  readF32(this: DecoderInternals) {
    return exactFloat(decoderBase.readF32.call(this));
  },
  readF64(this: DecoderInternals) {
    return exactFloat(decoderBase.readF64.call(this));
  },
});

/** An encoder that writes {@link PythonFloat} as float64. */
class FloatEncoder extends Encoder {}
const encoderBase = Encoder.prototype as unknown as EncoderInternals;
Object.assign(FloatEncoder.prototype, {
  encodeObject(this: EncoderInternals, object: unknown, depth: number) {
    if (object instanceof PythonFloat) this.encodeNumberAsFloat(object.value);
    else encoderBase.encodeObject.call(this, object, depth);
  },
});

/** Decodes msgpack, with integral floats as {@link PythonFloat} when `exact`. */
export function decodeMsgpack(bytes: Uint8Array, options: DecoderOptions, exact: boolean): unknown {
  return (exact ? new ExactFloatDecoder(options) : new Decoder(options)).decode(bytes);
}

/** Encodes msgpack, writing {@link PythonFloat} as float64. */
export function encodeMsgpack(value: unknown, options: EncoderOptions): Uint8Array {
  return new FloatEncoder(options).encode(value);
}
