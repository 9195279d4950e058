import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readLambdaLogs } from '../../../src/local/lambda-logs.js';

// The shape of MiniStack 1.5.33's log (`.celeriac/local/emulator.log`).
const LOG = `2026-12-01 12:11:11 INFO [ministack] 
  __  __ _       _ ____  _             _
 Local AWS Service Emulator — Port 4566
2026-12-01 12:11:11 INFO [ministack] Ready — 91 services available on port 4566.
2026-12-01 12:11:20 INFO [ssm] SSM PutParameter: /cdk-bootstrap/hnb659fds/version v1 type=String
2026-12-01 12:11:30 INFO [lambda_runtime] Lambda worker spawned for Demo-Worker (nodejs22.x, cold start)
2026-12-01 12:11:30 INFO [lambda] ESM: Lambda Demo-Worker processed 1 SQS messages from Demo-Queue
2026-12-01 12:11:30 INFO [lambda] ESM: Lambda Demo-Worker output:
task 7a97 tasks.add SUCCESS 139ms
2026-12-01 12:11:38 INFO [ministack] MiniStack shutting down...
`;

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function logFile(text: string): string {
  dir = mkdtempSync(path.join(tmpdir(), 'celeriac-logs-'));
  const file = path.join(dir, 'emulator.log');
  writeFileSync(file, text);
  return file;
}

describe('readLambdaLogs', () => {
  it('keeps the Lambda lines and what the function printed, and leaves out the rest', async () => {
    const lines: string[] = [];
    const count = await readLambdaLogs(logFile(LOG), (line) => lines.push(line));
    expect(lines).toEqual([
      '2026-12-01 12:11:30 INFO [lambda_runtime] Lambda worker spawned for Demo-Worker (nodejs22.x, cold start)',
      '2026-12-01 12:11:30 INFO [lambda] ESM: Lambda Demo-Worker processed 1 SQS messages from Demo-Queue',
      '2026-12-01 12:11:30 INFO [lambda] ESM: Lambda Demo-Worker output:',
      'task 7a97 tasks.add SUCCESS 139ms',
    ]);
    expect(count).toBe(4);
  });

  it('with all, hands over every line', async () => {
    const lines: string[] = [];
    await readLambdaLogs(logFile(LOG), (line) => lines.push(line), { all: true });
    expect(lines).toEqual(LOG.trimEnd().split('\n'));
  });

  it('with follow, hands over lines appended later until aborted', async () => {
    const file = logFile(LOG);
    const lines: string[] = [];
    const controller = new AbortController();
    const done = readLambdaLogs(file, (line) => lines.push(line), {
      follow: true,
      signal: controller.signal,
      pollMs: 20,
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    appendFileSync(
      file,
      '2026-12-01 12:12:00 INFO [lambda] ESM: Lambda Demo-Worker output:\ntask 8b tasks.add',
    );
    appendFileSync(file, ' SUCCESS 5ms\n');
    await new Promise((resolve) => setTimeout(resolve, 100));
    controller.abort();
    expect(await done).toBe(6);
    expect(lines.slice(4)).toEqual([
      '2026-12-01 12:12:00 INFO [lambda] ESM: Lambda Demo-Worker output:',
      'task 8b tasks.add SUCCESS 5ms',
    ]);
  });

  it('hands over nothing when the emulator has written no log yet', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'celeriac-logs-'));
    expect(await readLambdaLogs(path.join(dir, 'missing.log'), () => {})).toBe(0);
  });
});
