// The disclosure register, law-enforcement requests and transfer-of-control records through
// HTTP, on SQLite and PostgreSQL: separate consent required for consent-based disclosures,
// versioned corrections, authority requests decided once (a grant becomes a linked disclosure; a
// foreign authority needs competent approval), a subject's disclosures listed, controller scoping,
// and bad input refused with nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../db/ids.js';
import { DB_KINDS } from '../../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../../test/support/env.js';
import { loginAs, type Staff } from '../../../test/support/http.js';
import { addRecipient, expectProblem } from '../../../test/support/registers.js';

const D = '/api/v1/disclosures';
const LE = '/api/v1/law-enforcement-requests';
const CT = '/api/v1/transfers/control';

type Table =
  'disclosures' | 'le_requests' | 'control_transfers' | 'disclosure_subjects' | 'recipients';

async function count(env: TestEnv, table: Table): Promise<number> {
  const r = await env.ctx.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe.each(DB_KINDS)('disclosure registers on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let partner: string;
  let subject: string;
  let clientB: string;
  let officerB: Staff;
  let subjectB: string;

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
    partner = await addRecipient(env, 'Shanghai Insurance Partner', 'CN');
    const s = await officer.client.post('/api/v1/subjects', {
      records: [
        { category: 'email', purpose: 'contract', value: 'li.lei@example.cn', source: 'api' },
        { category: 'name', purpose: 'contract', value: '李雷', source: 'api' },
      ],
    });
    subject = s.body.id;
    const admin = await loginAs(env, 'admin');
    const c = await admin.client.post('/api/v1/controllers', {
      slug: 'client-b',
      name: 'Client B',
    });
    expect(c.status).toBe(201);
    clientB = c.body.id;
    officerB = await loginAs(env, 'privacy_officer', { controllers: [clientB] });
    const sb = await officerB.client.post('/api/v1/subjects', {
      controllerId: clientB,
      records: [
        { category: 'email', purpose: 'contract', value: 'han.mei@example.cn', source: 'api' },
      ],
    });
    expect(sb.status).toBe(201);
    subjectB = sb.body.id;
  });
  afterAll(async () => env.close());

  const entry = (over: object = {}) => ({
    recipientId: partner,
    purpose: 'Policy underwriting by the insurance partner',
    categories: ['email', 'name'],
    legalBasis: 'consent',
    separateConsentRef: 'separate consent screen v3, record set 2026-11',
    personsCount: 120,
    disclosedAt: env.clock.now().toISOString(),
    ...over,
  });

  it('records, corrects in versions and delivers a disclosure', async () => {
    const created = await officer.client.post(D, entry());
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ controllerId: 'self', version: 1, legalBasis: 'consent' });
    expect(created.body.recipient).toEqual({
      name: 'Shanghai Insurance Partner',
      kind: 'third_party',
      country: 'CN',
    });
    const id = created.body.id as string;

    const fixed = await officer.client.patch(`${D}/${id}`, { personsCount: 130 });
    expect(fixed.status).toBe(200);
    expect(fixed.body.version).toBe(2);
    const got = await officer.client.get(`${D}/${id}`);
    expect(
      got.body.versions.map((v: { entry: { personsCount: number } }) => v.entry.personsCount),
    ).toEqual([120, 130]);
    expect((await officer.client.delete(`${D}/${id}`)).status).toBe(404);

    const delivered = await officer.client.post(`${D}/${id}/deliver`, {
      subjectIds: [subject],
      reason: 'underwriting batch for November',
    });
    expect(delivered.status).toBe(200);
    expect(delivered.body.crossBorder).toBe(false);
    const values = delivered.body.subjects[0].records.map((r: { value: string }) => r.value).sort();
    expect(values).toEqual(['li.lei@example.cn', '李雷']);
    const audit = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('entry')
      .where('action', '=', 'disclosure.deliver')
      .execute();
    expect(audit).toHaveLength(1);
    expect(audit[0]!.entry.toString('utf8')).not.toContain('li.lei');
    expect(env.logs.join('')).not.toContain('li.lei@example.cn');

    const after = await officer.client.get(`${D}/${id}`);
    expect(after.body.disclosedPersons).toBe(1);
    const listed = await officer.client.get(`${D}?recipientId=${partner}`);
    expect(listed.body.items.map((d: { id: string }) => d.id)).toContain(id);

    const mine = await officer.client.get(`/api/v1/subjects/${subject}/disclosures`);
    expect(mine.status).toBe(200);
    expect(mine.body.items).toHaveLength(1);
    expect(mine.body.items[0]).toMatchObject({
      disclosureId: id,
      recipient: { name: 'Shanghai Insurance Partner', country: 'CN' },
      purpose: 'Policy underwriting by the insurance partner',
      categories: ['email', 'name'],
      via: 'delivery',
    });
  });

  it('needs pi.disclose and pi.reveal to deliver', async () => {
    const created = await officer.client.post(D, entry());
    const handler = await loginAs(env, 'request_handler');
    const denied = await handler.client.post(`${D}/${created.body.id}/deliver`, {
      subjectIds: [subject],
      reason: 'underwriting batch for November',
    });
    expect(denied.status).toBe(403);
    const auditor = await loginAs(env, 'auditor');
    expect((await auditor.client.post(D, entry())).status).toBe(403);
    expect((await auditor.client.get(D)).status).toBe(200);
  });

  it('decides an authority request once, creating the linked disclosure', async () => {
    const req = await officer.client.post(LE, {
      authority: 'Haidian District Public Security Bureau',
      authorityCountry: 'CN',
      instrumentRef: 'Evidence collection notice HD-2026-118',
      receivedAt: env.clock.now().toISOString(),
      scopeRequested: 'Account holder name for one customer id',
      subjectIds: [subject],
    });
    expect(req.status).toBe(201);
    expect(req.body.status).toBe('received');
    const decided = await officer.client.post(`${LE}/${req.body.id}/decide`, {
      decision: 'granted',
      reason: 'valid notice under the Criminal Procedure Law',
      disclosedCategories: ['name'],
      disclosedSummary: 'Name only, delivered on paper',
    });
    expect(decided.status).toBe(200);
    expect(decided.body.status).toBe('granted');
    const disclosureId = decided.body.disclosureId as string;
    expect(decided.body.disclosure).toMatchObject({
      id: disclosureId,
      leRequestId: req.body.id,
      legalBasis: 'legal_duty',
      categories: ['name'],
      recipient: { kind: 'authority', country: 'CN' },
    });
    const linked = await officer.client.get(`${D}/${disclosureId}`);
    expect(linked.body.leRequestId).toBe(req.body.id);
    const mine = await officer.client.get(`/api/v1/subjects/${subject}/disclosures`);
    expect(mine.body.items.map((d: { disclosureId: string }) => d.disclosureId)).toContain(
      disclosureId,
    );

    const disclosures = await count(env, 'disclosures');
    const again = await officer.client.post(`${LE}/${req.body.id}/decide`, {
      decision: 'refused',
      reason: 'changed our mind',
    });
    expect(again.status).toBe(409);
    expect(
      (await officer.client.patch(`${LE}/${req.body.id}`, { scopeRequested: 'more' })).status,
    ).toBe(409);
    expect(await count(env, 'disclosures')).toBe(disclosures);
    expect((await officer.client.get(`${LE}/${req.body.id}`)).body.status).toBe('granted');
  });

  it('refuses to grant a foreign authority without competent approval', async () => {
    const req = await officer.client.post(LE, {
      authority: 'District Court of Somewhere',
      authorityCountry: 'US',
      instrumentRef: 'Subpoena 26-CV-0099',
      receivedAt: env.clock.now().toISOString(),
      scopeRequested: 'All records of one customer id',
      subjectIds: [subject],
    });
    expect(req.status).toBe(201);
    expect(req.body.foreign).toBe(true);
    const before = { d: await count(env, 'disclosures'), r: await count(env, 'recipients') };
    const refused = await officer.client.post(`${LE}/${req.body.id}/decide`, {
      decision: 'granted',
      reason: 'subpoena looks valid',
      disclosedCategories: ['email'],
    });
    expectProblem(refused, '/body/competentApprovalRef');
    expect(await count(env, 'disclosures')).toBe(before.d);
    expect(await count(env, 'recipients')).toBe(before.r);
    expect((await officer.client.get(`${LE}/${req.body.id}`)).body.status).toBe('received');

    const ok = await officer.client.post(`${LE}/${req.body.id}/decide`, {
      decision: 'partially_granted',
      reason: 'approved by the Ministry of Justice for e-mail only',
      disclosedCategories: ['email'],
      competentApprovalRef: 'MOJ approval 2026-77',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.disclosure.recipient).toMatchObject({ kind: 'authority', country: 'US' });
  });

  it('records a transfer of control with versions', async () => {
    const created = await officer.client.post(CT, {
      kind: 'acquisition',
      counterparty: 'Example Holdings Ltd',
      counterpartyCountry: 'CN',
      effectiveAt: '2027-01-01T00:00:00Z',
      categories: ['email', 'name'],
      personsCount: 250_000,
      obligationsNote:
        'Buyer keeps the published policy and its protections; new purposes need fresh consent.',
      notificationRef: 'notice campaign 2026-12',
    });
    expect(created.status).toBe(201);
    const patched = await officer.client.patch(`${CT}/${created.body.id}`, {
      personsCount: 260_000,
    });
    expect(patched.status).toBe(200);
    expect(patched.body.version).toBe(2);
    const list = await officer.client.get(CT);
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain(created.body.id);
    const got = await officer.client.get(`${CT}/${created.body.id}`);
    expect(got.body.versions).toHaveLength(2);
    const counted = await count(env, 'control_transfers');
    const bad = await officer.client.post(CT, {
      kind: 'merger',
      counterparty: 'Nowhere Corp',
      counterpartyCountry: 'XX',
      effectiveAt: '2027-01-01T00:00:00Z',
      categories: ['email'],
      personsCount: 1,
      obligationsNote: 'keeps the protections of the policy',
    });
    expectProblem(bad, '/body/counterpartyCountry');
    expect(await count(env, 'control_transfers')).toBe(counted);
  });

  it('keeps each controller to its own registers', async () => {
    const own = await officer.client.post(D, entry());
    const le = await officer.client.post(LE, {
      authority: 'Chaoyang Procuratorate',
      authorityCountry: 'CN',
      instrumentRef: 'Notice CY-2026-5',
      receivedAt: env.clock.now().toISOString(),
      scopeRequested: 'Contract records',
    });
    expect((await officerB.client.get(`${D}/${own.body.id}`)).status).toBe(404);
    expect((await officerB.client.patch(`${D}/${own.body.id}`, { personsCount: 1 })).status).toBe(
      404,
    );
    expect(
      (
        await officerB.client.post(`${D}/${own.body.id}/deliver`, {
          subjectIds: [subject],
          reason: 'trying to peek at it',
        })
      ).status,
    ).toBe(404);
    expect((await officerB.client.get(`${LE}/${le.body.id}`)).status).toBe(404);
    expect((await officerB.client.get(`/api/v1/subjects/${subject}/disclosures`)).status).toBe(404);
    expect((await officerB.client.get(D)).body.items).toEqual([]);
    expect((await officerB.client.get(LE)).body.items).toEqual([]);
    expect((await officerB.client.get(CT)).body.items).toEqual([]);
    expect((await officerB.client.post(D, entry({ controllerId: 'self' }))).status).toBe(404);

    // B's own entry cannot deliver A's subjects, nor A's entry B's.
    const bEntry = await officerB.client.post(D, entry({ controllerId: clientB }));
    expect(bEntry.status).toBe(201);
    const cross = await officerB.client.post(`${D}/${bEntry.body.id}/deliver`, {
      subjectIds: [subjectB, subject],
      reason: 'batch for the partner',
    });
    expectProblem(cross, '/body/subjectIds/1');
    const okB = await officerB.client.post(`${D}/${bEntry.body.id}/deliver`, {
      subjectIds: [subjectB],
      reason: 'batch for the partner',
    });
    expect(okB.status).toBe(200);
    expect((await officer.client.get(`${D}/${bEntry.body.id}`)).status).toBe(200);
  });

  it('refuses bad disclosures and requests with the field named and writes nothing', async () => {
    const before = {
      d: await count(env, 'disclosures'),
      l: await count(env, 'le_requests'),
      s: await count(env, 'disclosure_subjects'),
    };
    expectProblem(
      await officer.client.post(D, entry({ separateConsentRef: undefined })),
      '/body/separateConsentRef',
    );
    expectProblem(
      await officer.client.post(D, entry({ separateConsentRef: '   ' })),
      '/body/separateConsentRef',
    );
    expectProblem(
      await officer.client.post(D, entry({ recipientId: newId() })),
      '/body/recipientId',
    );
    expectProblem(
      await officer.client.post(D, entry({ categories: ['nope'] })),
      '/body/categories/0',
    );
    expectProblem(
      await officer.client.post(D, entry({ legalBasis: 'because' })),
      '/body/legalBasis',
    );
    expectProblem(
      await officer.client.post(
        D,
        entry({ disclosedAt: new Date(env.clock.now().getTime() + 86_400_000).toISOString() }),
      ),
      '/body/disclosedAt',
    );
    expectProblem(
      await officer.client.post(D, entry({ note: 'call him on 13812345678' })),
      '/body/note',
    );
    expectProblem(await officer.client.post(D, entry({ extra: 1 })), '/body/extra');
    const existing = await officer.client.post(
      D,
      entry({ legalBasis: 'contract', separateConsentRef: null }),
    );
    expect(existing.status).toBe(201);
    before.d += 1;
    expectProblem(
      await officer.client.patch(`${D}/${existing.body.id}`, { legalBasis: 'consent' }),
      '/body/separateConsentRef',
    );
    expect((await officer.client.get(`${D}/${existing.body.id}`)).body.version).toBe(1);
    expectProblem(
      await officer.client.post(`${D}/${existing.body.id}/deliver`, {
        subjectIds: [newId()],
        reason: 'batch for the partner',
      }),
      '/body/subjectIds/0',
    );
    expectProblem(
      await officer.client.post(`${D}/${existing.body.id}/deliver`, {
        subjectIds: [],
        reason: 'batch for the partner',
      }),
      '/body/subjectIds',
    );
    const leBase = {
      authority: 'Some Bureau',
      authorityCountry: 'CN',
      instrumentRef: 'Notice 1',
      receivedAt: env.clock.now().toISOString(),
      scopeRequested: 'Records',
    };
    expectProblem(
      await officer.client.post(LE, { ...leBase, authorityCountry: 'ZZ' }),
      '/body/authorityCountry',
    );
    expectProblem(
      await officer.client.post(LE, { ...leBase, subjectIds: [subjectB] }),
      '/body/subjectIds/0',
    );
    const le = await officer.client.post(LE, leBase);
    before.l += 1;
    expectProblem(
      await officer.client.post(`${LE}/${le.body.id}/decide`, {
        decision: 'granted',
        reason: 'valid notice',
      }),
      '/body/disclosedCategories',
    );
    expectProblem(
      await officer.client.post(`${LE}/${le.body.id}/decide`, {
        decision: 'maybe',
        reason: 'valid notice',
      }),
      '/body/decision',
    );
    expect(await count(env, 'disclosures')).toBe(before.d);
    expect(await count(env, 'le_requests')).toBe(before.l);
    expect(await count(env, 'disclosure_subjects')).toBe(before.s);
    expect((await officer.client.get(`${LE}/${le.body.id}`)).body.status).toBe('received');
  });
});
