/**
 * The deployed stack on the local emulator (`npm run test:local`; `test/local-setup.ts` starts the emulator and
 * deploys the stack): the API Lambda answers with a result the worker Lambda computed, and a task sent from here
 * runs in the deployed worker.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createApp } from 'celeriac';
import { describe, expect, it } from 'vitest';
import { OUTPUTS, STACK_NAME } from '../lib/outputs.js';
import { registerTasks } from '../src/tasks.js';
import { TEST_STATE_DIR } from './local-state.js';

/** What `celeriac local deploy` wrote (test/local-setup.ts): the stack's outputs and the client's environment. */
const state = TEST_STATE_DIR;
const stacks = JSON.parse(readFileSync(path.join(state, 'outputs.json'), 'utf8')) as Record<
  string,
  Record<string, string>
>;
const outputs = stacks[STACK_NAME] ?? {};
const clientEnv = parseEnv(readFileSync(path.join(state, 'env'), 'utf8'));

describe('the stack on the local emulator', () => {
  it('answers through the API Lambda with the sum the worker Lambda computed', async () => {
    const lambda = new LambdaClient({});
    const response = await lambda.send(
      new InvokeCommand({
        FunctionName: outputs[OUTPUTS.apiFunctionName],
        Payload: JSON.stringify({ a: 2, b: 3 }),
      }),
    );
    const payload = new TextDecoder().decode(response.Payload);
    expect(response.FunctionError, payload).toBeUndefined();
    expect(JSON.parse(payload)).toMatchObject({ sum: 5, taskId: expect.any(String) });
  });

  it('runs a task sent from here in the deployed worker', async () => {
    const app = createApp({ name: '{{name}}', env: { ...process.env, ...clientEnv } });
    const { add } = registerTasks(app);
    const result = await add.delay(40, 2);
    expect(await result.get({ timeoutMs: 30_000 })).toBe(42);
  });
});
