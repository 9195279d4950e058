/**
 * The in-memory examples of docs/testing.md, run as written: the `src/tasks.ts` block defines the tasks, the
 * `test/tasks.test.ts` block registers its tests here, with the imports bound to this repository's modules.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../../src/index.js';
import { createTestApp, startTestWorker } from '../../../src/testing/index.js';

const doc = readFileSync(path.resolve(import.meta.dirname, '../../../docs/testing.md'), 'utf8');
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1] as string);
const block = (file: string): string => {
  const found = blocks.find((code) => code.startsWith(`// ${file}\n`));
  if (found === undefined) throw new Error(`docs/testing.md has no block that starts with // ${file}`);
  return found;
};

/** The block as a script: its imports are the names this test passes in, its exports plain declarations. */
const script = (code: string): string =>
  transformSync(code.replace(/^import [\s\S]*?;$/gm, '').replace(/^export /gm, ''), { loader: 'ts' }).code;

describe('docs/testing.md, in memory', () => {
  const names = { createApp, createTestApp, startTestWorker, beforeAll, afterAll, expect, it };
  // The tasks module in a scope of its own, whose registerTasks the test file gets, as through its import.
  const tasks = `const { registerTasks } = (() => {\n${script(block('src/tasks.ts'))}\nreturn { registerTasks };\n})();`;
  const body = `${tasks}\n${script(block('test/tasks.test.ts'))}`;
  new Function(...Object.keys(names), body)(...Object.values(names));
});
