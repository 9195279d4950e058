/**
 * The dashboard server over real HTTP on a loopback port, for an app on the memory transport: who may talk to it
 * (loopback Host, token by header, cookie or ?token=), that writes need a same-origin JSON POST, the purge's
 * confirmation, "no such task", and a revoke through the API.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboardContext, type DashboardContext } from '../../../src/dashboard/dashboard-context.js';
import { type DashboardServer, startDashboardServer } from '../../../src/dashboard/server.js';
import { createTestApp } from '../../../src/testing/create-test-app.js';

const TOKEN = 'a-token-of-at-least-16-chars';
let server: DashboardServer | undefined;
let ctx: DashboardContext | undefined;

afterEach(async () => {
  await server?.close();
  ctx?.close();
  server = undefined;
});

async function start(options: { token?: string } = {}) {
  const dir = await mkdtemp(path.join(tmpdir(), 'dash-assets-'));
  await writeFile(path.join(dir, 'app.js'), 'console.log("app")');
  await writeFile(path.join(dir, 'app.css'), 'body{}');
  const app = createTestApp({ resultExtended: true });
  ctx = createDashboardContext(app);
  server = await startDashboardServer(ctx, { port: 0, assetsDir: dir, ...options });
  return { app, port: server.port };
}

function call(
  port: number,
  pathname: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: pathname,
        method: options.method ?? 'GET',
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

const json = { 'content-type': 'application/json' };

describe('the dashboard server', () => {
  it('serves the page and the API on loopback, and refuses a Host that is not its loopback address', async () => {
    const { port } = await start();
    const page = await call(port, '/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('/assets/app.js');
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect((await call(port, '/assets/app.js')).body).toBe('console.log("app")');
    expect(JSON.parse((await call(port, '/api/overview')).body)).toMatchObject({ taskIndex: false });
    const rebound = await call(port, '/api/overview', { headers: { host: `attacker.example:${port}` } });
    expect(rebound.status).toBe(421);
  });

  it('refuses to listen beyond loopback without a token of 16 characters or more', async () => {
    const app = createTestApp();
    ctx = createDashboardContext(app);
    await expect(startDashboardServer(ctx, { host: '0.0.0.0', port: 0, token: 'short' })).rejects.toThrow(
      /--token with at least 16 characters/,
    );
  });

  it('with a token, wants it on every request: header, bearer, or the cookie ?token= sets', async () => {
    const { port } = await start({ token: TOKEN });
    expect((await call(port, '/api/overview')).status).toBe(401);
    expect((await call(port, '/')).status).toBe(401);
    expect(
      (await call(port, '/api/overview', { headers: { 'x-celeriac-token': 'wrong-token-wrong-token' } }))
        .status,
    ).toBe(401);
    expect(
      (await call(port, '/api/overview', { headers: { authorization: `Bearer ${TOKEN}` } })).status,
    ).toBe(200);
    const login = await call(port, `/?token=${TOKEN}`);
    expect(login.status).toBe(302);
    expect(login.headers.location).toBe('/');
    const cookie = String(login.headers['set-cookie']).split(';')[0] ?? '';
    expect(String(login.headers['set-cookie'])).toContain('HttpOnly');
    expect((await call(port, '/api/overview', { headers: { cookie } })).status).toBe(200);
  });

  it('keeps the token out of the cookie: a session id, under a name with the port in it', async () => {
    const { port } = await start({ token: TOKEN });
    const login = await call(port, `/?token=${TOKEN}`);
    const [name, value = ''] = (String(login.headers['set-cookie']).split(';')[0] ?? '').split('=');
    expect(name).toBe(`celeriac_session_${port}`);
    expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(value).not.toContain(TOKEN);
    const status = async (cookie: string) =>
      (await call(port, '/api/overview', { headers: { cookie } })).status;
    expect(await status(`celeriac_session_${port}=${value}`)).toBe(200);
    // The token itself in a cookie, another port's session, or a malformed value: not a session.
    expect(await status(`celeriac_session_${port}=${TOKEN}`)).toBe(401);
    expect(await status(`celeriac_token=${TOKEN}`)).toBe(401);
    expect(await status(`celeriac_session_${port + 1}=${value}`)).toBe(401);
    expect(await status(`celeriac_session_${port}=%E0`)).toBe(401);
  });

  it('answers the API only to its own page: a request the browser marks as from another site is refused', async () => {
    const { port } = await start();
    const from = async (site: string, pathname = '/api/dlq/celery/messages?max=100') =>
      (await call(port, pathname, { headers: { 'sec-fetch-site': site } })).status;
    expect(await from('cross-site')).toBe(403);
    expect(await from('same-site')).toBe(403);
    expect(await from('cross-site', '/api/overview')).toBe(403);
    expect(await from('same-origin', '/api/overview')).toBe(200);
    expect(await from('none', '/api/overview')).toBe(200);
    // A link from elsewhere may open the page itself.
    expect(await from('cross-site', '/')).toBe(200);
  });

  it('refuses a malformed path escape and too many queues at once with 400', async () => {
    const { port } = await start();
    const malformed = await call(port, '/api/tasks/%E0');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.body).error.message).toMatch(/malformed percent escape/);
    const many = Array.from({ length: 51 }, (_, i) => `q${i}`).join(',');
    const queues = await call(port, `/api/queues?queue=${many},q0`);
    expect(queues.status).toBe(400);
    expect(JSON.parse(queues.body).error.message).toBe('Name at most 50 queues at once (asked for 51)');
  });

  it('takes writes only as same-origin JSON POSTs, and a purge only with the queue name confirmed', async () => {
    const { port } = await start();
    const foreign = await call(port, '/api/queues/celery/purge', {
      method: 'POST',
      headers: { ...json, origin: 'http://attacker.example' },
      body: '{"confirm":"celery"}',
    });
    expect(foreign.status).toBe(403);
    const form = await call(port, '/api/queues/celery/purge', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'confirm=celery',
    });
    expect(form.status).toBe(415);
    const unconfirmed = await call(port, '/api/queues/celery/purge', {
      method: 'POST',
      headers: json,
      body: '{}',
    });
    expect(unconfirmed.status).toBe(400);
    expect(JSON.parse(unconfirmed.body).error.kind).toBe('confirmation-required');
    const read = await call(port, '/api/queues/celery/purge');
    expect(read.status).toBe(404);
  });

  it('answers "no such task" for an unknown id, and revokes a task through the API', async () => {
    const { app, port } = await start();
    const unknown = await call(port, '/api/tasks/no-such-id');
    expect(unknown.status).toBe(200);
    expect(JSON.parse(unknown.body)).toEqual({ found: false, id: 'no-such-id' });
    const sent = await app.sendTask('never.runs', [1]);
    const revoked = await call(port, `/api/tasks/${sent.id}/revoke`, {
      method: 'POST',
      headers: { ...json, origin: `http://127.0.0.1:${port}` },
      body: '{"terminate":true}',
    });
    expect(revoked.status).toBe(200);
    expect(JSON.parse(revoked.body).task.state).toBe('REVOKED');
    expect((await app.runtime.results.get(sent.id))?.status).toBe('REVOKED');
    const detail = JSON.parse((await call(port, `/api/tasks/${sent.id}`)).body);
    expect(detail.found).toBe(true);
    expect(detail.task.state).toBe('REVOKED');
  });
});
