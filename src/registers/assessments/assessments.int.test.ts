// Impact assessments through HTTP on SQLite and PostgreSQL: automatic proposals from data-map
// changes (one per trigger, no duplicates while one is open), completion rules, three-year
// retention, and the policy flag a high-risk result raises.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../../test/support/env.js';
import { loginAs, type Staff } from '../../../test/support/http.js';
import { openPolicyFlags } from './flags.js';

const YEAR_MS = 365 * 86_400_000;

describe.each(DB_KINDS)('impact assessments on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let auditor: Staff;
  let handler: Staff;
  let cnProcessor: string;
  let sgPartner: string;

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
    auditor = await loginAs(env, 'auditor');
    handler = await loginAs(env, 'request_handler');
    cnProcessor = (
      await officer.client.post('/api/v1/datamap/recipients', {
        name: 'Cloud host',
        kind: 'processor',
        country: 'CN',
      })
    ).body.id;
    sgPartner = (
      await officer.client.post('/api/v1/datamap/recipients', {
        name: 'Analytics partner',
        kind: 'third_party',
        country: 'SG',
      })
    ).body.id;
  });
  afterAll(async () => env.close());

  const get = async (id: string) => (await officer.client.get(`/api/v1/assessments/${id}`)).body;
  const countRows = async () =>
    Number(
      (
        await env.ctx.store.db
          .selectFrom('assessments')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  const purpose = (key: string, extra: Record<string, unknown> = {}) => ({
    key,
    nameEn: 'Purpose',
    nameZh: '目的',
    legalBasis: 'contract',
    legalBasisRef: 'customer contract',
    necessity: 'Needed to perform the contract.',
    retentionDays: 365,
    retentionEnd: 'delete',
    categories: [{ key: 'email', required: true }],
    ...extra,
  });

  it('proposes sensitive_pi when a purpose gains a sensitive category, once', async () => {
    const plain = await officer.client.post('/api/v1/datamap/purposes', purpose('kyc'));
    expect(plain.body.proposedAssessments).toEqual([]);
    const gained = await officer.client.patch('/api/v1/datamap/purposes/kyc', {
      categories: [
        { key: 'email', required: true },
        { key: 'cn_resident_id', required: true },
      ],
    });
    expect(gained.status, gained.text).toBe(200);
    expect(gained.body.proposedAssessments).toHaveLength(1);
    const a = await get(gained.body.proposedAssessments[0]);
    expect(a).toMatchObject({
      triggers: ['sensitive_pi'],
      status: 'proposed',
      origin: 'automatic',
      originRef: { entityType: 'purpose', entityId: 'kyc', version: 2 },
      scope: { purposeKeys: ['kyc'], systemIds: [] },
      completedAt: null,
    });
    // Another sensitive category while that one is open: no duplicate.
    const again = await officer.client.patch('/api/v1/datamap/purposes/kyc', {
      categories: [
        { key: 'email', required: true },
        { key: 'cn_resident_id', required: true },
        { key: 'passport', required: false },
      ],
    });
    expect(again.body.proposedAssessments).toEqual([]);
    const listed = await officer.client.get('/api/v1/assessments?trigger=sensitive_pi');
    expect(
      listed.body.items.filter((x: { scope: { purposeKeys: string[] } }) =>
        x.scope.purposeKeys.includes('kyc'),
      ),
    ).toHaveLength(1);

    const events = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('entry')
      .where('action', '=', 'assessment.propose')
      .where('target_id', '=', a.id)
      .execute();
    expect(JSON.parse(events[0]!.entry.toString('utf8')).details).toMatchObject({
      triggers: ['sensitive_pi'],
      entityType: 'purpose',
      entityId: 'kyc',
    });
  });

  it('proposes sensitive_pi for purposes using a category that becomes sensitive', async () => {
    await officer.client.post(
      '/api/v1/datamap/purposes',
      purpose('fitness', {
        categories: [{ key: 'job_title', required: true }],
      }),
    );
    const res = await officer.client.patch('/api/v1/datamap/categories/job_title', {
      sensitive: true,
      sensitiveKind: 'specific_identity',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.proposedAssessments).toHaveLength(1);
    expect(await get(res.body.proposedAssessments[0])).toMatchObject({
      triggers: ['sensitive_pi'],
      scope: { purposeKeys: ['fitness'] },
      originRef: { entityType: 'category', entityId: 'job_title', version: 2 },
    });
  });

  it('proposes automated_decision when a purpose starts deciding automatically', async () => {
    const res = await officer.client.post('/api/v1/datamap/purposes', purpose('scoring'));
    expect(res.body.proposedAssessments).toEqual([]);
    const on = await officer.client.patch('/api/v1/datamap/purposes/scoring', {
      automatedDecision: true,
    });
    expect(on.body.proposedAssessments).toHaveLength(1);
    expect((await get(on.body.proposedAssessments[0])).triggers).toEqual(['automated_decision']);
    const rename = await officer.client.patch('/api/v1/datamap/purposes/scoring', {
      nameEn: 'Credit scoring',
    });
    expect(rename.body.proposedAssessments).toEqual([]);
  });

  it('proposes entrusting, providing and cross_border for systems, without duplicates', async () => {
    const internal = await officer.client.post('/api/v1/datamap/systems', {
      name: 'CRM',
      region: 'CN-BJ',
      operator: 'internal',
      purposeKeys: ['kyc'],
    });
    expect(internal.status, internal.text).toBe(201);
    expect(internal.body.proposedAssessments).toEqual([]);
    const id = internal.body.id as string;

    const entrusted = await officer.client.patch(`/api/v1/datamap/systems/${id}`, {
      operator: 'processor',
      operatorRecipientId: cnProcessor,
    });
    expect(entrusted.body.proposedAssessments).toHaveLength(1);
    expect(await get(entrusted.body.proposedAssessments[0])).toMatchObject({
      triggers: ['entrusting'],
      scope: { systemIds: [id], purposeKeys: [] },
      originRef: { entityType: 'system', entityId: id, version: 2 },
    });

    const provided = await officer.client.patch(`/api/v1/datamap/systems/${id}`, {
      recipientIds: [cnProcessor],
    });
    expect((await get(provided.body.proposedAssessments[0])).triggers).toEqual(['providing']);

    // A recipient abroad: providing is already open, so only cross_border is new.
    const abroad = await officer.client.patch(`/api/v1/datamap/systems/${id}`, {
      recipientIds: [cnProcessor, sgPartner],
    });
    expect(abroad.body.proposedAssessments).toHaveLength(1);
    expect((await get(abroad.body.proposedAssessments[0])).triggers).toEqual(['cross_border']);

    // Storage moving abroad while cross_border is open: nothing new.
    const moved = await officer.client.patch(`/api/v1/datamap/systems/${id}`, { region: 'SG' });
    expect(moved.status, moved.text).toBe(200);
    expect(moved.body.proposedAssessments).toEqual([]);

    // A new system abroad, with a processor and recipients: one assessment, three triggers.
    const all = await officer.client.post('/api/v1/datamap/systems', {
      name: 'Overseas warehouse',
      region: 'US',
      operator: 'processor',
      operatorRecipientId: cnProcessor,
      recipientIds: [cnProcessor],
    });
    expect(all.body.proposedAssessments).toHaveLength(1);
    expect((await get(all.body.proposedAssessments[0])).triggers.sort()).toEqual([
      'cross_border',
      'entrusting',
      'providing',
    ]);

    // A recipient moving abroad reaches every system it is linked to.
    const local = await officer.client.post('/api/v1/datamap/systems', {
      name: 'Support desk',
      region: 'CN',
      operator: 'internal',
      recipientIds: [cnProcessor],
    });
    expect((await get(local.body.proposedAssessments[0])).triggers).toEqual(['providing']);
    const relocated = await officer.client.patch(`/api/v1/datamap/recipients/${cnProcessor}`, {
      country: 'JP',
    });
    expect(relocated.status, relocated.text).toBe(200);
    const scopes = await Promise.all(
      (relocated.body.proposedAssessments as string[]).map(async (a) => {
        const x = await get(a);
        expect(x.triggers).toEqual(['cross_border']);
        return x.scope.systemIds[0] as string;
      }),
    );
    // The CRM and the warehouse already have an open cross_border assessment; the desk did not.
    expect(scopes).toEqual([local.body.id]);
  });

  it('refuses to complete without the art. 56 findings, naming each missing one', async () => {
    const created = await officer.client.post('/api/v1/assessments', {
      title: 'Annual review of marketing',
      triggers: ['other_high_impact'],
      purposeKeys: ['marketing'],
      lawfulness: 'Consent is asked before any mail.',
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ status: 'in_progress', origin: 'manual' });
    const id = created.body.id as string;

    const noMeasures = await officer.client.post(`/api/v1/assessments/${id}/complete`, {
      impact: 'Low: only e-mail addresses.',
      riskRating: 'low',
    });
    expect(noMeasures.status).toBe(400);
    expect(noMeasures.body.type).toBe('urn:custos:problem:validation');
    expect(noMeasures.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/body/measures',
    ]);
    const none = await officer.client.post(`/api/v1/assessments/${id}/complete`, {});
    expect(none.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/body/impact',
      '/body/measures',
      '/body/riskRating',
    ]);
    // Nothing of the refused completion was kept.
    expect(await get(id)).toMatchObject({
      status: 'in_progress',
      impact: null,
      riskRating: null,
      completedAt: null,
    });

    const patched = await officer.client.patch(`/api/v1/assessments/${id}`, {
      measures: 'One-click opt-out; suppression list.',
    });
    expect(patched.status).toBe(200);
    const done = await officer.client.post(`/api/v1/assessments/${id}/complete`, {
      impact: 'Low: only e-mail addresses.',
      riskRating: 'low',
    });
    expect(done.status, done.text).toBe(200);
    expect(done.body).toMatchObject({ status: 'completed', approvedBy: officer.id });
    expect(done.body.policyFlagId).toBeNull();
    const completedAt = new Date(done.body.completedAt);
    const expected = new Date(completedAt);
    expected.setUTCFullYear(expected.getUTCFullYear() + 3);
    expect(done.body.retainUntil).toBe(expected.toISOString());

    expect(
      (await officer.client.patch(`/api/v1/assessments/${id}`, { title: 'Rewritten' })).status,
    ).toBe(409);
    expect((await officer.client.post(`/api/v1/assessments/${id}/complete`, {})).status).toBe(409);
    expect(
      (await officer.client.get('/api/v1/assessments?status=completed')).body.items.map(
        (x: { id: string }) => x.id,
      ),
    ).toContain(id);
  });

  it('refuses bad assessments with 400s, writing nothing', async () => {
    const before = await countRows();
    for (const [body, pointer] of [
      [{ title: 'x', triggers: ['sensitive_pi'], purposeKeys: ['no_such'] }, '/body/purposeKeys/0'],
      [
        {
          title: 'x',
          triggers: ['sensitive_pi'],
          systemIds: ['01890000-0000-7000-8000-000000000000'],
        },
        '/body/systemIds/0',
      ],
      [{ title: 'x', triggers: [] }, '/body/triggers'],
      [{ title: 'x', triggers: ['because'] }, '/body/triggers/0'],
      [{ triggers: ['sensitive_pi'] }, '/body/title'],
      [{ title: 'x', triggers: ['sensitive_pi'], riskRating: 'extreme' }, '/body/riskRating'],
    ] as const) {
      const res = await officer.client.post('/api/v1/assessments', body);
      expect(res.status, res.text).toBe(400);
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
    expect(await countRows()).toBe(before);
  });

  it('raises a policy flag when an assessment rates the processing high-risk', async () => {
    const proposed = (
      await officer.client.get('/api/v1/assessments?status=proposed&trigger=automated_decision')
    ).body.items[0];
    const res = await officer.client.post(`/api/v1/assessments/${proposed.id}/complete`, {
      lawfulness: 'Contract; scoring is necessary to offer credit.',
      impact: 'Wrong scores can deny people credit.',
      measures: 'Human review on request; explanation of the logic.',
      riskRating: 'high',
      residualRisk: 'medium',
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body.policyFlagId).toEqual(expect.any(String));
    const flags = await officer.client.get('/api/v1/assessments/policy-flags');
    expect(flags.status).toBe(200);
    expect(flags.body.items).toContainEqual(
      expect.objectContaining({
        id: res.body.policyFlagId,
        sourceType: 'assessment',
        sourceId: proposed.id,
        reason: 'high_risk_assessment',
        resolvedAt: null,
      }),
    );
    const open = await openPolicyFlags(env.ctx.store.db);
    expect(open.map((f) => f.source_id)).toContain(proposed.id);
    const raised = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('action')
      .where('action', '=', 'policy.flag_raise')
      .where('target_id', '=', res.body.policyFlagId)
      .execute();
    expect(raised).toHaveLength(1);
    // With the automated-decision assessment closed, the next such change proposes a new one.
    await officer.client.patch('/api/v1/datamap/purposes/scoring', { automatedDecision: false });
    const reopened = await officer.client.patch('/api/v1/datamap/purposes/scoring', {
      automatedDecision: true,
    });
    expect(reopened.body.proposedAssessments).toHaveLength(1);
  });

  it('enforces permissions', async () => {
    const before = await countRows();
    expect((await handler.client.get('/api/v1/assessments')).status).toBe(403);
    expect((await auditor.client.get('/api/v1/assessments')).status).toBe(200);
    expect((await auditor.client.get('/api/v1/assessments/policy-flags')).status).toBe(200);
    const denied = await auditor.client.post('/api/v1/assessments', {
      title: 'x',
      triggers: ['sensitive_pi'],
    });
    expect(denied.status).toBe(403);
    expect(denied.body.type).toBe('urn:custos:problem:forbidden');
    expect(await countRows()).toBe(before);
  });

  it('keeps completed assessments three years, then lets them be deleted', async () => {
    const created = await officer.client.post('/api/v1/assessments', {
      title: 'Short-lived pilot',
      triggers: ['other_high_impact'],
      lawfulness: 'Lawful.',
      impact: 'Small.',
      measures: 'Encryption.',
      riskRating: 'medium',
    });
    const id = created.body.id as string;
    const open = await officer.client.delete(`/api/v1/assessments/${id}`);
    expect(open.status).toBe(409);
    const done = await officer.client.post(`/api/v1/assessments/${id}/complete`, {});
    expect(done.status, done.text).toBe(200);
    const early = await officer.client.delete(`/api/v1/assessments/${id}`);
    expect(early.status).toBe(409);
    expect(early.body.type).toBe('urn:custos:problem:conflict');
    expect(early.body.detail).toContain(done.body.retainUntil);
    expect((await get(id)).status).toBe('completed');

    env.clock.advance(2 * YEAR_MS);
    const later = await loginAs(env, 'privacy_officer');
    expect((await later.client.delete(`/api/v1/assessments/${id}`)).status).toBe(409);

    env.clock.advance(YEAR_MS + 2 * 86_400_000);
    const latest = await loginAs(env, 'privacy_officer');
    const gone = await latest.client.delete(`/api/v1/assessments/${id}`);
    expect(gone.status, gone.text).toBe(204);
    expect((await latest.client.get(`/api/v1/assessments/${id}`)).status).toBe(404);
  });
});
