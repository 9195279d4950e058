import { describe, expect, it } from 'vitest';
import { base64Encode } from '../../../src/protocol/envelope.js';
import { DecodeError, EncodeError, InvalidTaskError } from '../../../src/protocol/errors.js';
import { MAX_NESTING_DEPTH } from '../../../src/protocol/limits.js';
import { pythonJsonDumps, pythonJsonLoads } from '../../../src/protocol/python-json.js';
import { decodeResultMeta, encodeResultMeta } from '../../../src/protocol/result-meta.js';
import { decodeTaskMessage } from '../../../src/protocol/task-message.js';
import {
  fromTaggedJson,
  kombuJsonDumps,
  kombuJsonLoads,
  toTaggedJson,
} from '../../../src/protocol/type-tags.js';
import { taskMessageBody } from '../../fuzz/sample-messages.js';

/** `depth` arrays inside each other, the innermost empty. */
function nestedArrays(depth: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < depth; i++) value = [value];
  return value;
}

/** `depth` objects inside each other under the key `a`, the innermost empty. */
function nestedObjects(depth: number): unknown {
  let value: unknown = {};
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

const arraysText = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);
const objectsText = (depth: number): string => `${'{"a": '.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`;

/** Runs `fn` and returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('nesting depth', () => {
  it('is 1000 levels, as far as Python reads', () => {
    expect(MAX_NESTING_DEPTH).toBe(1000);
  });

  it('reads and writes values exactly MAX_NESTING_DEPTH deep', () => {
    const text = arraysText(MAX_NESTING_DEPTH);
    expect(kombuJsonDumps(kombuJsonLoads(text, 'test'))).toBe(text);
    expect(kombuJsonDumps(kombuJsonLoads(objectsText(MAX_NESTING_DEPTH), 'test'))).toBe(
      objectsText(MAX_NESTING_DEPTH),
    );
  });

  it.each([
    ['arrays', arraysText],
    ['objects', objectsText],
  ])('refuses JSON text of %s nested one level deeper with a DecodeError', (_kind, text) => {
    for (const depth of [MAX_NESTING_DEPTH + 1, 2_000, 100_000]) {
      const error = thrown(() => kombuJsonLoads(text(depth), 'task body'));
      expect(error).toBeInstanceOf(DecodeError);
      expect((error as DecodeError).message).toMatch(/task body: .*more than 1000 levels deep/);
      expect(thrown(() => pythonJsonLoads(text(depth), 'test'))).toBeInstanceOf(DecodeError);
    }
  });

  it('counts only brackets outside strings', () => {
    const text = JSON.stringify(['['.repeat(5_000), { k: '{'.repeat(5_000) }, '\\"['.repeat(3_000)]);
    expect(kombuJsonLoads(text, 'test')).toEqual(JSON.parse(text));
  });

  it.each([
    ['arrays', nestedArrays],
    ['objects', nestedObjects],
  ])('refuses decoded values of %s nested 2,000 levels deep in fromTaggedJson', (_kind, nested) => {
    const error = thrown(() => fromTaggedJson(nested(2_000), 'task body'));
    expect(error).toBeInstanceOf(DecodeError);
    expect(fromTaggedJson(nested(MAX_NESTING_DEPTH), 'test')).toEqual(nested(MAX_NESTING_DEPTH));
  });

  it.each([
    ['arrays', nestedArrays],
    ['objects', nestedObjects],
  ])('refuses to encode %s nested 2,000 levels deep with an EncodeError', (_kind, nested) => {
    for (const encode of [toTaggedJson, kombuJsonDumps, pythonJsonDumps]) {
      const error = thrown(() => encode(nested(2_000)));
      expect(error).toBeInstanceOf(EncodeError);
      expect((error as EncodeError).message).toMatch(/more than 1000 levels deep/);
    }
  });

  it('refuses a task message with deeply nested arguments with a typed error, not a RangeError', () => {
    const body = taskMessageBody(`[[${arraysText(5_000)}], {}, null]`);
    const error = thrown(() => decodeTaskMessage(body));
    expect(error).toBeInstanceOf(InvalidTaskError);
    expect((error as Error).message).toMatch(/more than 1000 levels deep/);
  });

  it('refuses deep nesting in the envelope itself and in a bare v1 task', () => {
    // Built by hand, since the encoder refuses the depth.
    const body = base64Encode('[[2, 3], {}, null]');
    const envelope = `{"body": "${body}", "content-type": "application/json", "headers": {"task": "tasks.add", "id": "t-1", "x": ${arraysText(5_000)}}, "properties": {}}`;
    expect(thrown(() => decodeTaskMessage(envelope))).toBeInstanceOf(DecodeError);
    const bare = `{"task": "tasks.add", "id": "t-1", "args": [${arraysText(5_000)}]}`;
    expect(thrown(() => decodeTaskMessage(bare))).toBeInstanceOf(DecodeError);
  });

  it('refuses a deeply nested result meta with a DecodeError, and refuses to store one', () => {
    const text = `{"status": "SUCCESS", "result": ${arraysText(5_000)}, "task_id": "t-1"}`;
    expect(thrown(() => decodeResultMeta(text))).toBeInstanceOf(DecodeError);
    const meta = decodeResultMeta('{"status": "SUCCESS", "result": null, "task_id": "t-1"}');
    expect(thrown(() => encodeResultMeta({ ...meta, result: nestedArrays(5_000) }))).toBeInstanceOf(
      EncodeError,
    );
  });
});
