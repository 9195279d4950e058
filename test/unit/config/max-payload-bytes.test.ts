import { describe, expect, it } from 'vitest';
import { defaultMaxPayloadBytes, resolveConfig } from '../../../src/config/resolve-config.js';

const MiB = 1024 * 1024;

describe('the default maxPayloadBytes', () => {
  it('is 64 MiB off Lambda', () => {
    expect(resolveConfig({ env: {} }).maxPayloadBytes).toBe(64 * MiB);
  });

  it.each([
    ['128', 4 * MiB],
    ['512', 16 * MiB],
    ['1769', Math.floor((1769 * MiB) / 32)],
    ['2048', 64 * MiB],
    ['10240', 64 * MiB],
  ])('is a 32nd of a %s MB Lambda function, at most 64 MiB', (memory, expected) => {
    expect(defaultMaxPayloadBytes({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory })).toBe(expected);
    expect(resolveConfig({ env: { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory } }).maxPayloadBytes).toBe(
      expected,
    );
  });

  it('leaves a memory size that is not a whole number of MB at 64 MiB', () => {
    for (const memory of ['', 'abc', '0', '-512', '512.5']) {
      expect(defaultMaxPayloadBytes({ AWS_LAMBDA_FUNCTION_MEMORY_SIZE: memory })).toBe(64 * MiB);
    }
  });

  it('gives way to a configured maxPayloadBytes, on Lambda too', () => {
    const env = { AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512' };
    expect(resolveConfig({ env, maxPayloadBytes: 48 * MiB }).maxPayloadBytes).toBe(48 * MiB);
  });
});
