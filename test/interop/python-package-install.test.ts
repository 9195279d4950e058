/**
 * `celeriac-celery` installs from the repository into a fresh venv, and `celeriac_celery.enable(app)` there makes
 * a Celery app claim its tasks: the claiming backend, late acknowledgement, requeue on a lost worker, the
 * package's Task base class, and settings from celeriac's variables.
 *
 * Offline and fast: the venv is made by the project venv's interpreter with `--without-pip`, and the project
 * venv's pip installs both packages into it (`pip --python <venv>`) with `--no-deps --no-build-isolation
 * --no-index`, so nothing is downloaded: the build uses the project venv's setuptools and wheel (pinned in
 * python/requirements.txt), and the runtime dependencies (celery, boto3) come from the project venv through a
 * `.pth` file. `pip check` then proves that the installed packages' declared requirements (celery, boto3,
 * celeriac-events) are met. The sources are copied first, so the build leaves nothing in the work tree.
 */
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, venvBin } from '../emulator/moto-server.js';

const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), 'celeriac-celery-install-'));
const venv = path.join(work, 'venv');
const projectPython = venvBin('python');
const freshPython = path.join(venv, 'bin', 'python');

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** An environment without the test run's PYTHONPATH, so only what is installed in the venv is importable. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const { PYTHONPATH: _ignored, ...env } = process.env;
  return { ...env, PYTHONDONTWRITEBYTECODE: '1', ...extra };
}

async function pythonJson<T>(code: string, env: Record<string, string> = {}): Promise<T> {
  const { stdout } = await run(freshPython, ['-c', code], { env: cleanEnv(env), cwd: work });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

interface Installed {
  readonly site: string;
  readonly install: string;
  readonly check: string;
  readonly shown: string;
}

/** Copies the sources, makes the venv and installs both packages into it. */
async function installFromRepository(): Promise<Installed> {
  const sources = ['celeriac_events', 'celeriac_celery'].map((name) => {
    const copy = path.join(work, 'src', name);
    cpSync(path.join(repoRoot, 'python', name), copy, {
      recursive: true,
      filter: (from) => !/(^|\/)(build|__pycache__|[^/]*\.egg-info)$/.test(from),
    });
    return copy;
  });
  await run(projectPython, ['-m', 'venv', '--without-pip', venv]);
  const { stdout: site } = await run(freshPython, [
    '-c',
    'import sysconfig; print(sysconfig.get_path("purelib"))',
  ]);
  const { stdout: projectSite } = await run(projectPython, [
    '-c',
    'import sysconfig; print(sysconfig.get_path("purelib"))',
  ]);
  writeFileSync(path.join(site.trim(), 'project-dependencies.pth'), `${projectSite.trim()}\n`);
  const pip = (...args: string[]) =>
    run(projectPython, ['-m', 'pip', '--disable-pip-version-check', '--python', freshPython, ...args], {
      env: cleanEnv(),
    });
  const install = await pip('install', '--no-deps', '--no-build-isolation', '--no-index', ...sources);
  const check = await pip('check');
  const shown = await pip('show', 'celeriac-celery');
  return { site: site.trim(), install: install.stdout, check: check.stdout, shown: shown.stdout };
}

let installed: Installed;
beforeAll(async () => {
  installed = await installFromRepository();
}, 120_000);

describe('the celeriac-celery package', () => {
  it('installs into a fresh venv from the repository, offline, with its requirements met', async () => {
    expect(installed.install).toMatch(
      /Successfully installed celeriac-celery-0\.1\.0 celeriac-events-0\.1\.0/,
    );
    expect(installed.check).toMatch(/No broken requirements found/);
    const requires = /^Requires: (.*)$/m.exec(installed.shown)?.[1]?.split(', ') ?? [];
    expect(requires.sort()).toEqual(['boto3', 'celeriac-events', 'celery']);
    const files = await pythonJson<{ file: string; events: string }>(
      'import json, celeriac_celery, celeriac_events\n' +
        'print(json.dumps({"file": celeriac_celery.__file__, "events": celeriac_events.__file__}))',
    );
    // Imported from the venv's site-packages, not from the repository.
    expect(files.file.startsWith(installed.site)).toBe(true);
    expect(files.events.startsWith(installed.site)).toBe(true);
  });

  it('enable(app) turns on the claim: backend, acks_late, reject_on_worker_lost, Task base, settings', {
    timeout: 60_000,
  }, async () => {
    const backendUrl = 'dynamodb://key:secret@us-east-1/app-results';
    const seen = await pythonJson<{
      backend: string;
      backendClass: string;
      acksLate: boolean;
      rejectOnWorkerLost: boolean;
      claiming: boolean;
      table: string;
      lease: number;
      ttl: number | null;
      settingsIsApps: boolean;
    }>(
      [
        'import json',
        'from celery import Celery',
        'from celery.app.backends import by_url',
        'import celeriac_celery',
        'app = Celery("installed")',
        `app.conf.update(result_backend=${JSON.stringify(backendUrl)}, broker_url="sqs://",`,
        '    broker_transport_options={"visibility_timeout": 45})',
        'settings = celeriac_celery.enable(app)',
        '@app.task(name="tasks.add")',
        'def add(a, b):',
        '    return a + b',
        'print(json.dumps({',
        '    "backend": app.conf.result_backend,',
        '    "backendClass": by_url(app.conf.result_backend)[0].__name__,',
        '    "acksLate": add.acks_late,',
        '    "rejectOnWorkerLost": add.reject_on_worker_lost,',
        '    "claiming": isinstance(add._get_current_object(), celeriac_celery.ClaimingTask),',
        '    "table": settings.result_table,',
        '    "lease": settings.lease_seconds,',
        '    "ttl": settings.ttl_seconds,',
        '    "settingsIsApps": app.celeriac_settings is settings,',
        '}))',
      ].join('\n'),
      // celeriac's variable wins over the backend URL's table, as for celeriac's workers.
      {
        CELERIAC_RESULT_TABLE: 'shared-results',
        CELERIAC_RESULT_TTL_SECONDS: '3600',
        AWS_DEFAULT_REGION: 'us-east-1',
      },
    );
    expect(seen).toEqual({
      backend: `celeriac_celery.backend.ClaimingDynamoDBBackend+${backendUrl}`,
      backendClass: 'ClaimingDynamoDBBackend',
      acksLate: true,
      rejectOnWorkerLost: true,
      claiming: true,
      table: 'shared-results',
      lease: 45,
      ttl: 3600,
      settingsIsApps: true,
    });
  });

  it('enable(app) refuses a result backend that cannot hold the claim, saying what to set', async () => {
    const refused = await pythonJson<{ error: string; message: string }>(
      [
        'import json',
        'from celery import Celery',
        'import celeriac_celery',
        'app = Celery("installed", backend="redis://localhost/0")',
        'try:',
        '    celeriac_celery.enable(app)',
        '    print(json.dumps({"error": None, "message": ""}))',
        'except celeriac_celery.SettingsError as error:',
        '    print(json.dumps({"error": type(error).__name__, "message": str(error)}))',
      ].join('\n'),
    );
    expect(refused.error).toBe('SettingsError');
    expect(refused.message).toMatch(/result_backend is 'redis:\/\/localhost\/0'.*dynamodb:\/\//);
  });
});
