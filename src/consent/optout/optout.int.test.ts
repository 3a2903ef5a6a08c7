// Marketing opt-out end to end over HTTP and real SMTP on SQLite and PostgreSQL: staff send only to
// people whose latest marketing consent is a grant and whose address is not suppressed; each mail
// carries the RFC 8058 header pair and a visible link; the one-click POST (no login) suppresses the
// address, uses up the token and writes a ledger withdrawal; mail queued before an unsubscribe is
// not sent; GET never unsubscribes; forged, replayed and expired tokens answer 404/410 and write
// nothing; markup in a message arrives escaped.
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../../test/support/env.js';
import { Client, loginAs, type Staff } from '../../../test/support/http.js';
import {
  startSmtpSink,
  type ReceivedMail,
  type SmtpSink,
} from '../../../test/support/smtp-sink.js';
import { transaction } from '../../db/store.js';
import { deliverOutbox } from '../../notify/deliver.js';
import { appendConsents, hasConsent } from '../ledger.js';
import type { ConsentDecision } from '../contracts.js';

const BASE_URL = 'https://privacy.custos.test';
const LINK =
  /https:\/\/privacy\.custos\.test(\/api\/v1\/unsubscribe\?token=[A-Za-z0-9_-]{43}&lang=[A-Za-z-]+)/;

const uniqueEmail = (tag: string) => `${tag}.${randomBytes(4).toString('hex')}@example.net`;
const forgedToken = () => randomBytes(32).toString('base64url');

type Counted =
  'suppressions' | 'consent_records' | 'audit_events' | 'outbox' | 'unsubscribe_tokens';

