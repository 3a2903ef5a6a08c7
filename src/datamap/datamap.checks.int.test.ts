// Data map checks through HTTP on SQLite and PostgreSQL: purposes (legal basis, retention,
// categories, separate consent), clashing keys, recipients' countries and staff without
// datamap.write, each refusal leaving nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { datamapCounts, expectProblem, purpose } from '../../test/support/datamap.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { loginAs, type Staff } from '../../test/support/http.js';

describe.each(DB_KINDS)('data map checks on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let handler: Staff;

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
    handler = await loginAs(env, 'request_handler');
    // A retired category for the purpose checks to refuse (the entries tests retire this one).
    const made = await officer.client.post('/api/v1/datamap/categories', {
      key: 'loyalty_id',
      nameEn: 'Loyalty card number',
      nameZh: '会员卡号',
      groupKey: 'work',
      sensitive: false,
    });
    expect(made.status, made.text).toBe(201);
    const retired = await officer.client.post('/api/v1/datamap/categories/loyalty_id/retire');
    expect(retired.status, retired.text).toBe(200);
  });
  afterAll(async () => env.close());

  const counts = () => datamapCounts(env);

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
