/** The part of `seek-bzip` (a pure-JavaScript bzip2 decoder, without types of its own) that celeriac uses. */
declare module 'seek-bzip' {
  /** An output stream: `decode` calls `writeByte` for each byte it produces. */
  export interface ByteSink {
    writeByte(byte: number): void;
  }
  /** Decodes a whole bzip2 stream (all of its concatenated streams with `multistream`) into `output`. */
  function decode(input: Uint8Array, output: ByteSink, multistream?: boolean): void;
  const Bunzip: { decode: typeof decode };
  export default Bunzip;
}
