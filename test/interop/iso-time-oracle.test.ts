/**
 * Holds `parseIsoDateTime` to what Celery reads an `eta` or `expires` with (`celery.utils.time.maybe_iso8601`, which
 * is dateutil's `isoparse`): every case goes to the venv's Python, which answers with the instant in milliseconds
 * since the epoch (a naive value read as UTC, as Celery does) or null when isoparse refuses the text, and each
 * answer must be celeriac's.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseIsoDateTime } from '../../src/protocol/iso-time.js';
import { runPython } from './helpers/python-celery.js';

const CASES: readonly string[] = [
  '2020-01-01T10:20:30',
  '2020-01-01T10:20:30.123456',
  '2020-01-01T10:20:30Z',
  '2020-01-01T10:20:30+05:30',
  '2020-01-01T10:20:30-0800',
  '2020-01-01T10:20:30+23:59',
  '2020-01-01T10:20',
  '2020-01-01 10:20:30',
  '2020-01-01',
  '0001-01-01T00:00:00',
  '9999-12-31T23:59:59.999',
  '2024-02-29T00:00:00',
  '2020-01-01T24:00:00',
  '2020-01-01T24:00',
  // Refused by isoparse:
  '2023-02-29T00:00:00',
  '2020-13-01T00:00:00',
  '2020-04-31T00:00:00',
  '2020-01-01T10:99:99',
  '2020-01-01T10:60:00',
  '2020-01-01T10:59:60',
  '2020-01-01T25:00:00',
  '2020-01-01T24:00:01',
  '2020-01-01T24:30:00',
  '2020-01-01T10:00:00+24:00',
  '2020-01-01T10:00:00+99:99',
  '2020-01-01T10:00:00+12:60',
  '2020-01-01T10:00:00-25:00',
];

/** The program that answers for `cases`, passed in as base64 JSON. */
const program = (cases: readonly string[]): string => `
import base64, json
from datetime import timezone
from celery.utils.time import maybe_iso8601
out = []
for text in json.loads(base64.b64decode('${Buffer.from(JSON.stringify(cases)).toString('base64')}')):
    try:
        dt = maybe_iso8601(text)
    except (ValueError, OverflowError):
        out.append(None)
        continue
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    out.append(round(dt.timestamp() * 1000))
print(json.dumps(out))
`;

describe("parseIsoDateTime against Celery's maybe_iso8601", () => {
  let python: (number | null)[] = [];

  beforeAll(async () => {
    python = await runPython<(number | null)[]>(program(CASES), { timeoutMs: 30_000 });
    expect(python).toHaveLength(CASES.length);
  });

  it.each(CASES.map((text, index) => [text, index] as const))('reads %s as Celery does', (text, index) => {
    expect(parseIsoDateTime(text)?.getTime() ?? null).toBe(python[index]);
  });
});
