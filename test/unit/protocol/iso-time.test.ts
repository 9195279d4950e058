import { describe, expect, it } from 'vitest';
import { formatPythonDateTime, parseIsoDateTime } from '../../../src/protocol/iso-time.js';

describe('parseIsoDateTime', () => {
  it('reads the years 1 to 99 as themselves, as Python does, not as 1901 to 1999', () => {
    expect(parseIsoDateTime('0050-03-04T05:06:07.008+00:00')?.toISOString()).toBe('0050-03-04T05:06:07.008Z');
    expect(parseIsoDateTime('0001-01-01T00:00:00')?.toISOString()).toBe('0001-01-01T00:00:00.000Z');
  });

  it('reads back what formatPythonDateTime writes, across the years Python supports', () => {
    for (const iso of [
      '0001-01-01T00:00:00.000Z',
      '0099-12-31T23:59:59.999Z',
      '2024-02-29T12:00:00.000Z',
      '9999-12-31T23:59:59.999Z',
    ]) {
      expect(parseIsoDateTime(formatPythonDateTime(new Date(iso)))?.toISOString()).toBe(iso);
    }
  });

  it('refuses impossible calendar dates', () => {
    expect(parseIsoDateTime('2023-02-29T00:00:00')).toBeUndefined();
  });
});
