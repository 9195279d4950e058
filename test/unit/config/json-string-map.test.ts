import { describe, expect, it } from 'vitest';
import { parseJsonStringMap } from '../../../src/config/json-string-map.js';
import { resolveConfig } from '../../../src/config/resolve-config.js';
import { ImproperlyConfigured } from '../../../src/errors.js';

const queueUrls = {
  variable: 'CELERIAC_QUEUE_URLS',
  setting: 'queueUrls',
  keys: 'queue name',
  values: 'URL',
};

describe('JSON-object settings', () => {
  it('reads a JSON object of strings, and nothing from an absent or empty variable', () => {
    expect(parseJsonStringMap('{"celery":"https://sqs/q","high":"https://sqs/h"}', queueUrls)).toEqual({
      celery: 'https://sqs/q',
      high: 'https://sqs/h',
    });
    expect(parseJsonStringMap(undefined, queueUrls)).toEqual({});
    expect(parseJsonStringMap('', queueUrls)).toEqual({});
  });

  it.each([
    ['{nope', /^CELERIAC_QUEUE_URLS must be a JSON object of queue name to URL, got "\{nope"$/],
    ['["a"]', /^CELERIAC_QUEUE_URLS must be a JSON object of queue name to URL, got \["a"\]$/],
    [
      '{"celery":1}',
      /^CELERIAC_QUEUE_URLS must be a JSON object of queue name to URL strings, got 1 for "celery"$/,
    ],
  ])('refuses %s, naming the variable and what it must hold', (text, message) => {
    const parse = () => parseJsonStringMap(text, queueUrls);
    expect(parse).toThrow(ImproperlyConfigured);
    expect(parse).toThrow(message);
  });

  it('names the option in the error resolveConfig throws', () => {
    let thrown: unknown;
    try {
      resolveConfig({ env: { CELERIAC_QUEUE_URLS: '{"celery":null}' } });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ImproperlyConfigured);
    expect(thrown).toMatchObject({ setting: 'queueUrls' });
  });
});
