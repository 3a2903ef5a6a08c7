// Staff access through HTTP on both databases: login with password and second factor, sessions
// and logout, CSRF, throttling and lockout, API tokens, roles, and default deny on every route.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs, totpNow } from '../../test/support/http.js';
import { PERMISSIONS, ROLES } from './permissions.js';
import { totpAt } from './totp.js';

describe.each(DB_KINDS)('staff access on %s', (kind) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await makeEnv(kind, { CUSTOS_LOGIN_BACKOFF_AFTER: '3', CUSTOS_LOGIN_LOCK_AFTER: '6' });
  });
  afterAll(async () => env.close());

  it('logs in with password and TOTP, sets a strict HttpOnly cookie, and answers /me', async () => {
    const staff = await loginAs(env, 'privacy_officer');
    const me = await staff.client.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({
      id: staff.id,
      email: staff.email,
      roles: ['privacy_officer'],
      secondFactor: true,
      via: 'session',
    });
    expect(me.body.permissions).toContain('pi.reveal');
    expect(me.body.csrfToken).toBe(staff.client.csrfToken);

    const fresh = new Client(env.url);
    env.clock.advance(31_000);
    const res = await fresh.post('/api/v1/auth/login', {
      email: staff.email,
      password: staff.password,
      totp: totpNow(env, staff.totpSecret!),
    });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^custos_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).toContain('Path=/');
  });

  it('requires the second factor for roles that can reveal personal data, and refuses a replayed code', async () => {
    const staff = await loginAs(env, 'request_handler');
    const c = new Client(env.url);
    const noCode = await c.post('/api/v1/auth/login', {
      email: staff.email,
      password: staff.password,
    });
    expect(noCode.status).toBe(401);
    expect(noCode.body.type).toBe('urn:custos:problem:mfa-required');
    // The code used by loginAs a moment ago is spent: RFC 6238 §5.2. It is recomputed from the
    // step the server recorded, not from the clock, which may have crossed a 30 s border since.
    const user = await env.ctx.store.db
      .selectFrom('users')
      .select('totp_last_step')
      .where('id', '=', staff.id)
      .executeTakeFirstOrThrow();
    const replay = await c.post('/api/v1/auth/login', {
      email: staff.email,
      password: staff.password,
      totp: totpAt(staff.totpSecret!, Number(user.totp_last_step) * 30),
    });
    expect(replay.status).toBe(401);
    env.clock.advance(30_000);
    const next = await c.post('/api/v1/auth/login', {
      email: staff.email,
      password: staff.password,
      totp: totpNow(env, staff.totpSecret!),
    });
    expect(next.status).toBe(200);
  });

  it('lets a role without pi.reveal go without a second factor, but never one with it', async () => {
    const auditor = await loginAs(env, 'auditor', { totp: false });
    expect(auditor.totpSecret).toBeNull();
    expect((await auditor.client.get('/api/v1/me')).body.secondFactor).toBe(false);
    const handler = await loginAs(env, 'request_handler', { totp: false });
    expect(handler.totpSecret).not.toBeNull();
  });

  it('answers a wrong password and an unknown account alike', async () => {
    const staff = await loginAs(env, 'auditor');
    const c = new Client(env.url);
    const wrong = await c.post('/api/v1/auth/login', {
      email: staff.email,
      password: 'not the password at all',
    });
    const unknown = await c.post('/api/v1/auth/login', {
      email: 'nobody@example.org',
      password: 'not the password at all',
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.detail).toBe(unknown.body.detail);
  });

  it('slows repeated failures, then locks the account until an administrator unlocks it', async () => {
    const staff = await loginAs(env, 'auditor', { totp: false });
    const c = new Client(env.url);
    const attempt = () =>
      c.post('/api/v1/auth/login', { email: staff.email, password: 'wrong password guess' });
    for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
    const throttled = await attempt();
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right password waits out the delay.
    expect(
      (await c.post('/api/v1/auth/login', { email: staff.email, password: staff.password })).status,
    ).toBe(429);
    for (let i = 0; i < 3; i++) {
      env.clock.advance(20 * 60_000);
      await attempt();
    }
    env.clock.advance(20 * 60_000);
    const locked = await c.post('/api/v1/auth/login', {
      email: staff.email,
      password: staff.password,
    });
    expect(locked.status).toBe(423);
    const events = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', staff.id)
      .execute();
    expect(events.filter((e) => e.action === 'auth.login_failed').length).toBe(6);
    expect(events.some((e) => e.action === 'auth.locked')).toBe(true);

    const admin = await loginAs(env, 'admin');
    expect((await admin.client.post(`/api/v1/users/${staff.id}/unlock`)).status).toBe(204);
    const after = await c.post('/api/v1/auth/login', {
      email: staff.email,
      password: staff.password,
    });
    expect(after.status).toBe(200);
  });

  it('ends sessions on logout, after the idle timeout and after the absolute lifetime', async () => {
    const a = await loginAs(env, 'auditor', { totp: false });
    const cookie = a.client.cookie;
    expect((await a.client.post('/api/v1/auth/logout')).status).toBe(204);
    const reuse = new Client(env.url);
    reuse.cookie = cookie;
    expect((await reuse.get('/api/v1/me')).status).toBe(401);

    const idle = await loginAs(env, 'auditor', { totp: false });
    env.clock.advance(31 * 60_000);
    const expired = await idle.client.get('/api/v1/me');
    expect(expired.status).toBe(401);
    expect(expired.body.type).toBe('urn:custos:problem:session-expired');

    const busy = await loginAs(env, 'auditor', { totp: false });
    for (let h = 0; h < 13; h++) {
      env.clock.advance(59 * 60_000);
      await busy.client.get('/api/v1/me');
    }
    expect((await busy.client.get('/api/v1/me')).status).toBe(401);
  });

  it('issues scoped, expiring API tokens that are stored hashed and never exceed their owner', async () => {
    const officer = await loginAs(env, 'privacy_officer');
    const created = await officer.client.post(`/api/v1/users/${officer.id}/tokens`, {
      name: 'nightly export',
      scopes: ['subjects.read'],
      expiresInDays: 30,
    });
    expect(created.status).toBe(201);
    const token = created.body.token as string;
    expect(token).toMatch(/^cst_/);
    const stored = await env.ctx.store.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    const secret = token.slice(-43);
    expect(stored.secret_hash.equals(createHash('sha256').update(secret).digest())).toBe(true);
    expect(stored.secret_hash.toString('latin1')).not.toContain(secret);

    const bot = new Client(env.url);
    bot.bearer = token;
    expect((await bot.get('/api/v1/subjects')).status).toBe(200);
    expect(
      (
        await bot.post('/api/v1/subjects', {
          records: [{ category: 'name', purpose: 'x1', value: 'A', source: 'api' }],
        })
      ).status,
    ).toBe(403);
    // No CSRF header is needed for bearer tokens: they are not sent by browsers on their own.
    expect(
      (
        await bot.post(`/api/v1/users/${officer.id}/tokens`, {
          name: 'x',
          scopes: ['self'],
          expiresInDays: 1,
        })
      ).status,
    ).toBe(403);

    const tooMuch = await officer.client.post(`/api/v1/users/${officer.id}/tokens`, {
      name: 'admin',
      scopes: ['users.manage'],
      expiresInDays: 30,
    });
    expect(tooMuch.status).toBe(400);
    expect(
      (
        await officer.client.post(`/api/v1/users/${officer.id}/tokens`, {
          name: 'long',
          scopes: ['self'],
          expiresInDays: 366,
        })
      ).status,
    ).toBe(400);

    env.clock.advance(31 * 86_400_000);
    expect((await bot.get('/api/v1/subjects')).status).toBe(401);
  });

  it('revokes tokens and refuses to manage another person’s tokens', async () => {
    const a = await loginAs(env, 'auditor', { totp: false });
    const b = await loginAs(env, 'auditor', { totp: false });
    const t = await a.client.post(`/api/v1/users/${a.id}/tokens`, {
      name: 'ci',
      scopes: ['audit.read'],
      expiresInDays: 5,
    });
    const bot = new Client(env.url);
    bot.bearer = t.body.token;
    expect((await bot.get('/api/v1/audit?limit=1')).status).toBe(200);
    expect((await b.client.post(`/api/v1/users/${a.id}/tokens/${t.body.id}/revoke`)).status).toBe(
      404,
    );
    expect((await b.client.get(`/api/v1/users/${a.id}/tokens`)).status).toBe(404);
    expect((await a.client.post(`/api/v1/users/${a.id}/tokens/${t.body.id}/revoke`)).status).toBe(
      204,
    );
    expect((await bot.get('/api/v1/audit?limit=1')).status).toBe(401);
  });

  it('creates staff through the API and keeps their e-mail masked to others', async () => {
    const admin = await loginAs(env, 'admin');
    const res = await admin.client.post('/api/v1/users', {
      email: 'new.hire@example.org',
      roles: ['request_handler'],
      controllers: 'all',
      password: 'a long enough passphrase 42',
    });
    expect(res.status).toBe(201);
    expect(res.body.totpUri).toMatch(/^otpauth:\/\/totp\/Custos:new\.hire%40example\.org\?secret=/);
    const got = await admin.client.get(`/api/v1/users/${res.body.id}`);
    expect(got.body.email).toBe('n***@example.org');
    const weak = await admin.client.post('/api/v1/users', {
      email: 'weak@example.org',
      roles: ['auditor'],
      controllers: 'all',
      password: 'short',
    });
    expect(weak.status).toBe(400);
    expect(weak.body.errors[0].pointer).toBe('/body/password');
    const dup = await admin.client.post('/api/v1/users', {
      email: 'New.Hire@example.org',
      roles: ['auditor'],
      controllers: 'all',
      password: 'a long enough passphrase 42',
    });
    expect(dup.status).toBe(409);
    const users = await env.ctx.store.db.selectFrom('users').select(['email_enc']).execute();
    for (const u of users) expect(u.email_enc.toString('latin1')).not.toContain('new.hire');
  });

  it('grants each role exactly its permissions', async () => {
    for (const role of ROLES) {
      const s = await loginAs(env, role, { totp: true });
      const me = await s.client.get('/api/v1/me');
      expect(
        me.body.permissions.every((p: string) => (PERMISSIONS as readonly string[]).includes(p)),
      ).toBe(true);
      expect(me.body.permissions.includes('pi.reveal')).toBe(
        role === 'privacy_officer' || role === 'request_handler',
      );
      expect(me.body.permissions.includes('users.manage')).toBe(role === 'admin');
    }
  });

  it('throttles a network that keeps failing, across accounts, and forgets after the window', async () => {
    const staff = await loginAs(env, 'auditor', { totp: false });
    const c = new Client(env.url);
    for (let i = 0; i < 50; i++) {
      const r = await c.post('/api/v1/auth/login', {
        email: `spray${i}@example.org`,
        password: 'Summer2026!!',
      });
      expect(r.status).toBe(401);
    }
    const blocked = await c.post('/api/v1/auth/login', {
      email: staff.email,
      password: staff.password,
    });
    expect(blocked.status).toBe(429);
    env.clock.advance(5 * 60_000 + 1000);
    expect(
      (await c.post('/api/v1/auth/login', { email: staff.email, password: staff.password })).status,
    ).toBe(200);
  });
});

