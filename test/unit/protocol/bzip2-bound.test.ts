/**
 * bzip2's own inflated-size bound: bzip2 inflates on the event loop (its only well-kept decoder is synchronous
 * JavaScript), so a bzip2 body is refused past `maxBzip2Bytes` (1 MiB by default), lower than `maxPayloadBytes`,
 * with the limit and the setting named. The worst cases at the default bound, a 64 MiB bomb of repeated bytes and
 * incompressible data (made by Python's `bz2` from the project venv), hold the event loop for less than the
 * figures stated below.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { ImproperlyConfigured } from '../../../src/errors.js';
import { decompressBody } from '../../../src/protocol/compression.js';
import { DecodeError } from '../../../src/protocol/errors.js';
import { inflateBody } from '../../../src/protocol/inflate-body.js';
import { DEFAULT_MAX_BZIP2_BYTES } from '../../../src/protocol/limits.js';
import { decodeTaskMessageAsync } from '../../../src/protocol/task-message.js';
import { venvBin } from '../../emulator/moto-server.js';

const b64 = (text: string) => Buffer.from(text, 'base64');
const MiB = 1024 * 1024;
// bz2.compress(b' ' * 1048576): exactly the default bound
const BZIP2_1_MIB = b64('QlpoOTFBWSZTWcpvsgcACApQAIAEQAAACCAAMMwFSepxBgFAYB4u5IpwoSGU32QO');
// bz2.compress(b' ' * (64 * 1048576 + 1)): 82 bytes, past the old 64 MiB limit
const BZIP2_64_MIB_BOMB = b64(
  'QlpoOTFBWSZTWbUiZb8BX44QAMAAAAggADCATUZCoCWpCoCXMUFZJlNZXBuTHQCiddAAoABAAAAIIAAgpTQZjjVFRCbFRUQni7kinChIGy+sMQA=',
);

/** bz2.compress of `size` random bytes, from Python (Node has no bzip2 encoder). */
function incompressibleBzip2(size: number): Buffer {
  return execFileSync(
    venvBin('python'),
    ['-c', `import bz2, os, sys; sys.stdout.buffer.write(bz2.compress(os.urandom(${size})))`],
    { maxBuffer: 4 * size },
  );
}

/** How late a timer set just before `work` fires, in ms: how long `work` held the event loop. */
async function eventLoopDelayDuring(work: () => Promise<unknown>): Promise<number> {
  const armed = performance.now();
  const fired = new Promise<number>((resolve) => setTimeout(() => resolve(performance.now() - armed), 0));
  await work().catch(() => undefined);
  return fired;
}

describe('the bzip2 bound', () => {
  it('is 1 MiB by default, below the 64 MiB general limit', () => {
    expect(DEFAULT_MAX_BZIP2_BYTES).toBe(MiB);
    expect(resolveConfig({ env: {} }).maxBzip2Bytes).toBe(MiB);
    expect(resolveConfig({ env: {} }).maxPayloadBytes).toBeGreaterThan(MiB);
  });

  it('reads a body at the bound and refuses one byte more, naming the limit and `maxBzip2Bytes`', async () => {
    expect(await inflateBody(BZIP2_1_MIB, 'bzip2', 64 * MiB)).toHaveLength(MiB);
    const past = inflateBody(BZIP2_64_MIB_BOMB, 'application/x-bz2', 64 * MiB);
    await expect(past).rejects.toThrow(DecodeError);
    await expect(past).rejects.toThrow(
      `the bzip2 body inflates to more than ${MiB} bytes, the limit; raise \`maxBzip2Bytes\``,
    );
    expect(() => decompressBody(BZIP2_64_MIB_BOMB, 'bzip2', 64 * MiB)).toThrow(
      `more than ${MiB} bytes, the limit; raise \`maxBzip2Bytes\``,
    );
    // The bound is bzip2's only: a zlib body of the same size is read.
    const { deflateSync } = await import('node:zlib');
    expect(await inflateBody(deflateSync(Buffer.alloc(2 * MiB, 0x20)), 'zlib', 64 * MiB)).toHaveLength(
      2 * MiB,
    );
  });

  it('follows `maxBzip2Bytes`, and `maxPayloadBytes` when that is lower', async () => {
    expect(await inflateBody(BZIP2_1_MIB, 'bzip2', 64 * MiB, { maxBzip2Bytes: MiB })).toHaveLength(MiB);
    await expect(inflateBody(BZIP2_1_MIB, 'bzip2', 64 * MiB, { maxBzip2Bytes: MiB - 1 })).rejects.toThrow(
      `more than ${MiB - 1} bytes, the limit; raise \`maxBzip2Bytes\``,
    );
    await expect(inflateBody(BZIP2_1_MIB, 'bzip2', 1000, { maxBzip2Bytes: 2 * MiB })).rejects.toThrow(
      'more than 1000 bytes, the limit; raise `maxPayloadBytes`',
    );
  });

  it('applies to a message through the decode options (the worker passes the app setting)', async () => {
    const envelope = {
      body: BZIP2_64_MIB_BOMB.toString('base64'),
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      headers: { task: 't', id: 'bzip2-bomb', compression: 'application/x-bz2' },
      properties: { body_encoding: 'base64', delivery_tag: 'x' },
    };
    const body = Buffer.from(JSON.stringify(envelope)).toString('base64');
    await expect(decodeTaskMessageAsync(body, { maxBzip2Bytes: 4096 })).rejects.toThrow(
      'the bzip2 body inflates to more than 4096 bytes, the limit; raise `maxBzip2Bytes`',
    );
  });

  it('is refused as a setting unless a whole number of bytes, at least 1', () => {
    expect(() => resolveConfig({ env: {}, maxBzip2Bytes: 0 })).toThrow(ImproperlyConfigured);
    expect(() => resolveConfig({ env: {}, maxBzip2Bytes: 1.5 })).toThrow(/maxBzip2Bytes/);
    expect(resolveConfig({ env: {}, maxBzip2Bytes: 8 * MiB }).maxBzip2Bytes).toBe(8 * MiB);
  });
});

describe('how long bzip2 holds the event loop at the default bound', () => {
  // Measured on a 2-core machine shared with other work (load 6): 20-60 ms of CPU for the bomb (one 900 kB block
  // inflated) and 0.3 s for incompressible data (two blocks: the decoder inflates whole blocks), 0.4-0.7 s of wall
  // time. The figures asserted are wall time, with room for a slower CI machine; at the old 64 MiB bound the bomb
  // would hold the loop about 1 s and incompressible data (extrapolated) about 20 s.
  it('a 64 MiB bomb of repeated bytes: under 500 ms', async () => {
    const delay = await eventLoopDelayDuring(() => inflateBody(BZIP2_64_MIB_BOMB, 'bzip2', 64 * MiB));
    expect(delay).toBeLessThan(500);
  });

  it('incompressible data past the bound (the worst case per byte): under 2 s', async () => {
    const body = incompressibleBzip2(2 * MiB);
    expect(body.length).toBeGreaterThan(2 * MiB);
    await expect(inflateBody(body, 'bzip2', 64 * MiB)).rejects.toThrow(`more than ${MiB} bytes, the limit`);
    const delay = await eventLoopDelayDuring(() => inflateBody(body, 'bzip2', 64 * MiB));
    expect(delay).toBeLessThan(2000);
  });
});
