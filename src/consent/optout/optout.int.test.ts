// Marketing opt-out over HTTP and real SMTP on SQLite and PostgreSQL: the one-click POST (no login)
// suppresses the address, uses up the token and writes a ledger withdrawal; mail queued before an
// unsubscribe is not sent; GET never unsubscribes; forged, replayed and expired tokens answer
// 404/410 and write nothing; the public routes are rate-limited per client network.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import type { TestEnv } from '../../../test/support/env.js';
import type { Staff } from '../../../test/support/http.js';
import { optoutHarness, startOptout } from '../../../test/support/optout.js';
import type { SmtpSink } from '../../../test/support/smtp-sink.js';
import { deliverOutbox } from '../../notify/deliver.js';
import { hasConsent } from '../ledger.js';

const forgedToken = () => randomBytes(32).toString('base64url');

describe.each(DB_KINDS)('marketing opt-out on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let officer: Staff;
  const { snapshot, decide, person, send, mailsTo, linkOf } = optoutHarness(() => ({
    env,
    sink,
    officer,
  }));

  beforeAll(async () => {
    ({ env, sink, officer } = await startOptout(kind));
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  /** A one-click POST as a mail client makes it (RFC 8058 §3.2): no cookie, no authorization. */
  const oneClick = (
    path: string,
    body = 'List-Unsubscribe=One-Click',
    contentType = 'application/x-www-form-urlencoded',
  ) =>
    fetch(`${env.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });

  const latestMarketing = (subjectId: string) =>
    env.ctx.store.db
      .selectFrom('consent_records')
      .selectAll()
      .where('subject_id', '=', subjectId)
      .where('purpose_key', '=', 'marketing')
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();

  it('one-click POST without login suppresses the address, withdraws consent and uses the token; a later send skips the person', async () => {
    const p = await person('oneclick');
    expect((await send([p.id])).body.counts.queued).toBe(1);
    const [mail] = await mailsTo(p.email);
    const path = linkOf(mail!);

    const before = await snapshot();
    const res = await oneClick(path);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ unsubscribed: true });
    const after = await snapshot();
    expect(after.suppressions).toBe(before.suppressions + 1);
    expect(after.consents).toBe(before.consents + 1);
    expect(after.used).toBe(before.used + 1);

    const token = await env.ctx.store.db
      .selectFrom('unsubscribe_tokens')
      .selectAll()
      .where('subject_id', '=', p.id)
      .executeTakeFirstOrThrow();
    expect(token.used_at).not.toBeNull();
    const suppression = await env.ctx.store.db
      .selectFrom('suppressions')
      .selectAll()
      .where('digest', '=', token.digest)
      .executeTakeFirstOrThrow();
    expect(suppression).toMatchObject({ reason: 'unsubscribe', source: `unsubscribe:${token.id}` });
    const record = await latestMarketing(p.id);
    expect(record).toMatchObject({
      decision: 'withdraw',
      method: 'unsubscribe',
      source: `unsubscribe:${token.id}`,
      policy_version: '2026.1',
      notice_sha256: null,
      controller_id: 'self',
      lang: 'en',
    });
    expect(await hasConsent(env.ctx, env.ctx.store.db, { subjectId: p.id }, 'marketing')).toBe(
      false,
    );
    const unsubscribed = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['actor_type'])
      .where('action', '=', 'marketing.unsubscribe')
      .where('target_id', '=', token.id)
      .execute();
    expect(unsubscribed).toEqual([{ actor_type: 'anonymous' }]);

    // Replayed: 410, nothing written.
    const replay = await oneClick(path);
    expect(replay.status).toBe(410);
    expect(replay.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await replay.json()).toMatchObject({
      type: 'urn:custos:problem:gone',
      title: 'Already unsubscribed',
    });
    expect(await snapshot()).toEqual(after);

    // Even a fresh grant (say, a form ticked later) does not override the suppression list.
    await decide(p.id, 'grant');
    const again = await send([p.id]);
    expect(again.status).toBe(202);
    expect(again.body.counts).toMatchObject({ queued: 0, suppressed: 1 });
    expect(again.body.mails).toBe(0);
    expect(await mailsTo(p.email)).toHaveLength(1);
  });

  it('a mail queued before the person unsubscribes is not sent', async () => {
    const p = await person('late');
    await send([p.id], { title: 'First' });
    const [first] = await mailsTo(p.email);
    const queued = await send([p.id], { title: 'Second' });
    expect(queued.body.counts.queued).toBe(1);
    const row = await env.ctx.store.db
      .selectFrom('outbox')
      .select('id')
      .where('subject_id', '=', p.id)
      .where('status', '=', 'pending')
      .executeTakeFirstOrThrow();

    expect((await oneClick(linkOf(first!))).status).toBe(200);
    const r = await deliverOutbox(env.ctx);
    expect(r).toMatchObject({ sent: 0, failed: 1 });
    const mails = sink.mails.filter((m) => m.envelope.to.includes(p.email));
    expect(mails.map((m) => m.parsed.subject)).toEqual(['First']);
    const after = await env.ctx.store.db
      .selectFrom('outbox')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
    expect(after).toMatchObject({
      status: 'failed',
      last_error: 'suppressed',
      to_enc: null,
      params_enc: null,
    });
    const audit = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('actor_type')
      .where('action', '=', 'marketing.suppressed')
      .where('target_id', '=', row.id)
      .execute();
    expect(audit).toEqual([{ actor_type: 'system' }]);
  });

  it('GET never unsubscribes: JSON says valid, a browser gets a no-script page whose button POSTs', async () => {
    const p = await person('browser');
    await send([p.id], { lang: 'zh-CN' });
    const [mail] = await mailsTo(p.email);
    const path = linkOf(mail!);
    expect(path).toMatch(/&lang=zh-CN$/);
    const before = await snapshot();

    const json = await fetch(`${env.url}${path}`);
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ valid: true });

    const page = await fetch(`${env.url}${path}`, {
      headers: { accept: 'text/html,application/xhtml+xml', 'accept-language': 'en' },
    });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await page.text();
    // The URL's lang (the mail's language) wins over the browser's.
    expect(html).toContain('<html lang="zh-CN">');
    expect(html).toContain('确认退订');
    expect(html).not.toContain('<script');
    const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1]?.replace(/&amp;/g, '&');
    expect(action).toBe(path);
    const english = await fetch(`${env.url}${path.replace('lang=zh-CN', 'lang=en')}`, {
      headers: { accept: 'text/html' },
    });
    expect(await english.text()).toContain('<html lang="en">');
    // Nothing was written by any of these GETs.
    expect(await snapshot()).toEqual(before);

    // The page's form post: urlencoded, no cookie, answered with a page.
    const done = await fetch(`${env.url}${action}`, {
      method: 'POST',
      headers: {
        accept: 'text/html',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('您已退订');
    expect((await latestMarketing(p.id)).lang).toBe('zh-CN');

    const used = await fetch(`${env.url}${path}`, { headers: { accept: 'text/html' } });
    expect(used.status).toBe(410);
    expect(await used.text()).toContain('您已经退订');
    const usedJson = await fetch(`${env.url}${path}`);
    expect(usedJson.status).toBe(410);
  });

  it('accepts the one-click POST as multipart, JSON or with no body; refuses text/plain', async () => {
    const a = await person('multipart');
    const b = await person('json');
    const c = await person('empty');
    const d = await person('plain');
    await send([a.id, b.id, c.id, d.id]);
    const pathOf = async (email: string) => linkOf((await mailsTo(email))[0]!);

    const boundary = 'xYzBoundary';
    const multipart = await oneClick(
      await pathOf(a.email),
      `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`,
      `multipart/form-data; boundary=${boundary}`,
    );
    expect(multipart.status).toBe(200);
    const json = await oneClick(await pathOf(b.email), '{}', 'application/json');
    expect(json.status).toBe(200);
    const empty = await fetch(`${env.url}${await pathOf(c.email)}`, { method: 'POST' });
    expect(empty.status).toBe(200);
    for (const p of [a, b, c]) expect((await latestMarketing(p.id)).decision).toBe('withdraw');

    const before = await snapshot();
    const plain = await oneClick(await pathOf(d.email), 'List-Unsubscribe=One-Click', 'text/plain');
    expect(plain.status).toBe(415);
    expect(await snapshot()).toEqual(before);
    expect((await latestMarketing(d.id)).decision).toBe('grant');
  });

  it('forged, malformed, missing and expired tokens: a clear 4xx and nothing written', async () => {
    const p = await person('expiry');
    await send([p.id]);
    const path = linkOf((await mailsTo(p.email))[0]!);
    const before = await snapshot();

    const missing = await fetch(`${env.url}/api/v1/unsubscribe`, { method: 'POST' });
    expect(missing.status).toBe(400);
    const missingBody = (await missing.json()) as { errors: Array<{ pointer: string }> };
    expect(missingBody.errors.map((e) => e.pointer)).toContain('/querystring/token');

    for (const bad of ['abc', '<script>alert(1)</script>', `${forgedToken()}x`, '']) {
      const res = await oneClick(`/api/v1/unsubscribe?token=${encodeURIComponent(bad)}`);
      expect(res.status).toBe(400);
      expect(await res.text()).not.toContain('<script>');
    }
    const unknownField = await oneClick(`${path}&extra=1`);
    expect(unknownField.status).toBe(400);

    const forged = `/api/v1/unsubscribe?token=${forgedToken()}`;
    const forgedPost = await oneClick(forged);
    expect(forgedPost.status).toBe(404);
    expect(((await forgedPost.json()) as { type: string }).type).toBe(
      'urn:custos:problem:not-found',
    );
    expect((await fetch(`${env.url}${forged}`)).status).toBe(404);
    const forgedPage = await fetch(`${env.url}${forged}&lang=en`, {
      method: 'POST',
      headers: { accept: 'text/html' },
    });
    expect(forgedPage.status).toBe(404);
    expect(await forgedPage.text()).toContain('This link is not valid');

    // Markup in the language parameter is ignored, never echoed.
    const hostileLang = await fetch(
      `${env.url}${path.replace('lang=en', `lang=${encodeURIComponent('"><b>x')}`)}`,
      { headers: { accept: 'text/html' } },
    );
    expect(hostileLang.status).toBe(200);
    const hostileHtml = await hostileLang.text();
    expect(hostileHtml).toContain('<html lang="zh-CN">');
    expect(hostileHtml).not.toContain('"><b>');

    const days = env.ctx.config.unsubscribeTokenDays;
    env.clock.advance((days + 1) * 86_400_000);
    try {
      const expired = await oneClick(path);
      expect(expired.status).toBe(410);
      expect(((await expired.json()) as { title: string }).title).toBe('Link expired');
      const expiredPage = await fetch(`${env.url}${path}`, { headers: { accept: 'text/html' } });
      expect(expiredPage.status).toBe(410);
      expect(await expiredPage.text()).toContain('This link has expired');
    } finally {
      env.clock.advance(-(days + 1) * 86_400_000);
    }
    expect(await snapshot()).toEqual(before);
    expect((await latestMarketing(p.id)).decision).toBe('grant');
  });

  // Last: it exhausts the per-network budget of the public routes for this server.
  it('limits the public routes per client network', async () => {
    const path = `/api/v1/unsubscribe?token=${forgedToken()}`;
    let limited: Response | null = null;
    for (let i = 0; i < 70 && limited === null; i++) {
      const batch = await Promise.all(Array.from({ length: 10 }, () => fetch(`${env.url}${path}`)));
      limited = batch.find((r) => r.status === 429) ?? null;
      for (const r of batch) if (r.status !== 429) expect(r.status).toBe(404);
    }
    expect(limited).not.toBeNull();
    expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
    // Staff routes are not affected.
    expect((await officer.client.get('/api/v1/marketing/suppressions')).status).toBe(200);
  });
});