describe('default deny', () => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await makeEnv('sqlite');
  });
  afterAll(async () => env.close());

  it('every registered route declares a permission or is explicitly public', () => {
    const routes = env.app.routeTable.filter((r) => r.method !== 'HEAD');
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => r.access === undefined)).toEqual([]);
    const publicOnes = routes
      .filter((r) => r.access !== undefined && 'public' in r.access && !r.url.startsWith('/docs'))
      .map((r) => `${r.method} ${r.url}`);
    // Every route anyone may call without logging in, listed one by one: a new public route is a
    // decision this list must be edited for. Each of the request routes checks its own token.
    const allowed = [
      'GET /healthz',
      'GET /readyz',
      'POST /api/v1/auth/login',
      'POST /api/v1/requests',
      'GET /api/v1/requests/:id/status',
      'POST /api/v1/requests/:id/verify',
      'POST /api/v1/requests/:id/verification',
      'POST /api/v1/requests/:id/withdraw',
      'POST /api/v1/requests/:id/fee',
      'POST /api/v1/requests/:id/appeal',
      'POST /api/v1/requests/:id/controller-response',
      'GET /api/v1/requests/files/:id',
      'GET /privacy/requests',
      'POST /privacy/requests',
      'GET /privacy/requests/:id',
      'POST /privacy/requests/:id/verify',
      'POST /privacy/requests/:id/code',
      'POST /privacy/requests/:id/fee',
      'POST /privacy/requests/:id/withdraw',
      'GET /privacy/assets/site.css',
      // consent: the banner's scripts and API (CORS preflights too), receipts and withdrawal by
      // token or visitor id, GPC support, one-click unsubscribe
      'GET /consent.js',
      'GET /consent-ui.js',
      'GET /.well-known/gpc.json',
      'OPTIONS /api/v1/consent/config',
      'GET /api/v1/consent/config',
      'OPTIONS /api/v1/consent/events',
      'POST /api/v1/consent/events',
      'OPTIONS /api/v1/consent/receipt',
      'GET /api/v1/consent/receipt',
      'POST /api/v1/consent/withdraw',
      'GET /api/v1/unsubscribe',
      'POST /api/v1/unsubscribe',
      // collection: the consultation form and API, and the guardian of a child under 14 (each
      // guardian route checks the hold's own token)
      'POST /api/v1/inquiries',
      'GET /privacy/consult',
      'POST /privacy/consult',
      'POST /api/v1/guardian/:id/verify',
      'POST /api/v1/guardian/:id/code',
      'POST /api/v1/guardian/:id/decision',
      'GET /privacy/guardian/:id',
      'POST /privacy/guardian/:id',
    ];
    expect([...new Set(publicOnes)].sort()).toEqual([...allowed].sort());
  });

  it('closes a route that declares nothing', async () => {
    const { buildApp } = await import('../app.js');
    const app = await buildApp(env.ctx);
    app.get('/api/v1/forgotten', () => ({ secret: true }));
    const res = await app.inject({ method: 'GET', url: '/api/v1/forgotten' });
    await app.close();
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain('secret');
  });
});
