// The inquiry API over real HTTP on SQLite and PostgreSQL: purpose-bound collection from the data
// map, values sealed under the person's key, linking through the blind index, the ledger records
// of what was shown, the receipt token, the staff views; and every bad input a clear 400 that
// writes nothing.
import { createHash, randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, loginAs, type Res, type Staff } from '../../test/support/http.js';

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();
const uniqueEmail = (tag: string) => `${tag}.${randomBytes(4).toString('hex')}@example.net`;
/** A valid mainland mobile number nobody else in the run has. */
const uniquePhone = () =>
  `139${String(randomBytes(4).readUInt32BE(0) % 100_000_000).padStart(8, '0')}`;

const SCRIPT = '<script>alert(1)</script>';

type Counted =
  | 'inquiries'
  | 'subjects'
  | 'pi_records'
  | 'subject_identifiers'
  | 'consent_records'
  | 'consent_receipt_tokens'
  | 'audit_events'
  | 'outbox';

function expectProblem(res: Res, status: number, pointer?: string) {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (pointer !== undefined)
    expect(res.body.errors?.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
}

describe.each(DB_KINDS)('inquiries on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let web: Client;

  const count = async (table: Counted) =>
    Number(
      (
        await env.ctx.store.db
          .selectFrom(table)
          .select(sql<number>`count(*)`.as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const t of [
      'inquiries',
      'subjects',
      'pi_records',
      'subject_identifiers',
      'consent_records',
      'consent_receipt_tokens',
      'audit_events',
      'outbox',
    ] as const)
      out[t] = await count(t);
    return out;
  };
  const submit = (body: Record<string, unknown>) => web.post('/api/v1/inquiries', body);
  const good = (over: Record<string, unknown> = {}) => ({
    lang: 'en',
    policyVersion: '2026.1',
    fields: { phone: uniquePhone(), email: uniqueEmail('ask') },
    ...over,
  });
  const noticeSha = async (purpose: string, lang: 'en' | 'zh-CN') => {
    const row = await env.ctx.store.db
      .selectFrom('consent_notices')
      .select('text')
      .where('purpose_key', '=', purpose)
      .where('lang', '=', lang)
      .where('policy_version', '=', '2026.1')
      .executeTakeFirstOrThrow();
    return sha256(row.text).toString('hex');
  };
  const ledgerOf = (source: string) =>
    env.ctx.store.db
      .selectFrom('consent_records')
      .selectAll()
      .where('source', '=', source)
      .orderBy('purpose_key')
      .execute();
  const recordsOf = (subjectId: string) =>
    env.ctx.store.db
      .selectFrom('pi_records')
      .selectAll()
      .where('subject_id', '=', subjectId)
      .orderBy('purpose')
      .orderBy('category')
      .execute();
  const inquiry = (id: string) =>
    env.ctx.store.db
      .selectFrom('inquiries')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
    web = new Client(env.url);
  });
  afterAll(async () => {
    await env?.close();
  });

  it('takes a consultation: values sealed, person created, notice acknowledged, marketing granted, receipt issued', async () => {
    const email = uniqueEmail('Wang.Fang');
    const phone = uniquePhone();
    const res = await submit({
      lang: 'en',
      policyVersion: '2026.1',
      fields: {
        phone: `+86 ${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`,
        email: email.toUpperCase(),
        name: 'Wang Fang',
        company: 'Example Trading Co.',
        location: 'Hangzhou',
        free_text: 'What do you keep about me?\nThanks.',
      },
      consents: { marketing: true },
    });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ status: 'received', guardian: null, deadlineAt: null });
    expect(res.body.receipt).toMatch(/^\/api\/v1\/consent\/receipt\?token=[A-Za-z0-9_-]{43}$/);
    const id = res.body.id as string;

    const row = await inquiry(id);
    expect(row).toMatchObject({
      purpose_key: 'consultation',
      lang: 'en',
      policy_version: '2026.1',
      status: 'received',
      channel: 'api',
      controller_id: 'self',
    });
    const records = await recordsOf(row.subject_id);
    expect(records.map((r) => `${r.purpose}/${r.category}`)).toEqual([
      'consultation/company',
      'consultation/email',
      'consultation/free_text',
      'consultation/location',
      'consultation/name',
      'consultation/phone',
      'marketing/company',
      'marketing/email',
      'marketing/name',
    ]);
    for (const r of records) {
      expect(r.source).toBe(`inquiry:${id}`);
      const sealed = Buffer.from(r.value_enc!).toString('latin1');
      for (const plain of ['Wang Fang', 'Hangzhou', email, phone, 'Example Trading'])
        expect(sealed).not.toContain(plain);
    }
    // Identifiers are canonical and indexed: the subject is found by them.
    const search = await officer.client.post('/api/v1/subjects/search', { email });
    expect(search.body.items.map((s: { id: string }) => s.id)).toEqual([row.subject_id]);
    const byPhone = await officer.client.post('/api/v1/subjects/search', { phone });
    expect(byPhone.body.items.map((s: { id: string }) => s.id)).toEqual([row.subject_id]);

    const ledger = await ledgerOf(`inquiry:${id}`);
    expect(
      ledger.map((l) => ({
        subject: l.subject_id,
        purpose: l.purpose_key,
        decision: l.decision,
        method: l.method,
        notice: l.notice_sha256 === null ? null : Buffer.from(l.notice_sha256).toString('hex'),
        version: l.policy_version,
        lang: l.lang,
        ip: l.ip_prefix,
      })),
    ).toEqual([
      {
        subject: row.subject_id,
        purpose: 'consultation',
        decision: 'acknowledge',
        method: 'form',
        notice: await noticeSha('consultation', 'en'),
        version: '2026.1',
        lang: 'en',
        ip: '127.0.0.0/24',
      },
      {
        subject: row.subject_id,
        purpose: 'marketing',
        decision: 'grant',
        method: 'form',
        notice: await noticeSha('marketing', 'en'),
        version: '2026.1',
        lang: 'en',
        ip: '127.0.0.0/24',
      },
    ]);

    const token = new URL(res.body.receipt as string, env.url).searchParams.get('token') ?? '';
    const receipt = await env.ctx.store.db
      .selectFrom('consent_receipt_tokens')
      .selectAll()
      .where('token_hash', '=', sha256(token))
      .executeTakeFirst();
    expect(receipt?.subject_id).toBe(row.subject_id);

    // No personal value in the audit trail or the logs.
    const audit = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'entry'])
      .execute();
    const submitted = audit.filter(
      (a) => a.action === 'inquiry.submit' && Buffer.from(a.entry).toString().includes(id),
    );
    expect(submitted).toHaveLength(1);
    const text = audit.map((a) => Buffer.from(a.entry).toString('utf8')).join('\n');
    const logs = env.logs.join('\n');
    for (const plain of [email, phone, 'Wang Fang', 'Hangzhou']) {
      expect(text.toLowerCase()).not.toContain(plain.toLowerCase());
      expect(logs.toLowerCase()).not.toContain(plain.toLowerCase());
    }
  });

  it('links a returning person through the blind index: e-mail first, then phone', async () => {
    const email = uniqueEmail('li.na');
    const phone = uniquePhone();
    const first = await submit(good({ fields: { email, phone } }));
    expect(first.status, first.text).toBe(201);
    const subject = (await inquiry(first.body.id)).subject_id;

    // The same e-mail written differently, another phone: the same person.
    const again = await submit(
      good({ fields: { email: ` ${email.toUpperCase()} `, phone: uniquePhone() } }),
    );
    expect(again.status).toBe(201);
    expect((await inquiry(again.body.id)).subject_id).toBe(subject);
    // Another e-mail, the same phone written internationally: found by phone.
    const byPhone = await submit(
      good({ fields: { email: uniqueEmail('other'), phone: `0086 ${phone}` } }),
    );
    expect(byPhone.status).toBe(201);
    expect((await inquiry(byPhone.body.id)).subject_id).toBe(subject);
    // Someone new: a new subject. An international number (E.164) is accepted.
    const stranger = await submit(
      good({ fields: { email: uniqueEmail('new'), phone: '+44 20 7946 0958' }, lang: 'zh-CN' }),
    );
    expect(stranger.status, stranger.text).toBe(201);
    const strangerRow = await inquiry(stranger.body.id);
    expect(strangerRow.subject_id).not.toBe(subject);
    expect(strangerRow.lang).toBe('zh-CN');
    const ledger = await ledgerOf(`inquiry:${stranger.body.id}`);
    expect(ledger.map((l) => [l.purpose_key, l.decision, l.lang])).toEqual([
      ['consultation', 'acknowledge', 'zh-CN'],
    ]);
    expect(Buffer.from(ledger[0]!.notice_sha256!).toString('hex')).toBe(
      await noticeSha('consultation', 'zh-CN'),
    );
  });

  it('refuses bad input with a 400 naming the field, writing nothing', async () => {
    const before = await counts();
    const cases: Array<[Record<string, unknown>, string]> = [
      [
        good({ fields: { phone: uniquePhone(), email: uniqueEmail('x'), shoe_size: '42' } }),
        '/body/fields/shoe_size',
      ],
      [
        good({ fields: { phone: uniquePhone(), email: uniqueEmail('x'), 'Bad-Key': 'v' } }),
        '/body/fields/Bad-Key',
      ],
      [good({ fields: { email: uniqueEmail('x') } }), '/body/fields/phone'],
      [good({ fields: { phone: uniquePhone(), email: '   ' } }), '/body/fields/email'],
      [good({ fields: { phone: '12345', email: uniqueEmail('x') } }), '/body/fields/phone'],
      [good({ fields: { phone: '+1 555', email: uniqueEmail('x') } }), '/body/fields/phone'],
      [good({ fields: { phone: uniquePhone(), email: 'not-an-address' } }), '/body/fields/email'],
      [
        good({
          fields: { phone: uniquePhone(), email: uniqueEmail('x'), free_text: 'y'.repeat(4001) },
        }),
        '/body/fields/free_text',
      ],
      [
        good({ fields: { phone: uniquePhone(), email: uniqueEmail('x'), name: 'a\u0007b' } }),
        '/body/fields/name',
      ],
      [good({ purpose: 'teleportation' }), '/body/purpose'],
      [good({ policyVersion: '1999.9' }), '/body/policyVersion'],
      [good({ consents: { teleport: true } }), '/body/consents/teleport'],
      [good({ consents: { website_analytics: true } }), '/body/consents/website_analytics'],
      [good({ consents: { consultation: true } }), '/body/consents/consultation'],
      [good({ guardianEmail: 'mum@example.com' }), '/body/guardianEmail'],
      [good({ extra: 1 }), '/body/extra'],
      [good({ lang: 'fr' }), '/body/lang'],
    ];
    for (const [body, pointer] of cases) expectProblem(await submit(body), 400, pointer);
    // Several problems are all named at once.
    const many = await submit(
      good({ fields: { phone: 'x', email: 'y', shoe_size: '1' }, policyVersion: 'nope' }),
    );
    expectProblem(many, 400);
    expect(many.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/body/fields/email',
      '/body/fields/phone',
      '/body/fields/shoe_size',
      '/body/policyVersion',
    ]);
    // The message names the field, never the value.
    const named = await submit(
      good({ fields: { phone: uniquePhone(), email: 'secret-value-xyz', hobby: 'chess' } }),
    );
    expect(named.body.detail).toContain('/body/fields/hobby');
    expect(named.text).not.toContain('secret-value-xyz');
    expect(named.text).not.toContain('chess');
    expect(await counts()).toEqual(before);
  });

  it('stores HTML and script as given, sealed, and hands it back only as inert JSON', async () => {
    const email = uniqueEmail('xss');
    const res = await submit(
      good({
        fields: {
          phone: uniquePhone(),
          email,
          name: `${SCRIPT}"'&`,
          company: `<img src=x onerror=alert(1)>`,
          location: SCRIPT,
          free_text: `<b>bold</b>${SCRIPT}`,
        },
      }),
    );
    expect(res.status, res.text).toBe(201);
    const row = await inquiry(res.body.id);
    const view = await officer.client.get(`/api/v1/inquiries/${res.body.id}`);
    expect(view.status).toBe(200);
    const reads = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'target_type'])
      .where('target_id', '=', res.body.id)
      .where('action', '=', 'inquiry.read')
      .execute();
    expect(reads).toEqual([{ action: 'inquiry.read', target_type: 'inquiry' }]);
    expect(view.headers.get('content-type')).toMatch(/^application\/json/);
    expect(view.text).not.toContain('<script>');
    expect(view.body.fields.every((f: { masked: boolean }) => f.masked)).toBe(true);
    const revealed = await officer.client.post(`/api/v1/subjects/${row.subject_id}/reveal`, {
      reason: 'checking what the form stored',
    });
    expect(revealed.status, revealed.text).toBe(200);
    expect(revealed.headers.get('content-type')).toMatch(/^application\/json/);
    const byCategory = Object.fromEntries(
      (revealed.body.records as Array<{ category: string; value: string }>).map((r) => [
        r.category,
        r.value,
      ]),
    );
    expect(byCategory).toMatchObject({
      name: `${SCRIPT}"'&`,
      company: '<img src=x onerror=alert(1)>',
      location: SCRIPT,
      free_text: `<b>bold</b>${SCRIPT}`,
    });
  });

  it('shows staff inquiries without personal values; the list needs consents.read', async () => {
    const email = uniqueEmail('staff.view');
    const made = await submit(good({ fields: { phone: uniquePhone(), email, name: 'Zhao Lei' } }));
    expect(made.status).toBe(201);
    const id = made.body.id as string;

    const anonymous = await web.get('/api/v1/inquiries');
    expect(anonymous.status).toBe(401);
    const security = await loginAs(env, 'security_officer');
    expect((await security.client.get('/api/v1/inquiries')).status).toBe(403);
    expect((await security.client.get(`/api/v1/inquiries/${id}`)).status).toBe(403);

    const handler = await loginAs(env, 'request_handler');
    const list = await handler.client.get('/api/v1/inquiries?limit=2');
    expect(list.status).toBe(200);
    expect(list.body.items[0]).toMatchObject({
      id,
      purpose: 'consultation',
      status: 'received',
      channel: 'api',
      guardian: null,
    });
    expect(list.text).not.toContain(email);
    expect(list.text).not.toContain('Zhao');
    expect(list.body.items).toHaveLength(2);
    const next = await handler.client.get(`/api/v1/inquiries?limit=2&after=${list.body.next}`);
    expect(next.status).toBe(200);
    for (const item of next.body.items as Array<{ id: string }>)
      expect(item.id < (list.body.next as string)).toBe(true);
    const held = await handler.client.get('/api/v1/inquiries?status=held');
    expect(held.body.items).toEqual([]);

    const one = await handler.client.get(`/api/v1/inquiries/${id}`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id, minor: false, subjectId: expect.any(String) });
    const values = Object.fromEntries(
      (one.body.fields as Array<{ category: string; value: string }>).map((f) => [
        f.category,
        f.value,
      ]),
    );
    expect(values.email).toMatch(/^s\*\*\*@example\.net$/);
    expect(values.name).toBe('Z*** L***');
    expect(one.text).not.toContain(email);
    expect(one.body.consents.map((c: { purpose: string; decision: string }) => c.decision)).toEqual(
      ['acknowledge'],
    );
    expect(
      (await handler.client.get('/api/v1/inquiries/0190a0b1-0000-7000-8000-000000000000')).status,
    ).toBe(404);
    expect((await handler.client.get('/api/v1/inquiries/nope')).status).toBe(400);
  });

  it('limits submissions per client network', async () => {
    let last: Res | undefined;
    for (let i = 0; i < 40; i++) {
      last = await web.send('POST', '/api/v1/inquiries', {
        raw: '{',
        headers: { 'content-type': 'application/json' },
      });
      if (last.status === 429) break;
    }
    expect(last?.status).toBe(429);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    env.clock.advance(11 * 60_000);
    expect((await submit(good())).status).toBe(201);
  });
});
