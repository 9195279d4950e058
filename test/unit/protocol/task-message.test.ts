import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { base64Encode, decodeSqsMessageBody } from '../../../src/protocol/envelope.js';
import { ContentDisallowed, DecodeError, InvalidTaskError } from '../../../src/protocol/errors.js';
import { pythonJsonDumps } from '../../../src/protocol/python-json.js';
import { MAX_REPR_HEADER_CHARS } from '../../../src/protocol/read-task-headers.js';
import {
  buildTaskMessage,
  decodeTaskMessage,
  encodeTaskMessage,
} from '../../../src/protocol/task-message.js';

const TASK_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

/** The envelope Celery 5.6.2 / kombu 5.6.2 produced for add.apply_async((2, 3)) (recorded from a real run; compare test/golden/messages/plain-call.json). */
const PYTHON_ENVELOPE =
  '{"body": "W1syLCAzXSwge30sIHsiY2FsbGJhY2tzIjogbnVsbCwgImVycmJhY2tzIjogbnVsbCwgImNoYWluIjogbnVsbCwgImNob3JkIjogbnVsbH1d", ' +
  '"content-encoding": "utf-8", "content-type": "application/json", ' +
  `"headers": {"lang": "py", "task": "tasks.add", "id": "${TASK_ID}", "shadow": null, "eta": null, "expires": null, ` +
  '"group": null, "group_index": null, "retries": 0, "timelimit": [null, null], ' +
  `"root_id": "${TASK_ID}", "parent_id": null, "argsrepr": "(2, 3)", "kwargsrepr": "{}", "origin": "gen4242@web-1", ` +
  '"ignore_result": false, "replaced_task_nesting": 0, "stamped_headers": null, "stamps": {}}, ' +
  `"properties": {"correlation_id": "${TASK_ID}", "reply_to": "b5d6a2f0-3c1e-3f5a-9d2b-0c4e8a1f2b3c", "delivery_mode": 2, ` +
  '"delivery_info": {"exchange": "", "routing_key": "celery"}, "priority": 0, "body_encoding": "base64", ' +
  '"delivery_tag": "0f8fad5b-d9cb-469f-a165-70867728950e"}}';

function envelopeBody(envelope: Record<string, unknown>): string {
  return base64Encode(pythonJsonDumps(envelope));
}

function v2Envelope(body: string, headers: Record<string, unknown> = { task: 'tasks.add', id: 't-1' }) {
  return {
    body: base64Encode(body),
    'content-encoding': 'utf-8',
    'content-type': 'application/json',
    headers,
    properties: { body_encoding: 'base64', delivery_info: { routing_key: 'celery' } },
  };
}

describe('encodeTaskMessage', () => {
  it('produces the bytes Celery 5.6 sends for add.apply_async((2, 3))', () => {
    const message = buildTaskMessage({
      taskId: TASK_ID,
      name: 'tasks.add',
      args: [2, 3],
      queue: 'celery',
      origin: 'gen4242@web-1',
      replyTo: 'b5d6a2f0-3c1e-3f5a-9d2b-0c4e8a1f2b3c',
      deliveryTag: '0f8fad5b-d9cb-469f-a165-70867728950e',
    });
    expect(encodeTaskMessage(message)).toBe(base64Encode(PYTHON_ENVELOPE));
  });

  it('round-trips through decodeTaskMessage', () => {
    const eta = new Date('2030-01-02T03:04:05.006Z');
    const message = buildTaskMessage({
      taskId: 't-2',
      name: 'tasks.echo',
      args: ['café', { nested: [1, 2.5] }],
      kwargs: { when: eta },
      queue: 'jobs',
      origin: 'gen1@host',
      eta,
      timeLimitSeconds: 30,
      softTimeLimitSeconds: 20,
      headers: { custom: 'x' },
    });
    const decoded = decodeTaskMessage(encodeTaskMessage(message));
    expect(decoded.protocol).toBe(2);
    expect(decoded.headers.task).toBe('tasks.echo');
    expect(decoded.headers.eta).toBe('2030-01-02T03:04:05.006000+00:00');
    expect(decoded.headers.timelimit).toEqual([30, 20]);
    expect(decoded.headers.custom).toBe('x');
    expect(decoded.args).toEqual(['café', { nested: [1, 2.5] }]);
    expect(decoded.kwargs).toEqual({ when: eta });
    expect(decoded.properties.delivery_info?.routing_key).toBe('jobs');
  });
});

