// The data map through HTTP on SQLite and PostgreSQL: CRUD with versions and history, retirement
// rules, purpose checks (legal basis, retention, categories, separate consent), recipients'
// countries, systems' references, and refusals that leave nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { loginAs, type Res, type Staff } from '../../test/support/http.js';

const DAY_MS = 86_400_000;

describe.each(DB_KINDS)('data map on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let handler: Staff;

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
    handler = await loginAs(env, 'request_handler');
  });
  afterAll(async () => env.close());

  const purpose = (key: string, extra: Record<string, unknown> = {}) => ({
    key,
    nameEn: 'Answering support tickets',
    nameZh: '处理客服工单',
    legalBasis: 'contract',
    legalBasisRef: 'support terms, clause 3',
    necessity: 'The e-mail address is where the answer goes.',
    retentionDays: 365,
    retentionEnd: 'delete',
    categories: [{ key: 'email', required: true }],
    ...extra,
  });

  /** Row counts of everything a data-map write touches. */
  async function counts() {
    const db = env.ctx.store.db;
    const n = async (
      table:
        | 'purposes'
        | 'data_categories'
        | 'recipients'
        | 'systems'
        | 'datamap_history'
        | 'audit_events'
        | 'assessments'
        | 'purpose_categories',
    ) =>
      Number(
        (
          await db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .executeTakeFirstOrThrow()
        ).n,
      );
    return {
      purposes: await n('purposes'),
      categories: await n('data_categories'),
      recipients: await n('recipients'),
      systems: await n('systems'),
      history: await n('datamap_history'),
      audit: await n('audit_events'),
      assessments: await n('assessments'),
      links: await n('purpose_categories'),
    };
  }

  function expectProblem(res: Res, status: number, pointer: string): void {
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(res.body.type).toBe(
      status === 400 ? 'urn:custos:problem:validation' : 'urn:custos:problem:conflict',
    );
    if (status === 400)
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
  }

  it('creates, updates and retires a category, keeping every version in the history', async () => {
    const created = await officer.client.post('/api/v1/datamap/categories', {
      key: 'loyalty_id',
      nameEn: 'Loyalty card number',
      nameZh: '会员卡号',
      groupKey: 'work',
      sensitive: false,
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ key: 'loyalty_id', version: 1, status: 'active' });
    expect(created.body.proposedAssessments).toEqual([]);

    const updated = await officer.client.patch('/api/v1/datamap/categories/loyalty_id', {
      nameEn: 'Membership card number',
      description: 'Printed on the card',
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ version: 2, nameEn: 'Membership card number' });

    const retired = await officer.client.post('/api/v1/datamap/categories/loyalty_id/retire');
    expect(retired.status, retired.text).toBe(200);
    expect(retired.body).toMatchObject({ version: 3, status: 'retired' });
    expect(
      (await officer.client.patch('/api/v1/datamap/categories/loyalty_id', { nameEn: 'x' })).status,
    ).toBe(409);

    const history = await officer.client.get(
      '/api/v1/datamap/history?entityType=category&entityId=loyalty_id',
    );
    expect(history.status).toBe(200);
    expect(
      history.body.items.map((v: { version: number; change: string }) => [v.version, v.change]),
    ).toEqual([
      [1, 'create'],
      [2, 'update'],
      [3, 'retire'],
    ]);
    expect(history.body.items[0].snapshot.name_en).toBe('Loyalty card number');
    expect(history.body.items[1].snapshot.name_en).toBe('Membership card number');
    expect(history.body.items[2].snapshot.status).toBe('retired');
    expect(history.body.items[1].actor).toEqual({ type: 'user', id: officer.id });

    const events = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'entry'])
      .where('target_id', '=', 'loyalty_id')
      .orderBy('seq')
      .execute();
    expect(events.map((e) => e.action)).toEqual([
      'datamap.create',
      'datamap.update',
      'datamap.retire',
    ]);
    const details = JSON.parse(events[1]!.entry.toString('utf8')).details;
    expect(details).toEqual({
      entityType: 'category',
      entityId: 'loyalty_id',
      version: 2,
      fields: ['description', 'nameEn'],
    });
    // Field names only: the new free-text values stay out of the audit log.
    expect(events[1]!.entry.toString('utf8')).not.toContain('Printed on the card');

    const retiredList = await officer.client.get('/api/v1/datamap/categories?status=retired');
    expect(retiredList.body.items.map((c: { key: string }) => c.key)).toContain('loyalty_id');
    const activeList = await officer.client.get('/api/v1/datamap/categories?status=active');
    expect(activeList.body.items.map((c: { key: string }) => c.key)).not.toContain('loyalty_id');
  });

  it('edits a seeded built-in category and pages through the list', async () => {
    const res = await officer.client.patch('/api/v1/datamap/categories/job_title', {
      description: 'As stated by the person',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ builtin: true, version: 2 });
    const history = await officer.client.get(
      '/api/v1/datamap/history?entityType=category&entityId=job_title',
    );
    expect(history.body.items.map((v: { version: number }) => v.version)).toEqual([1, 2]);

    const first = await officer.client.get('/api/v1/datamap/categories?limit=5');
    expect(first.body.items).toHaveLength(5);
    expect(first.body.next).toBe(first.body.items[4].key);
    const second = await officer.client.get(
      `/api/v1/datamap/categories?limit=5&after=${first.body.next}`,
    );
    const firstKeys = first.body.items.map((c: { key: string }) => c.key);
    expect(second.body.items).toHaveLength(5);
    for (const c of second.body.items as Array<{ key: string }>)
      expect(firstKeys).not.toContain(c.key);
    expect((await officer.client.get('/api/v1/datamap/categories/no_such_kind')).status).toBe(404);
  });

  it('creates and updates a purpose; a new retention period moves existing expiries', async () => {
    const created = await officer.client.post(
      '/api/v1/datamap/purposes',
      purpose('support', {
        categories: [
          { key: 'email', required: true },
          { key: 'name', required: false },
        ],
      }),
    );
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({
      key: 'support',
      version: 1,
      retentionDays: 365,
      retentionBasis: 'purpose',
      separateConsent: false,
      categories: [
        { key: 'email', required: true },
        { key: 'name', required: false },
      ],
    });

    const subject = await officer.client.post('/api/v1/subjects', {
      records: [
        {
          category: 'email',
          purpose: 'support',
          value: 'wang.wu@example.com',
          source: 'web_form',
          collectedAt: '2026-01-10T00:00:00.000Z',
        },
      ],
    });
    expect(subject.status, subject.text).toBe(201);

    const updated = await officer.client.patch('/api/v1/datamap/purposes/support', {
      retentionDays: 30,
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body).toMatchObject({ version: 2, retentionDays: 30 });
    const record = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('expires_at')
      .where('subject_id', '=', subject.body.id)
      .executeTakeFirstOrThrow();
    expect(record.expires_at).toBe(
      new Date(Date.parse('2026-01-10T00:00:00.000Z') + 30 * DAY_MS).toISOString(),
    );

    const history = await officer.client.get(
      '/api/v1/datamap/history?entityType=purpose&entityId=support',
    );
    expect(history.body.items).toHaveLength(2);
    expect(history.body.items[1].snapshot).toMatchObject({
      retention_days: 30,
      version: 2,
      categories: [
        { key: 'email', required: true },
        { key: 'name', required: false },
      ],
    });
    const got = await officer.client.get('/api/v1/datamap/purposes/support');
    expect(got.body.retentionDays).toBe(30);

    // The same declaration in another order, or an unchanged value, is no new version.
    const same = await officer.client.patch('/api/v1/datamap/purposes/support', {
      retentionDays: 30,
      categories: [
        { key: 'name', required: false },
        { key: 'email', required: true },
      ],
    });
    expect(same.status, same.text).toBe(200);
    expect(same.body.version).toBe(2);
    expect(
      (await officer.client.get('/api/v1/datamap/history?entityType=purpose&entityId=support')).body
        .items,
    ).toHaveLength(2);
    expect(
      (await officer.client.get('/api/v1/datamap/history?entityType=purpose&entityId=nothing'))
        .status,
    ).toBe(404);
  });

  it('refuses bad purposes with a 400 naming the field, writing nothing', async () => {
    const before = await counts();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...purpose('no_basis'), legalBasis: undefined }, '/body/legalBasis'],
      [{ ...purpose('no_retention'), retentionDays: undefined }, '/body/retentionDays'],
      [purpose('negative', { retentionDays: -5 }), '/body/retentionDays'],
      [purpose('zero', { retentionDays: 0 }), '/body/retentionDays'],
      [purpose('fraction', { retentionDays: 12.5 }), '/body/retentionDays'],
      [purpose('absurd', { retentionDays: 36501 }), '/body/retentionDays'],
      [purpose('text_days', { retentionDays: '365' }), '/body/retentionDays'],
      [purpose('bad_end', { retentionEnd: 'archive' }), '/body/retentionEnd'],
      [purpose('no_cats', { categories: [] }), '/body/categories'],
      [
        purpose('unknown_cat', {
          categories: [
            { key: 'email', required: true },
            { key: 'shoe_size', required: false },
          ],
        }),
        '/body/categories/1/key',
      ],
      [
        purpose('retired_cat', { categories: [{ key: 'loyalty_id', required: true }] }),
        '/body/categories/0/key',
      ],
      [purpose('no_ref', { legalBasisRef: null }), '/body/legalBasisRef'],
      [purpose('no_necessity', { necessity: '   ' }), '/body/necessity'],
      [
        purpose('face_login', {
          legalBasis: 'consent',
          legalBasisRef: null,
          categories: [{ key: 'face_image', required: true }],
        }),
        '/body/separateConsent',
      ],
      [purpose('Bad-Key'), '/body/key'],
      [purpose('1abc'), '/body/key'],
      [purpose('a'), '/body/key'],
      [purpose('x13812345678'), '/body/key'],
      [purpose('extra_field', { color: 'blue' }), '/body/color'],
    ];
    for (const [body, pointer] of cases) {
      const res = await officer.client.post('/api/v1/datamap/purposes', body);
      expectProblem(res, 400, pointer);
      expect(res.text).not.toContain('shoe_size');
    }
    // An update is held to the same rules, and a refused one changes nothing either.
    for (const [patch, pointer] of [
      [{ retentionDays: 0 }, '/body/retentionDays'],
      [{ retentionDays: 100000 }, '/body/retentionDays'],
      [{ legalBasis: 'legal_duty', legalBasisRef: null }, '/body/legalBasisRef'],
      [{ categories: [{ key: 'nope_nope', required: true }] }, '/body/categories/0/key'],
    ] as const) {
      expectProblem(
        await officer.client.patch('/api/v1/datamap/purposes/consultation', patch),
        400,
        pointer,
      );
    }
    expect(await counts()).toEqual(before);
    const consultation = await officer.client.get('/api/v1/datamap/purposes/consultation');
    expect(consultation.body.version).toBe(1);
  });

  it('accepts a consent purpose with sensitive data only with separate consent', async () => {
    const res = await officer.client.post(
      '/api/v1/datamap/purposes',
      purpose('face_login', {
        legalBasis: 'consent',
        legalBasisRef: null,
        separateConsent: true,
        categories: [{ key: 'face_image', required: true }],
      }),
    );
    expect(res.status, res.text).toBe(201);
    expect(res.body.separateConsent).toBe(true);
    // Dropping separate consent later is refused the same way.
    expectProblem(
      await officer.client.patch('/api/v1/datamap/purposes/face_login', {
        separateConsent: false,
      }),
      400,
      '/body/separateConsent',
    );
  });

  it('refuses clashing keys with 409', async () => {
    const before = await counts();
    const dupPurpose = await officer.client.post('/api/v1/datamap/purposes', purpose('marketing'));
    expectProblem(dupPurpose, 409, '');
    const dupCategory = await officer.client.post('/api/v1/datamap/categories', {
      key: 'email',
      nameEn: 'E-mail',
      nameZh: '邮箱',
      groupKey: 'contact',
      sensitive: false,
    });
    expectProblem(dupCategory, 409, '');
    expectProblem(
      await officer.client.post('/api/v1/datamap/categories', {
        key: 'palm_print',
        nameEn: 'Palm print',
        nameZh: '掌纹',
        groupKey: 'biometric',
        sensitive: true,
      }),
      400,
      '/body/sensitiveKind',
    );
    expect(await counts()).toEqual(before);
  });

  it('checks recipients’ countries against ISO 3166-1', async () => {
    const before = await counts();
    for (const country of ['XK', 'UK', 'ZZ', 'cn', 'CHN', '']) {
      const res = await officer.client.post('/api/v1/datamap/recipients', {
        name: 'Mail provider',
        kind: 'processor',
        country,
      });
      expectProblem(res, 400, '/body/country');
    }
    expect(await counts()).toEqual(before);
    const ok = await officer.client.post('/api/v1/datamap/recipients', {
      name: 'Mail provider',
      kind: 'processor',
      country: 'SG',
      contact: 'dpo@mail-provider.example',
    });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body).toMatchObject({ country: 'SG', version: 1, status: 'active' });
    expectProblem(
      await officer.client.patch(`/api/v1/datamap/recipients/${ok.body.id}`, { country: 'EU' }),
      400,
      '/body/country',
    );
    const moved = await officer.client.patch(`/api/v1/datamap/recipients/${ok.body.id}`, {
      country: 'DE',
    });
    expect(moved.body).toMatchObject({ country: 'DE', version: 2 });
  });

  it('checks systems’ references and region, and refuses retiring what is in use', async () => {
    const recipient = await officer.client.post('/api/v1/datamap/recipients', {
      name: 'Hosting partner',
      kind: 'processor',
      country: 'CN',
    });
    const base = {
      name: 'Ticket desk',
      region: 'CN-BJ',
      operator: 'internal',
      categoryKeys: ['email'],
      purposeKeys: ['support'],
    };
    const before = await counts();
    expectProblem(
      await officer.client.post('/api/v1/datamap/systems', {
        ...base,
        purposeKeys: ['support', 'no_such_purpose'],
      }),
      400,
      '/body/purposeKeys/1',
    );
    expectProblem(
      await officer.client.post('/api/v1/datamap/systems', { ...base, categoryKeys: ['nope'] }),
      400,
      '/body/categoryKeys/0',
    );
    expectProblem(
      await officer.client.post('/api/v1/datamap/systems', {
        ...base,
        recipientIds: ['01890000-0000-7000-8000-000000000000'],
      }),
      400,
      '/body/recipientIds/0',
    );
    expectProblem(
      await officer.client.post('/api/v1/datamap/systems', { ...base, operator: 'processor' }),
      400,
      '/body/operatorRecipientId',
    );
    expectProblem(
      await officer.client.post('/api/v1/datamap/systems', { ...base, region: 'XX' }),
      400,
      '/body/region',
    );
    expectProblem(
      await officer.client.post('/api/v1/datamap/systems', { ...base, region: 'china' }),
      400,
      '/body/region',
    );
    expect(await counts()).toEqual(before);

    const system = await officer.client.post('/api/v1/datamap/systems', {
      ...base,
      operator: 'processor',
      operatorRecipientId: recipient.body.id,
    });
    expect(system.status, system.text).toBe(201);
    expect(system.body).toMatchObject({
      region: 'CN-BJ',
      operator: 'processor',
      purposeKeys: ['support'],
      categoryKeys: ['email'],
      version: 1,
    });

    expectProblem(await officer.client.post('/api/v1/datamap/purposes/support/retire'), 409, '');
    expectProblem(await officer.client.post('/api/v1/datamap/categories/email/retire'), 409, '');
    expectProblem(
      await officer.client.post(`/api/v1/datamap/recipients/${recipient.body.id}/retire`),
      409,
      '',
    );
    expect((await officer.client.get('/api/v1/datamap/purposes/support')).body.status).toBe(
      'active',
    );

    const renamed = await officer.client.patch(`/api/v1/datamap/systems/${system.body.id}`, {
      name: 'Ticket desk (new)',
      operator: 'internal',
    });
    expect(renamed.status, renamed.text).toBe(200);
    expect(renamed.body).toMatchObject({ version: 2, operatorRecipientId: null });
    const retiredSystem = await officer.client.post(
      `/api/v1/datamap/systems/${system.body.id}/retire`,
    );
    expect(retiredSystem.body).toMatchObject({ status: 'retired', version: 3 });
    const retiredPurpose = await officer.client.post('/api/v1/datamap/purposes/support/retire');
    expect(retiredPurpose.status, retiredPurpose.text).toBe(200);
    expect(retiredPurpose.body).toMatchObject({ status: 'retired', version: 3 });
    const retiredRecipient = await officer.client.post(
      `/api/v1/datamap/recipients/${recipient.body.id}/retire`,
    );
    expect(retiredRecipient.status).toBe(200);

    const history = await officer.client.get(
      `/api/v1/datamap/history?entityType=system&entityId=${system.body.id}`,
    );
    expect(history.body.items.map((v: { change: string }) => v.change)).toEqual([
      'create',
      'update',
      'retire',
    ]);
    expect(history.body.items[0].snapshot).toMatchObject({
      operator: 'processor',
      purpose_keys: ['support'],
      category_keys: ['email'],
    });
  });

  it('lets staff without datamap.write read but not change the map', async () => {
    const before = await counts();
    expect((await handler.client.get('/api/v1/datamap/purposes')).status).toBe(200);
    const res = await handler.client.post('/api/v1/datamap/purposes', purpose('sneaky'));
    expect(res.status).toBe(403);
    expect(res.body.type).toBe('urn:custos:problem:forbidden');
    expect(
      (await handler.client.patch('/api/v1/datamap/purposes/marketing', { retentionDays: 1 }))
        .status,
    ).toBe(403);
    expect((await handler.client.post('/api/v1/datamap/purposes/marketing/retire')).status).toBe(
      403,
    );
    // The refusals are themselves audited (authz.denied); nothing else was written.
    const after = await counts();
    expect({ ...after, audit: before.audit }).toEqual(before);
    const denied = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('action')
      .where('actor_id', '=', handler.id)
      .where('action', '=', 'authz.denied')
      .execute();
    expect(denied).toHaveLength(after.audit - before.audit);
  });
});
