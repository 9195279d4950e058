/**
 * Runs every example of docs/workflows.md on the memory transport, with a worker draining the queue while it
 * runs, and checks what each prints against the `// value` comment on its `console.log` line.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { transform } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import {
  chain,
  chord,
  chunks,
  group,
  registerMapTasks,
  signature,
  xmap,
  xstarmap,
} from '../../../src/canvas/index.js';
import { memoryApp } from '../../helpers/memory-app.js';
import { drain } from './drain.js';

const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/workflows.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] as string);
/** The setup block (imports and tasks), then the examples: every block that prints. */
const examples = blocks.filter((block) => block.includes('console.log('));

const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<void>;

let stop: (() => void) | undefined;
afterEach(() => stop?.());

async function run(code: string): Promise<{ printed: unknown[]; expected: unknown[] }> {
  const fx = memoryApp();
  const setup = (blocks[0] as string).replace(/^import .*$/gm, '');
  const expected = [...code.matchAll(/console\.log\(.*\); \/\/ (.+)$/gm)].map((m) =>
    JSON.parse(m[1] as string),
  );
  const { code: js } = await transform(`${setup}\n${code}`, { loader: 'ts', format: 'esm' });
  const printed: unknown[] = [];
  let running = true;
  stop = () => {
    running = false;
  };
  const loop = (async () => {
    while (running) {
      await drain(fx);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  })();
  const names = [
    'app',
    'chain',
    'chord',
    'group',
    'signature',
    'chunks',
    'xmap',
    'xstarmap',
    'registerMapTasks',
  ];
  const fn = new AsyncFunction(...names, 'console', js);
  await fn(fx.app, chain, chord, group, signature, chunks, xmap, xstarmap, registerMapTasks, {
    log: (value: unknown) => printed.push(value),
  });
  running = false;
  await loop;
  return { printed, expected };
}

describe('docs/workflows.md examples', () => {
  it('has examples to run', () => {
    expect(examples.length).toBeGreaterThanOrEqual(8);
  });

  for (const [index, example] of examples.entries()) {
    const title = example.split('\n')[0]?.slice(0, 80) ?? `example ${index}`;
    it(`runs: ${title}`, async () => {
      const { printed, expected } = await run(example);
      expect(expected.length).toBeGreaterThan(0);
      expect(JSON.parse(JSON.stringify(printed))).toEqual(expected);
    });
  }
});