describe('decodeTaskMessage', () => {
  it('reads the Python envelope, base64 or plain', () => {
    for (const body of [base64Encode(PYTHON_ENVELOPE), PYTHON_ENVELOPE]) {
      const message = decodeTaskMessage(body);
      expect(message.headers.id).toBe(TASK_ID);
      expect(message.args).toEqual([2, 3]);
      expect(message.embed).toEqual({ callbacks: null, errbacks: null, chain: null, chord: null });
    }
  });

  it('accepts the minimal message a Python worker accepts: plain JSON, utf-8 body, null embed', () => {
    const message = decodeTaskMessage(
      pythonJsonDumps({
        body: '[[2, 3], {}, null]',
        'content-type': 'application/json',
        'content-encoding': 'utf-8',
        headers: { lang: 'py', task: 'tasks.add', id: 'min-1' },
        properties: { correlation_id: 'min-1', delivery_info: {}, body_encoding: 'utf-8', delivery_tag: 'x' },
      }),
    );
    expect(message.headers).toMatchObject({
      task: 'tasks.add',
      id: 'min-1',
      retries: 0,
      timelimit: [null, null],
    });
    expect(message.args).toEqual([2, 3]);
  });

  it("cuts another sender's overlong argsrepr and kwargsrepr, which every log line and event carries", () => {
    const long = `(${'x'.repeat(MAX_REPR_HEADER_CHARS * 10)})`;
    const message = decodeTaskMessage(
      pythonJsonDumps(
        v2Envelope('[[1], {}, null]', { task: 'tasks.add', id: 't-1', argsrepr: long, kwargsrepr: '{}' }),
      ),
    );
    expect(message.headers.argsrepr).toBe(
      `${long.slice(0, MAX_REPR_HEADER_CHARS)}... (${long.length - MAX_REPR_HEADER_CHARS} more characters)`,
    );
    expect(message.headers.kwargsrepr).toBe('{}');
    // The arguments themselves are whole.
    expect(message.args).toEqual([1]);
  });

  it('decodes protocol v1 bodies, mapping taskset to group', () => {
    const v1 = {
      body: base64Encode(
        pythonJsonDumps({
          task: 'tasks.add',
          id: 'v1-1',
          args: [1, 2],
          kwargs: {},
          retries: 1,
          eta: null,
          expires: null,
          utc: true,
          callbacks: [
            { task: 'tasks.tsum', args: [], kwargs: {}, options: {}, subtask_type: null, immutable: false },
          ],
          errbacks: null,
          timelimit: [10, 5],
          taskset: 'g-1',
          chord: null,
        }),
      ),
      'content-encoding': 'utf-8',
      'content-type': 'application/json',
      headers: {},
      properties: { body_encoding: 'base64', delivery_info: {} },
    };
    const message = decodeTaskMessage(envelopeBody(v1));
    expect(message.protocol).toBe(1);
    expect(message.headers).toMatchObject({
      task: 'tasks.add',
      id: 'v1-1',
      retries: 1,
      group: 'g-1',
      timelimit: [10, 5],
    });
    expect(message.args).toEqual([1, 2]);
    expect(message.embed.callbacks?.[0]?.task).toBe('tasks.tsum');
    expect(message.embed.chain).toBeNull();
  });

  it('decodes a bare v1 task object sent without an envelope', () => {
    const message = decodeTaskMessage(
      JSON.stringify({ task: 'tasks.add', id: 'bare-1', args: [4, 5], kwargs: { x: 1 } }),
    );
    expect(message.headers.id).toBe('bare-1');
    expect(message.args).toEqual([4, 5]);
    expect(message.kwargs).toEqual({ x: 1 });
    expect(message.headers.argsrepr).toBe('(4, 5)');
  });

  it('decompresses a zlib body (compression="application/x-gzip")', () => {
    const envelope = {
      ...v2Envelope(''),
      body: deflateSync(Buffer.from('[[7], {}, null]')).toString('base64'),
      headers: { task: 'tasks.add', id: 'z-1', compression: 'application/x-gzip' },
    };
    expect(decodeTaskMessage(envelopeBody(envelope)).args).toEqual([7]);
  });

  describe('bad input', () => {
    const cases: Array<[string, string, new (...args: never[]) => Error, RegExp]> = [
      ['not base64 and not JSON', '%%% not a message', DecodeError, /neither/],
      ['base64 of text that is not JSON', base64Encode('hello there'), DecodeError, /not JSON/],
      [
        'JSON that is not a task',
        JSON.stringify({ hello: 'world' }),
        InvalidTaskError,
        /neither a kombu envelope/,
      ],
      [
        'a body of the wrong arity',
        envelopeBody(v2Envelope('[[1], {}]'.replace(']', '], 1, 2'))),
        InvalidTaskError,
        /list of 4/,
      ],
      [
        'a body that is not a list',
        envelopeBody(v2Envelope('"text"')),
        InvalidTaskError,
        /must be \[args, kwargs, embed\]/,
      ],
      [
        'args that are not a list',
        envelopeBody(v2Envelope('[1, {}, null]')),
        InvalidTaskError,
        /must be a list/,
      ],
      [
        'kwargs that are not a mapping',
        envelopeBody(v2Envelope('[[], [], null]')),
        InvalidTaskError,
        /must be a mapping/,
      ],
      [
        'a missing task name',
        envelopeBody(v2Envelope('[[], {}, null]', { task: '', id: 'x' })),
        InvalidTaskError,
        /no `task`/,
      ],
      [
        'a missing id',
        envelopeBody(v2Envelope('[[], {}, null]', { task: 'tasks.add' })),
        InvalidTaskError,
        /no `id`/,
      ],
      [
        'a bad retries header',
        envelopeBody(v2Envelope('[[], {}, null]', { task: 't', id: 'x', retries: 'two' })),
        InvalidTaskError,
        /`retries` must be an integer/,
      ],
      [
        'a bad timelimit',
        envelopeBody(v2Envelope('[[], {}, null]', { task: 't', id: 'x', timelimit: [1] })),
        InvalidTaskError,
        /timelimit/,
      ],
      ['a bad embed', envelopeBody(v2Envelope('[[], {}, 5]')), InvalidTaskError, /embed/],
      [
        'a body that is not base64',
        envelopeBody({ ...v2Envelope(''), body: '!!!' }),
        DecodeError,
        /not base64/,
      ],
      [
        'a body that is not JSON',
        envelopeBody(v2Envelope('[[1], {}, nul')),
        InvalidTaskError,
        /task body: not valid JSON/,
      ],
      [
        'an unknown type tag',
        envelopeBody(v2Envelope('[[{"__type__": "set", "__value__": []}], {}, null]')),
        InvalidTaskError,
        /unsupported type/,
      ],
      [
        'an unsupported compression',
        envelopeBody({
          ...v2Envelope('x'),
          headers: { task: 't', id: 'x', compression: 'application/x-bz2' },
        }),
        DecodeError,
        /bzip2|x-bz2/,
      ],
    ];
    for (const [what, body, type, message] of cases) {
      it(`throws ${type.name} for ${what}`, () => {
        expect(() => decodeTaskMessage(body)).toThrow(type);
        expect(() => decodeTaskMessage(body)).toThrow(message);
      });
    }

    for (const contentType of [
      'application/x-python-serialize',
      'application/x-yaml',
      'application/x-msgpack',
      'application/data',
      'text/weird',
    ]) {
      it(`refuses content type ${contentType} with ContentDisallowed naming it`, () => {
        const body = envelopeBody({ ...v2Envelope('[[], {}, null]'), 'content-type': contentType });
        expect(() => decodeTaskMessage(body)).toThrow(ContentDisallowed);
        expect(() => decodeTaskMessage(body)).toThrow(contentType);
      });
    }
  });

  it('reports an envelope without base64 as plain', () => {
    expect(decodeSqsMessageBody(PYTHON_ENVELOPE).wasBase64).toBe(false);
    expect(decodeSqsMessageBody(base64Encode(PYTHON_ENVELOPE)).wasBase64).toBe(true);
  });
});

