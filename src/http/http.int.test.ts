// The HTTP edge: health and readiness, OpenAPI at /docs, security headers, request ids, body
// limits, logs free of personal data, and graceful shutdown of a real `custos serve` process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs } from '../../test/support/http.js';

describe('HTTP edge', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await makeEnv('sqlite');
  });
  afterAll(async () => env.close());

  it('answers health and readiness without a login', async () => {
    const c = new Client(env.url);
    expect((await c.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await c.get('/readyz')).body).toEqual({ status: 'ready', database: 'sqlite' });
  });

  it('serves the OpenAPI document and its UI at /docs', async () => {
    const c = new Client(env.url);
    const doc = await c.get('/docs/json');
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toBe('3.1.0');
    for (const p of ['/api/v1/subjects', '/api/v1/audit/proof/inclusion', '/api/v1/auth/login'])
      expect(Object.keys(doc.body.paths)).toContain(p);
    const ui = await c.get('/docs/');
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-type')).toContain('text/html');
  });

  it('sets security headers and echoes a safe request id', async () => {
    const c = new Client(env.url);
    const res = await c.get('/api/v1/me', { headers: { 'x-request-id': 'trace-abc-12345' } });
    expect(res.headers.get('x-request-id')).toBe('trace-abc-12345');
    expect(res.body.instance).toBe('urn:custos:request:trace-abc-12345');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const hostile = await c.get('/healthz', { headers: { 'x-request-id': 'bad id <script>' } });
    expect(hostile.headers.get('x-request-id')).toMatch(/^[a-z0-9-]+$/);
  });

  it('refuses bodies above the limit with 413', async () => {
    const c = new Client(env.url);
    const res = await c.send('POST', '/api/v1/auth/login', {
      raw: JSON.stringify({ email: 'a@b.cn', password: 'x'.repeat(300_000) }),
    });
    expect(res.status).toBe(413);
    expect(res.body.type).toBe('urn:custos:problem:payload-too-large');
  });

  it('never writes personal data or credentials to the log', async () => {
    const officer = await loginAs(env, 'privacy_officer');
    const pi = ['chen.liu.secret@example.com', '13987654321', '陈六', '11010519491231002X'];
    const created = await officer.client.post('/api/v1/subjects', {
      records: [
        { category: 'email', purpose: 'consultation', value: pi[0], source: 'web_form' },
        { category: 'phone', purpose: 'consultation', value: pi[1], source: 'web_form' },
        { category: 'name', purpose: 'consultation', value: pi[2], source: 'web_form' },
        { category: 'cn_resident_id', purpose: 'contract', value: pi[3], source: 'api' },
      ],
    });
    expect(created.status).toBe(201);
    await officer.client.post('/api/v1/subjects/search', { email: pi[0] });
    await officer.client.post(`/api/v1/subjects/${created.body.id}/reveal`, {
      reason: 'log redaction test run',
    });
    await officer.client.post('/api/v1/subjects', {
      records: [
        { category: 'email', purpose: 'consultation', value: `${pi[0]}x@`, source: 'web_form' },
      ],
    });
    await officer.client.send('POST', '/api/v1/subjects', {
      raw: `{"records":[{"value":"${pi[1]}"`,
    });
    const log = env.logs.join('');
    expect(log.length).toBeGreaterThan(1000);
    for (const secret of [
      ...pi,
      pi[1]!.slice(3),
      officer.password,
      officer.email,
      officer.client.cookie!.split('=')[1]!,
    ])
      expect(log).not.toContain(secret);
  });

  it('logs one line per answered request: its id, the route pattern, status and time', async () => {
    const c = new Client(env.url);
    const id = `log-line-${Date.now()}`;
    const res = await c.send('GET', '/api/v1/requests/status/some.person@example.org', {
      headers: { 'x-request-id': id },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const lines = env.logs
      .flatMap((chunk) => chunk.split('\n'))
      .filter((l) => l.includes(id))
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      reqId: id,
      msg: 'request completed',
      req: { method: 'GET' },
      res: { statusCode: res.status },
    });
    expect(typeof lines[0].responseTime).toBe('number');
    expect(JSON.stringify(lines[0])).not.toContain('some.person');
  });
});

describe('custos serve', () => {
  it('drains in-flight requests and exits 0 on SIGTERM', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custos-serve-'));
    const root = path.resolve(import.meta.dirname, '../..');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(root, 'src/main.ts'), 'serve', '--port', '0'],
      {
        cwd: root,
        env: { PATH: process.env.PATH, CUSTOS_DATA_DIR: dataDir, CUSTOS_ENV: 'test' },
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
      const check = setInterval(() => {
        const m = /"url":"(http:\/\/[^"]+)"/.exec(out);
        if (m) {
          clearInterval(check);
          clearTimeout(timer);
          resolve(m[1]!);
        }
      }, 50);
    });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // A request the server is already reading when the signal arrives: headers and half the body
    // are sent first, the rest only after SIGTERM. Draining means it still gets its answer.
    const body = JSON.stringify({ email: 'drain@example.com', password: 'not-the-password' });
    const req = http.request(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const answered = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
    });
    req.write(body.slice(0, 10));
    await delay(300);
    child.kill('SIGTERM');
    await delay(300);
    req.end(body.slice(10));
    expect(await answered).toBe(401);
    expect(await exit).toBe(0);
    expect(out).toContain('stopped');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
