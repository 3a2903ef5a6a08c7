// Marketing mail sent by staff, over HTTP and real SMTP on SQLite and PostgreSQL: only to people
// whose latest marketing consent is a grant and whose address is not suppressed, each mail with
// the RFC 8058 header pair and a visible link; markup arrives escaped; bad sends and missing
// permissions queue nothing; staff keep the suppression list by hand.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import type { TestEnv } from '../../../test/support/env.js';
import { Client, loginAs, type Staff } from '../../../test/support/http.js';
import { BASE_URL, optoutHarness, startOptout, uniqueEmail } from '../../../test/support/optout.js';
import type { ReceivedMail, SmtpSink } from '../../../test/support/smtp-sink.js';

describe.each(DB_KINDS)('marketing sends on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let officer: Staff;
  const { count, snapshot, newSubject, decide, person, send, mailsTo, linkOf } = optoutHarness(
    () => ({ env, sink, officer }),
  );

  beforeAll(async () => {
    ({ env, sink, officer } = await startOptout(kind));
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  /** Header fields of the raw message, one per line, unfolded (RFC 5322 §2.2.3). */
  const rawHeaders = (mail: ReceivedMail): string[] => {
    const raw = mail.raw.toString('utf8');
    return raw
      .slice(0, raw.indexOf('\r\n\r\n'))
      .replace(/\r\n(?=[ \t])/g, '')
      .split('\r\n');
  };

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
});