describe('large messages', () => {
  it('decodes a 5 MB message without exhausting the stack', () => {
    const message = buildTaskMessage({
      taskId: 'big-1',
      name: 'tasks.echo',
      args: ['x'.repeat(5 * 1024 * 1024)],
      queue: 'celery',
      origin: 'gen1@h',
    });
    expect((decodeTaskMessage(encodeTaskMessage(message)).args[0] as string).length).toBe(5 * 1024 * 1024);
  });
});

describe('task ids on the way in', () => {
  const RULE =
    "printable ASCII of 1-200 characters without quotes or backslashes (Celery's DynamoDB keys quote it)";

  function refusal(headers: Record<string, unknown>): InvalidTaskError {
    try {
      decodeTaskMessage(envelopeBody(v2Envelope('[[], {}, null]', { task: 'tasks.add', ...headers })));
    } catch (error) {
      if (error instanceof InvalidTaskError) return error;
      throw error;
    }
    throw new Error('not refused');
  }

  it.each([
    ['L'.repeat(201), `"${'L'.repeat(199)}`],
    ["it's", '"it\'s"'],
    ['with space', '"with space"'],
    ['back\\slash', '"back\\\\slash"'],
    ['tab\tid', '"tab\\tid"'],
  ])('refuses the id %j, naming the rule, with no task id to store FAILURE under', (id, shown) => {
    const error = refusal({ id });
    expect(error.message.startsWith(`Header \`id\` must be ${RULE}, got ${shown}`)).toBe(true);
    expect(error.message.length).toBeLessThan(400);
    expect(error.taskId).toBeUndefined();
  });

  it.each(['root_id', 'parent_id', 'group'])('refuses an overlong %s, naming the message’s own id', (key) => {
    const error = refusal({ id: 't-1', [key]: 'x'.repeat(3000) });
    expect(error.message.startsWith(`Header \`${key}\` must be ${RULE}, got "xxx`)).toBe(true);
    expect(error.taskId).toBe('t-1');
  });

  it('reads ids of 200 printable characters, as a send may write them', () => {
    const id = `${'a'.repeat(190)}-~!#$%&()*`;
    const message = decodeTaskMessage(
      envelopeBody(
        v2Envelope('[[], {}, null]', { task: 'tasks.add', id, root_id: id, parent_id: id, group: id }),
      ),
    );
    expect(message.headers).toMatchObject({ id, root_id: id, parent_id: id, group: id });
  });

  it('refuses an overlong id in a bare v1 task object too', () => {
    const bare = JSON.stringify({ task: 'tasks.add', id: 'L'.repeat(3000), args: [], kwargs: {} });
    expect(() => decodeTaskMessage(bare)).toThrow(`Header \`id\` must be ${RULE}`);
  });
});
