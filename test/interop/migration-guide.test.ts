/**
 * Runs the commands of docs/migrating-from-celery.md, in the order the guide gives them, against the emulator, as
 * test/unit/canvas/docs-examples.test.ts runs docs/workflows.md's examples: every line of its `bash` blocks. The
 * guide's app is the fixture pair (`proj` is `test/interop/fixtures/migration_app.py`, `dist/worker.js` is
 * `test/interop/fixtures/migration-app.ts`, both defining `tasks.quote`, shadow-safe, whose celeriac version adds 1
 * to odd results); its queue names get this test's prefix, and `aws sqs create-queue` is done with the SDK. After
 * each `celeriac route` the test sends `tasks.quote` tasks and checks which side ran them (by the value), and it
 * checks what `celeriac shadow report` prints. The `pip install` line is run by
 * test/interop/python-package-install.test.ts; here the two packages it names are put on `PYTHONPATH`.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureResultTable } from '../../src/aws/index.js';
import { createApp } from '../../src/index.js';
import { repoRoot } from '../emulator/moto-server.js';
import { uniqueName } from '../emulator/unique-name.js';
import { type CliProcess, startCli } from '../helpers/cli-process.js';
import { createQueueWithDeadLetter } from '../helpers/sqs-queues.js';
import {
  type MigrationPythonWorker,
  runCli,
  startMigrationPythonWorker,
} from './fixtures/migration-fleet.js';

const doc = readFileSync(path.join(repoRoot, 'docs', 'migrating-from-celery.md'), 'utf8');
const commands = [...doc.matchAll(/```bash\n([\s\S]*?)```/g)]
  .flatMap((match) => (match[1] as string).split('\n'))
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

const endpoint = process.env.AWS_ENDPOINT_URL;
const sqs = new SQSClient({ endpoint, useQueueUrlAsEndpoint: false });
const ddb = new DynamoDBClient({ endpoint });
const prefix = `${uniqueName('mig-guide')}-`;
const resultTable = uniqueName('mig-guide-results');
const vars: Record<string, string> = {};
const env = {
  CELERIAC_TEST_QUEUE_PREFIX: prefix,
  CELERIAC_TEST_RESULT_TABLE: resultTable,
  CELERIAC_RESULT_TABLE: resultTable,
  CELERIAC_MIGRATION_REFRESH_SECONDS: '1',
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The words of a command line, its `"$VAR"`s replaced. */
function words(line: string): string[] {
  return line
    .replace(/"?\$(\w+)"?/g, (_all, name: string) => {
      const value = vars[name];
      if (value === undefined) throw new Error(`the guide uses $${name} before setting it: ${line}`);
      return value;
    })
    .split(/\s+/);
}

describe('docs/migrating-from-celery.md', () => {
  let python: MigrationPythonWorker | undefined;
  let celeriac: CliProcess | undefined;

  afterAll(async () => {
    celeriac?.child.kill('SIGTERM');
    await celeriac?.exited;
    await python?.stop();
  }, 30_000);

  it('has the commands of every step', () => {
    const verbs = commands.map((line) => line.split(/\s+/).slice(0, 3).join(' '));
    expect(verbs).toEqual(
      expect.arrayContaining([
        'pip install ./python/celeriac_events',
        'celery -A proj',
        'celeriac worker --app',
        'celeriac route tasks.quote',
        'celeriac shadow report',
        'celeriac route',
      ]),
    );
  });

  it('moves tasks.quote from Python to celeriac and back with the commands as written', async () => {
    await ensureResultTable(ddb, resultTable);
    const client = createApp({
      queueNamePrefix: prefix,
      resultTable,
      env: { AWS_ENDPOINT_URL: endpoint },
    });
    await createQueueWithDeadLetter(sqs, `${prefix}celery`, { maxReceiveCount: 20 });
    /** Sends `tasks.quote(n)` for each n once the workers re-read the routes; resolves with the values. */
    const quote = async (ns: number[]): Promise<number[]> => {
      await sleep(2000);
      const results = await client.sendTasks<number>(ns.map((n) => ({ name: 'tasks.quote', args: [n] })));
      return Promise.all(results.map((result) => result.get({ timeoutMs: 30_000 })));
    };
    const seen: string[] = [];
    for (const line of commands) {
      seen.push(line);
      const created = /^export (\w+)="\$\(aws sqs create-queue --queue-name (\S+) /.exec(line);
      if (created) {
        const { queueUrl } = await createQueueWithDeadLetter(sqs, `${prefix}${created[2]}`, {
          maxReceiveCount: 20,
        });
        vars[created[1] as string] = queueUrl;
        continue;
      }
      const [program, ...args] = words(line);
      if (program === 'pip') {
        expect(args.slice(0, 1)).toEqual(['install']);
        for (const dir of args.slice(1))
          expect(existsSync(path.join(repoRoot, dir, 'pyproject.toml')), dir).toBe(true);
        continue;
      }
      if (program === 'celery') {
        expect(args.slice(0, 3)).toEqual(['-A', 'proj', 'worker']);
        const queues = (args[args.indexOf('-Q') + 1] ?? '').split(',');
        python = await startMigrationPythonWorker({ queues, env });
        continue;
      }
      expect(program, line).toBe('celeriac');
      if (args[0] === 'worker') {
        const appAt = args.indexOf('--app') + 1;
        expect(args[appAt]).toBe('dist/worker.js');
        args[appAt] = 'test/interop/fixtures/migration-app.ts';
        celeriac = startCli([...args, '--wait-time', '1'], env);
        await celeriac.waitFor(/consuming .*proj-celeriac/);
        continue;
      }
      const run = await runCli(args, env);
      expect(run.code, `${line}\n${run.output}`).toBe(0);
      if (line === 'celeriac route tasks.quote shadow') {
        // Python runs them (its values); celeriac shadows them.
        expect(await quote([1, 2, 3, 4])).toEqual([10, 20, 30, 40]);
      } else if (line.startsWith('celeriac shadow report')) {
        let output = run.output;
        for (let attempt = 0; attempt < 20 && !output.includes('(of 4 shadow results)'); attempt += 1) {
          await sleep(1000);
          output = (await runCli(args, env)).output;
        }
        expect(output).toMatch(/ {2}tasks\.quote {2}python: SUCCESS 10 {2}celeriac: SUCCESS 11\n/);
        expect(output).toMatch(/ {2}tasks\.quote {2}python: SUCCESS 30 {2}celeriac: SUCCESS 31\n/);
        expect(output).toContain('2 differ, 2 same, 0 waiting for the real result (of 4 shadow results)');
      } else if (line === 'celeriac route tasks.quote celeriac') {
        expect(await quote([5, 6])).toEqual([51, 60]);
      } else if (line === 'celeriac route tasks.quote python') {
        expect(await quote([7, 8])).toEqual([70, 80]);
      } else if (line === 'celeriac route') {
        expect(run.output).toContain(
          `tasks.quote: python python-queue=${vars.PYTHON_QUEUE_URL} celeriac-queue=${vars.CELERIAC_QUEUE_URL}`,
        );
      }
    }
    // Every step ran, the last being the listing of the routes.
    expect(seen).toEqual(commands);
    expect(seen.at(-1)).toBe('celeriac route');
  }, 85_000);
});
