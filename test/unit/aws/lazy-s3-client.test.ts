/**
 * `@aws-sdk/client-s3` loads only when an app uses S3: an app without a payload bucket never loads it (a Lambda
 * worker's cold start does not pay for it), and one with a bucket loads it on its first payload request. Each
 * case runs in a fresh Node process whose module resolution is watched by a loader hook.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/** A resolve hook that prints each resolved `@aws-sdk/client-*` package once, on stderr (synchronously: it runs on the hooks' thread). */
const HOOK = `
import { writeSync } from 'node:fs';
const seen = new Set();
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const match = /@aws-sdk\\/(client-[a-z0-9-]+)\\//.exec(resolved.url);
  if (match && !seen.has(match[1])) { seen.add(match[1]); writeSync(2, 'loaded ' + match[1] + '\\n'); }
  return resolved;
}`;
const REGISTER = `import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(HOOK)}));`;

/** Runs `script` (TypeScript, in the repository) and returns the SDK client packages it loaded. */
async function loadedClients(script: string): Promise<string[]> {
  const { stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, '--import', 'tsx', '--eval', script],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'unit',
        AWS_SECRET_ACCESS_KEY: 'unit',
        AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
      },
    },
  );
  return [...stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1] ?? '');
}

describe('the S3 client loads on first use', () => {
  it('is never loaded by an app without a payload bucket', async () => {
    const loaded = await loadedClients(`
      const { createApp } = await import('./src/index.ts');
      const app = createApp({ name: 'lazy', resultTable: 'results', queueUrls: { celery: 'http://127.0.0.1:9/000000000000/q' } });
      app.task('lazy.add', (a, b) => a + b);
      void app.runtime;
    `);
    expect(loaded).toEqual(expect.arrayContaining(['client-sqs', 'client-dynamodb']));
    expect(loaded).not.toContain('client-s3');
  }, 60_000);

  it('is loaded by the payload store on its first request, not when it is built', async () => {
    const loaded = await loadedClients(`
      const { createAwsClients } = await import('./src/aws/clients.ts');
      const { S3PayloadStore } = await import('./src/aws/s3-payload-store.ts');
      const store = new S3PayloadStore(createAwsClients().s3, { bucket: 'payloads', prefix: 'celeriac/' });
      process.stderr.write('loaded store-built\\n');
      await store.put('t-1/message.json', new Uint8Array(1)).catch(() => undefined);
    `);
    const built = loaded.indexOf('store-built');
    expect(built).toBeGreaterThan(0);
    expect(loaded.slice(0, built)).not.toContain('client-s3');
    expect(loaded.slice(built)).toContain('client-s3');
  }, 60_000);
});