describe.each(DB_KINDS)('marketing opt-out on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let officer: Staff;

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_MAIL_FROM: 'Privacy Office <privacy@custos.test>',
      CUSTOS_BASE_URL: BASE_URL,
      CUSTOS_PRIVACY_CONTACT: 'privacy@custos.test',
    });
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  const count = async (table: Counted): Promise<number> =>
    Number(
      (
        await env.ctx.store.db
          .selectFrom(table)
          .select(sql<number>`count(*)`.as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const usedTokens = async (): Promise<number> =>
    Number(
      (
        await env.ctx.store.db
          .selectFrom('unsubscribe_tokens')
          .select(sql<number>`count(*)`.as('n'))
          .where('used_at', 'is not', null)
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** Everything an unsubscribe could write. */
  const snapshot = async () => ({
    suppressions: await count('suppressions'),
    consents: await count('consent_records'),
    audit: await count('audit_events'),
    outbox: await count('outbox'),
    tokens: await count('unsubscribe_tokens'),
    used: await usedTokens(),
  });

  async function newSubject(
    records: Array<{ category: string; purpose: string; value: string }>,
    controllerId?: string,
  ): Promise<string> {
    const res = await officer.client.post('/api/v1/subjects', {
      ...(controllerId === undefined ? {} : { controllerId }),
      records: records.map((r) => ({ ...r, source: 'web_form' })),
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function decide(
    subjectId: string,
    decision: ConsentDecision,
    controllerId = 'self',
  ): Promise<void> {
    await transaction(env.ctx.store, (trx) =>
      appendConsents(env.ctx, trx, [
        {
          party: { subjectId },
          controllerId,
          purpose: 'marketing',
          decision,
          policyVersion: '2026.1',
          noticeSha256: null,
          method: 'form',
          lang: 'en',
        },
      ]),
    );
  }

  /** A person with one e-mail address and, when asked, a marketing grant. */
  async function person(tag: string, consent = true) {
    const email = uniqueEmail(tag);
    const id = await newSubject([{ category: 'email', purpose: 'marketing', value: email }]);
    if (consent) await decide(id, 'grant');
    return { id, email };
  }

  const send = (
    subjectIds: string[],
    extra: { title?: string; body?: string; lang?: 'en' | 'zh-CN' } = {},
    client: Client = officer.client,
  ) =>
    client.post('/api/v1/marketing/messages', {
      title: extra.title ?? 'Winter product news',
      body: extra.body ?? 'Our new release is out.\n\nSee you at the user day.',
      lang: extra.lang ?? 'en',
      subjectIds,
    });

  const mailsTo = async (address: string): Promise<ReceivedMail[]> => {
    await deliverOutbox(env.ctx);
    return sink.mails.filter((m) => m.envelope.to.includes(address));
  };

  /** The unsubscribe path and query of a received mail (from its visible text link). */
  const linkOf = (mail: ReceivedMail): string => {
    const m = LINK.exec(mail.parsed.text ?? '');
    if (m === null) throw new Error('no unsubscribe link in the mail');
    return m[1]!;
  };

  /** Header fields of the raw message, one per line, unfolded (RFC 5322 §2.2.3). */
  const rawHeaders = (mail: ReceivedMail): string[] => {
    const raw = mail.raw.toString('utf8');
    return raw
      .slice(0, raw.indexOf('\r\n\r\n'))
      .replace(/\r\n(?=[ \t])/g, '')
      .split('\r\n');
  };

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

  it('sends only to consenting people with an address, with both RFC 8058 headers and the link', async () => {
    const yes = await person('yes');
    const no = await person('no', false);
    const withdrawn = await person('withdrawn');
    await decide(withdrawn.id, 'withdraw');
    const phoneOnly = await newSubject([
      { category: 'phone', purpose: 'consultation', value: '+86 138 0013 8000' },
    ]);
    await decide(phoneOnly, 'grant');
    const unknown = '0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee';

    const res = await send([yes.id, no.id, withdrawn.id, phoneOnly, unknown]);
    expect(res.status).toBe(202);
    expect(res.body.counts).toEqual({
      queued: 1,
      suppressed: 0,
      noConsent: 2,
      noEmail: 1,
      notFound: 1,
    });
    expect(res.body.mails).toBe(1);
    expect(res.body.outcomes).toEqual([
      { subjectId: yes.id, outcome: 'queued' },
      { subjectId: no.id, outcome: 'noConsent' },
      { subjectId: withdrawn.id, outcome: 'noConsent' },
      { subjectId: phoneOnly, outcome: 'noEmail' },
      { subjectId: unknown, outcome: 'notFound' },
    ]);
    // No personal value in the answer.
    expect(res.text).not.toContain('@');

    const [mail, ...more] = await mailsTo(yes.email);
    expect(more).toHaveLength(0);
    expect(mail!.parsed.subject).toBe('Winter product news');
    const path = linkOf(mail!);
    expect(path).toMatch(/&lang=en$/);
    const headers = rawHeaders(mail!);
    expect(headers).toContain(`List-Unsubscribe: <${BASE_URL}${path}>`);
    expect(headers).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(headers).toContain('Content-Language: en');
    expect(mail!.parsed.html).toContain(`href="${BASE_URL}${path.replace('&', '&amp;')}"`);
    expect(mail!.parsed.html).toContain('<p>Our new release is out.</p>');
    expect(await mailsTo(no.email)).toHaveLength(0);
    expect(await mailsTo(withdrawn.email)).toHaveLength(0);

    // One token per mail, stored hashed: the URL's token is nowhere in the table.
    const token = new URL(`${BASE_URL}${path}`).searchParams.get('token')!;
    const rows = await env.ctx.store.db
      .selectFrom('unsubscribe_tokens')
      .selectAll()
      .where('subject_id', '=', yes.id)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.purpose_key).toBe('marketing');
    expect(rows[0]!.used_at).toBeNull();
    expect(rows[0]!.token_hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    const days = (Date.parse(rows[0]!.expires_at) - Date.parse(rows[0]!.created_at)) / 86_400_000;
    expect(days).toBe(env.ctx.config.unsubscribeTokenDays);

    const audit = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'target_id'])
      .where('action', '=', 'marketing.send')
      .where('target_id', '=', res.body.id as string)
      .execute();
    expect(audit).toHaveLength(1);
    const logs = env.logs.join('\n');
    expect(logs).not.toContain(yes.email);
    expect(logs).not.toContain(token);
  });

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

  it('markup in the title and body arrives escaped in the HTML part and inert in the text part', async () => {
    const p = await person('markup');
    const title = '<script>alert(1)</script> News & "offers"';
    const body = 'Hello <b>there</b>\n\n<img src=x onerror=alert(1)> <a href="javascript:x">y</a>';
    const res = await send([p.id], { title, body });
    expect(res.status).toBe(202);
    const [mail] = await mailsTo(p.email);
    expect(mail!.parsed.subject).toBe(title);
    const html = mail!.parsed.html as string;
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; News &amp; &quot;offers&quot;');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('href="javascript:');
    expect(mail!.parsed.text).toContain(body);
  });

  it('rejects bad sends with a 400 naming the field, and queues nothing', async () => {
    const p = await person('invalid');
    const before = await snapshot();
    const ok = { title: 'T', body: 'B', subjectIds: [p.id] };
    const cases: Array<[unknown, string]> = [
      [{ ...ok, title: '' }, '/body/title'],
      [{ ...ok, title: '   ' }, '/body/title'],
      [{ ...ok, title: 'a\r\nBcc: x@example.org' }, '/body/title'],
      [{ ...ok, title: 'x'.repeat(201) }, '/body/title'],
      [{ ...ok, body: '  \n ' }, '/body/body'],
      [{ ...ok, body: 'x'.repeat(20_001) }, '/body/body'],
      [{ title: 'T', subjectIds: [p.id] }, '/body/body'],
      [{ ...ok, subjectIds: [] }, '/body/subjectIds'],
      [{ ...ok, subjectIds: [p.id, p.id] }, '/body/subjectIds'],
      [{ ...ok, subjectIds: ['not-an-id'] }, '/body/subjectIds/0'],
      [{ ...ok, subjectIds: Array.from({ length: 1001 }, () => p.id) }, '/body/subjectIds'],
      [{ ...ok, lang: 'fr' }, '/body/lang'],
      [{ ...ok, extra: 1 }, '/body/extra'],
    ];
    for (const [body, pointer] of cases) {
      const res = await officer.client.post('/api/v1/marketing/messages', body);
      expect(res.status, pointer).toBe(400);
      expect(res.body.type).toBe('urn:custos:problem:validation');
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
    expect(await snapshot()).toEqual(before);
  });

  it('needs marketing.send to send or add suppressions; consents.read to list; a scoped sender reaches only its controllers', async () => {
    const p = await person('perm');
    const handler = await loginAs(env, 'request_handler');
    const before = await snapshot();
    const denied = await send([p.id], {}, handler.client);
    expect(denied.status).toBe(403);
    expect(denied.body.type).toBe('urn:custos:problem:forbidden');
    expect(
      (await handler.client.post('/api/v1/marketing/suppressions', { email: p.email })).status,
    ).toBe(403);
    expect((await handler.client.get('/api/v1/marketing/suppressions')).status).toBe(200);
    const anonymous = new Client(env.url);
    expect((await send([p.id], {}, anonymous)).status).toBe(401);
    expect((await anonymous.get('/api/v1/marketing/suppressions')).status).toBe(401);
    const after = await snapshot();
    // Only the denials' own audit records were written.
    expect({ ...after, audit: before.audit }).toEqual(before);

    const admin = await loginAs(env, 'admin');
    const other = await admin.client.post('/api/v1/controllers', {
      slug: `mk-${kind}`,
      name: 'Other controller',
    });
    expect(other.status).toBe(201);
    const otherId = other.body.id as string;
    const email = uniqueEmail('other');
    const theirs = await newSubject(
      [{ category: 'email', purpose: 'marketing', value: email }],
      otherId,
    );
    await decide(theirs, 'grant', otherId);
    const scoped = await loginAs(env, 'privacy_officer', { controllers: ['self'] });
    const res = await send([p.id, theirs], {}, scoped.client);
    expect(res.status).toBe(202);
    expect(res.body.outcomes).toEqual([
      { subjectId: p.id, outcome: 'queued' },
      { subjectId: theirs, outcome: 'notFound' },
    ]);
    expect(await mailsTo(email)).toHaveLength(0);
  });

  it('staff add an address to the suppression list by hand and see the list without addresses', async () => {
    const p = await person('staffsup');
    const added = await officer.client.post('/api/v1/marketing/suppressions', {
      email: `  ${p.email.toUpperCase()} `,
    });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ added: true, digest: expect.stringMatching(/^[0-9a-f]{16}$/) });
    const again = await officer.client.post('/api/v1/marketing/suppressions', { email: p.email });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ added: false, digest: added.body.digest });

    const before = await snapshot();
    for (const email of ['not an address', '<script>alert(1)</script>@x', 'a@@b.example']) {
      const res = await officer.client.post('/api/v1/marketing/suppressions', { email });
      expect(res.status).toBe(400);
      expect(res.text).not.toContain('<script>');
    }
    expect((await officer.client.post('/api/v1/marketing/suppressions', {})).status).toBe(400);
    expect(await snapshot()).toEqual(before);

    const list = await officer.client.get('/api/v1/marketing/suppressions?limit=500');
    expect(list.status).toBe(200);
    expect(list.body.count).toBe(await count('suppressions'));
    const entry = (list.body.entries as Array<Record<string, unknown>>).find(
      (e) => e.digest === added.body.digest,
    );
    expect(entry).toMatchObject({ reason: 'staff', source: `staff:${officer.id}` });
    expect(list.text).not.toContain('@example.net');
    expect((await officer.client.get('/api/v1/marketing/suppressions?limit=0')).status).toBe(400);

    const res = await send([p.id]);
    expect(res.body.outcomes).toEqual([{ subjectId: p.id, outcome: 'suppressed' }]);
    expect(await mailsTo(p.email)).toHaveLength(0);
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
