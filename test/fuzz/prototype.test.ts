/**
 * Decoding never touches `Object.prototype`, and a key named after one of its members (`__proto__` above all)
 * stays an own key of the decoded object, with the object's prototype unchanged.
 */

import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CELERY_HEADER_ORDER } from '../../src/protocol/celery-headers.js';
import { base64Encode } from '../../src/protocol/envelope.js';
import { type JsonValue, pythonJsonDumps, pythonJsonLoads } from '../../src/protocol/python-json.js';
import { decodeResultMeta } from '../../src/protocol/result-meta.js';
import { decodeTaskMessage } from '../../src/protocol/task-message.js';
import { fromTaggedJson, kombuJsonLoads } from '../../src/protocol/type-tags.js';
import { HOSTILE_KEYS, jsonData, objectFrom, objectOf } from './arbitraries.js';
import { FUZZ_TIMEOUT_MS, fuzzParameters } from './fuzz-runs.js';
import { envelopeMessageBody } from './sample-messages.js';

/** Objects that always hold at least one hostile key, with JSON data (and more such objects) below them. */
const hostileObject: fc.Arbitrary<Record<string, JsonValue>> = fc
  .tuple(fc.constantFrom(...HOSTILE_KEYS), fc.oneof(jsonData, objectOf(jsonData)), objectOf(jsonData))
  .map(([key, value, rest]) => objectFrom<JsonValue>([[key, value], ...Object.entries(rest)]));

/** What the decoders should return for `text`, from the platform's parser (which keeps every key its own). */
const expectedFrom = (text: string): unknown => pythonJsonLoads(text, 'expected');

/** Celery's header names, which must keep their types; the hostile extra headers leave them alone. */
const CELERY_HEADERS: ReadonlySet<string> = new Set([...CELERY_HEADER_ORDER, 'compression']);

/**
 * Asserts that `decoded` has the shape of `expected` (as the platform's parser returns it),
 * with every object's prototype `Object.prototype` and every key an own property.
 */
function expectSameOwnShape(decoded: unknown, expected: unknown): void {
  if (typeof expected !== 'object' || expected === null) {
    expect(decoded).toEqual(expected);
    return;
  }
  if (Array.isArray(expected)) {
    expect(Array.isArray(decoded)).toBe(true);
    const items = decoded as unknown[];
    expect(items).toHaveLength(expected.length);
    for (const [index, item] of expected.entries()) expectSameOwnShape(items[index], item);
    return;
  }
  expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  const record = decoded as Record<string, unknown>;
  expect(Object.keys(record)).toEqual(Object.keys(expected));
  for (const key of Object.keys(expected)) {
    expect(Object.hasOwn(record, key)).toBe(true);
    expectSameOwnShape(
      Object.getOwnPropertyDescriptor(record, key)?.value,
      (expected as Record<string, unknown>)[key],
    );
  }
}

describe('Object.prototype is never touched', () => {
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
  const prototypeOfObject = Object.getPrototypeOf(Object.prototype);
  afterAll(() => {
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
    expect(Object.getPrototypeOf(Object.prototype)).toBe(prototypeOfObject);
  });

  /** Checks Object.prototype after each case too, so a failure names the input that caused it. */
  function expectPrototypeUntouched(): void {
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
  }

  it(
    'by kombuJsonLoads and fromTaggedJson',
    () => {
      fc.assert(
        fc.property(hostileObject, (value) => {
          const text = pythonJsonDumps(value);
          expectSameOwnShape(kombuJsonLoads(text, 'fuzz'), expectedFrom(text));
          expectSameOwnShape(fromTaggedJson(expectedFrom(text), 'fuzz'), expectedFrom(text));
          expectPrototypeUntouched();
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'by decodeTaskMessage, in arguments, keyword arguments and a bare v1 task',
    () => {
      fc.assert(
        fc.property(hostileObject, hostileObject, (arg, kwargs) => {
          const argText = pythonJsonDumps(arg);
          const kwargsText = pythonJsonDumps(kwargs);
          const body = base64Encode(`[[${argText}], ${kwargsText}, null]`);
          const message = decodeTaskMessage(envelopeMessageBody({ body }));
          expectSameOwnShape(message.args[0], expectedFrom(argText));
          expectSameOwnShape(message.kwargs, expectedFrom(kwargsText));
          const bare = decodeTaskMessage(
            `{"task": "tasks.add", "id": "t-1", "args": [${argText}], "kwargs": ${kwargsText}}`,
          );
          expectSameOwnShape(bare.args[0], expectedFrom(argText));
          expectSameOwnShape(bare.kwargs, expectedFrom(kwargsText));
          expectPrototypeUntouched();
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'by decodeTaskMessage, in the envelope headers and properties',
    () => {
      fc.assert(
        fc.property(hostileObject, (extra) => {
          const entries = Object.entries(extra).filter(([key]) => !CELERY_HEADERS.has(key));
          const headers = objectFrom<JsonValue>([['task', 'tasks.add'], ['id', 't-1'], ...entries]);
          const text = pythonJsonDumps(headers);
          const message = decodeTaskMessage(
            envelopeMessageBody({
              body: base64Encode('[[], {}, null]'),
              headers: expectedFrom(text) as Record<string, unknown>,
            }),
          );
          for (const [key] of entries) expect(Object.hasOwn(message.headers, key)).toBe(true);
          expect(Object.getPrototypeOf(message.headers)).toBe(Object.prototype);
          expectPrototypeUntouched();
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );

  it(
    'by decodeResultMeta',
    () => {
      fc.assert(
        fc.property(hostileObject, (result) => {
          const resultText = pythonJsonDumps(result);
          const meta = decodeResultMeta(`{"status": "SUCCESS", "result": ${resultText}, "task_id": "t-1"}`);
          expectSameOwnShape(meta.result, expectedFrom(resultText));
          expectPrototypeUntouched();
        }),
        fuzzParameters(),
      );
    },
    FUZZ_TIMEOUT_MS,
  );
});
