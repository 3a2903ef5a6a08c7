// A disclosure resting on consent that names its data-map purpose: delivery reads each person's
// consent ledger in its own transaction and hands nothing over without a current grant (PIPL
// arts. 23, 25), so a withdrawal stops the next delivery. Bad purposes are refused on the entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../../test/support/env.js';
import { loginAs, type Staff } from '../../../test/support/http.js';
import { addRecipient, expectProblem } from '../../../test/support/registers.js';

const D = '/api/v1/disclosures';

describe.each(DB_KINDS)('disclosures checked against the consent ledger on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let partner: string;
  let subject: string;

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
    partner = await addRecipient(env, 'Ad Measurement Partner', 'CN');
    const s = await officer.client.post('/api/v1/subjects', {
      records: [
        { category: 'email', purpose: 'contract', value: 'zhou.jie@example.cn', source: 'api' },
      ],
    });
    expect(s.status).toBe(201);
    subject = s.body.id;
  });
  afterAll(async () => env.close());

  const entry = (over: object = {}) => ({
    recipientId: partner,
    purpose: 'Conversion measurement by the advertising partner',
    categories: ['email'],
    legalBasis: 'consent',
    consentPurpose: 'advertising',
    personsCount: 1,
    disclosedAt: env.clock.now().toISOString(),
    ...over,
  });

  const delivered = async () =>
    Number(
      (
        await env.ctx.store.db
          .selectFrom('disclosure_subjects')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('subject_id', '=', subject)
          .executeTakeFirstOrThrow()
      ).n,
    );

  const decide = (granted: boolean) =>
    officer.client.post(`/api/v1/consents/subjects/${subject}`, {
      decisions: [{ purpose: 'advertising', granted }],
      reason: 'consent form signed at the service desk',
    });

  it('delivers only while the person’s latest ledger record for the purpose is a grant', async () => {
    const created = await officer.client.post(D, entry());
    expect(created.status, created.text).toBe(201);
    expect(created.body.consentPurpose).toBe('advertising');
    expect(created.body.separateConsentRef).toBeNull();
    const id = created.body.id as string;
    const deliver = () =>
      officer.client.post(`${D}/${id}/deliver`, {
        subjectIds: [subject],
        reason: 'monthly conversion upload',
      });

    const refused = await deliver();
    expectProblem409(refused);
    expect(refused.body.detail).toContain('/subjectIds/0');
    expect(refused.text).not.toContain('zhou.jie');
    expect(await delivered()).toBe(0);

    expect((await decide(true)).status).toBe(201);
    const ok = await deliver();
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.subjects[0].records[0].value).toBe('zhou.jie@example.cn');
    expect(await delivered()).toBe(1);

    // Withdrawn: the next delivery is refused and nothing more is linked.
    expect((await decide(false)).status).toBe(201);
    expectProblem409(await deliver());
    expect(await delivered()).toBe(1);
  });

  it('refuses a consent purpose that is unknown, not consent-based, or on a non-consent entry', async () => {
    const before = await env.ctx.store.db
      .selectFrom('disclosures')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expectProblem(
      await officer.client.post(D, entry({ consentPurpose: 'no_such_purpose' })),
      '/body/consentPurpose',
    );
    expectProblem(
      await officer.client.post(D, entry({ consentPurpose: 'contract' })),
      '/body/consentPurpose',
    );
    expectProblem(
      await officer.client.post(D, entry({ legalBasis: 'contract' })),
      '/body/consentPurpose',
    );
    expectProblem(
      await officer.client.post(D, entry({ consentPurpose: null })),
      '/body/separateConsentRef',
    );
    const after = await env.ctx.store.db
      .selectFrom('disclosures')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });
});

function expectProblem409(res: { status: number; body: { type: string } }): void {
  expect(res.status).toBe(409);
  expect(res.body.type).toBe('urn:custos:problem:consent-required');
}
