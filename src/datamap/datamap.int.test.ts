// The data map through HTTP on SQLite and PostgreSQL: CRUD with versions and history for
// categories, purposes and systems, retirement rules and systems' references. The checks that
// refuse bad input, clashing keys and unauthorised staff are in datamap.checks.int.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datamapCounts, expectProblem, purpose } from '../../test/support/datamap.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { loginAs, type Staff } from '../../test/support/http.js';

const DAY_MS = 86_400_000;

describe.each(DB_KINDS)('data map on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => env.close());

  const counts = () => datamapCounts(env);

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
});
