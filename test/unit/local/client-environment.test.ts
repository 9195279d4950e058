import { describe, expect, it } from 'vitest';
import { mergeClientEnvironment, parseDotenv, renderDotenv } from '../../../src/local/client-environment.js';

const worker = {
  functionName: 'Shop-TasksWorker1234-ABC',
  variables: {
    CELERIAC_QUEUE_URLS: '{"celery":"http://localhost:4566/000000000000/Shop-Tasks"}',
    CELERIAC_DEFAULT_QUEUE: 'celery',
    CELERIAC_RESULT_TABLE: 'Shop-Results',
    CELERIAC_PAYLOAD_BUCKET: 'shop-payloads',
    NODE_OPTIONS: '--enable-source-maps',
  },
};
const api = {
  functionName: 'Shop-Api5678-DEF',
  variables: {
    CELERIAC_QUEUE_URLS:
      '{"celery":"http://localhost:4566/000000000000/Shop-Tasks","reports":"http://localhost:4566/000000000000/Shop-Reports"}',
    CELERIAC_DEFAULT_QUEUE: 'celery',
    CELERIAC_RESULT_TABLE: 'Shop-Results',
  },
};
const elsewhere = {
  functionName: 'Other-Worker-XYZ',
  variables: { CELERIAC_QUEUE_URLS: '{"celery":"http://other"}', CELERIAC_RESULT_TABLE: 'Other-Results' },
};

describe('mergeClientEnvironment', () => {
  it("takes every queue the stack's functions know and the result store they share", () => {
    const merged = mergeClientEnvironment([api, elsewhere, worker], ['Shop']);
    expect(merged.variables).toEqual({
      CELERIAC_QUEUE_URLS:
        '{"celery":"http://localhost:4566/000000000000/Shop-Tasks","reports":"http://localhost:4566/000000000000/Shop-Reports"}',
      CELERIAC_DEFAULT_QUEUE: 'celery',
      CELERIAC_RESULT_TABLE: 'Shop-Results',
      CELERIAC_PAYLOAD_BUCKET: 'shop-payloads',
    });
    expect(merged.sources).toEqual(['Shop-Api5678-DEF', 'Shop-TasksWorker1234-ABC']);
    expect(merged.conflicts).toEqual([]);
  });

  it('reports functions that disagree and keeps the first value seen', () => {
    const merged = mergeClientEnvironment([worker, elsewhere], []);
    expect(merged.variables.CELERIAC_RESULT_TABLE).toBe('Shop-Results');
    expect(merged.conflicts).toEqual([
      'Other-Worker-XYZ: queue celery is http://other, kept http://localhost:4566/000000000000/Shop-Tasks',
      'Other-Worker-XYZ: CELERIAC_RESULT_TABLE is Other-Results, kept Shop-Results',
    ]);
  });

  it("takes the first function's default queue when there is no queue named celery", () => {
    const merged = mergeClientEnvironment([
      {
        functionName: 'A-W',
        variables: { CELERIAC_QUEUE_URLS: '{"b":"u1","a":"u2"}', CELERIAC_DEFAULT_QUEUE: 'b' },
      },
    ]);
    expect(merged.variables).toEqual({
      CELERIAC_QUEUE_URLS: '{"a":"u2","b":"u1"}',
      CELERIAC_DEFAULT_QUEUE: 'b',
    });
  });

  it('writes nothing for functions without celeriac variables', () => {
    const merged = mergeClientEnvironment([{ functionName: 'X', variables: { FOO: 'bar' } }], ['X']);
    expect(merged.variables).toEqual({});
    expect(merged.sources).toEqual([]);
  });
});

describe('renderDotenv and parseDotenv', () => {
  it('write JSON values that read back unchanged, with a comment header', () => {
    const variables = {
      CELERIAC_QUEUE_URLS: '{"celery":"http://127.0.0.1:4566/0/q"}',
      AWS_REGION: 'us-east-1',
    };
    const text = renderDotenv(variables, ['written by a test']);
    expect(text).toBe(
      `# written by a test\nCELERIAC_QUEUE_URLS='{"celery":"http://127.0.0.1:4566/0/q"}'\nAWS_REGION='us-east-1'\n`,
    );
    expect(parseDotenv(text)).toEqual(variables);
  });

  it('reads export lines and unquoted values too', () => {
    expect(parseDotenv('export A=1\nB="two"\n# C=3\n')).toEqual({ A: '1', B: 'two' });
  });

  it('refuses a value a single-quoted line cannot hold', () => {
    expect(() => renderDotenv({ A: "it's" })).toThrow(/A cannot be written to a dotenv file/);
  });
});
