import { afterEach, describe, expect, it } from 'vitest';
import { decodeResultMeta } from '../../../src/protocol/result-meta.js';
import { decodeTaskMessage } from '../../../src/protocol/task-message.js';
import { fromTaggedJson, kombuJsonDumps, kombuJsonLoads } from '../../../src/protocol/type-tags.js';
import { taskMessageBody } from '../../fuzz/sample-messages.js';

const HOSTILE = '{"__proto__": {"isAdmin": true}, "name": "x"}';

/** Asserts `value` is a plain object whose `__proto__` key is its own data, with an untouched prototype. */
function expectOwnProtoKey(value: unknown): void {
  const record = value as Record<string, unknown>;
  expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
  expect(Object.hasOwn(record, '__proto__')).toBe(true);
  expect(Object.getOwnPropertyDescriptor(record, '__proto__')?.value).toEqual({ isAdmin: true });
  expect(record.isAdmin).toBeUndefined();
}

describe('a "__proto__" key in decoded data', () => {
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype);
  afterEach(() => {
    expect(Object.getOwnPropertyNames(Object.prototype)).toEqual(prototypeKeys);
  });

  it('stays an own key in kombu JSON, at the top and nested', () => {
    expectOwnProtoKey(kombuJsonLoads(HOSTILE, 'test'));
    const nested = kombuJsonLoads(`[{"a": ${HOSTILE}}]`, 'test') as [{ a: unknown }];
    expectOwnProtoKey(nested[0].a);
    expectOwnProtoKey(fromTaggedJson(JSON.parse(HOSTILE), 'test'));
  });

  it('stays an own key in task arguments and keyword arguments', () => {
    const message = decodeTaskMessage(taskMessageBody(`[[${HOSTILE}], ${HOSTILE}, null]`));
    expectOwnProtoKey(message.args[0]);
    expectOwnProtoKey(message.kwargs);
  });

  it('stays an own key in a bare v1 task and in a result meta', () => {
    const bare = decodeTaskMessage(`{"task": "tasks.add", "id": "t-1", "args": [${HOSTILE}], "kwargs": {}}`);
    expectOwnProtoKey(bare.args[0]);
    const meta = decodeResultMeta(`{"status": "SUCCESS", "result": ${HOSTILE}, "task_id": "t-1"}`);
    expectOwnProtoKey(meta.result);
  });

  it('is written back out when the value is encoded again', () => {
    expect(kombuJsonDumps(kombuJsonLoads(HOSTILE, 'test'))).toBe(HOSTILE);
    expect(kombuJsonDumps(JSON.parse(`[${HOSTILE}]`))).toBe(`[${HOSTILE}]`);
  });
});
