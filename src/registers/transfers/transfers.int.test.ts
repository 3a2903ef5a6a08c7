// The cross-border transfer register and the export guard through HTTP, on SQLite and
// PostgreSQL: deliveries abroad refused without an approved, unexpired transfer covering the
// recipient, destination and category (refusal audited, nothing disclosed); allowed once one is
// approved; persons counted distinct per year; threshold warnings raised once; bad input refused
// with nothing written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../db/ids.js';
import { DB_KINDS } from '../../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../../test/support/env.js';
import { loginAs, type Staff } from '../../../test/support/http.js';
import { addRecipient, expectProblem } from '../../../test/support/registers.js';
import { transferYear } from './volumes.js';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const T = '/api/v1/transfers';
const D = '/api/v1/disclosures';

async function addSubject(staff: Staff, n: number): Promise<string> {
  const res = await staff.client.post('/api/v1/subjects', {
    records: [
      { category: 'email', purpose: 'contract', value: `buyer${n}@example.com`, source: 'api' },
      { category: 'name', purpose: 'contract', value: '王小明', source: 'api' },
      {
        category: 'cn_resident_id',
        purpose: 'contract',
        value: '11010519491231002X',
        source: 'api',
      },
    ],
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function count(
  env: TestEnv,
  table: 'transfers' | 'transfer_persons' | 'disclosure_subjects' | 'register_history',
) {
  const r = await env.ctx.store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

async function auditCount(env: TestEnv, action: string) {
  const r = await env.ctx.store.db
    .selectFrom('audit_events')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('action', '=', action)
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe.each(DB_KINDS)('cross-border transfers and the export guard on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let abroad: string;
  let home: string;

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
    abroad = await addRecipient(env, 'Lion Analytics Pte Ltd', 'SG', 'processor');
    home = await addRecipient(env, 'Beijing Courier Co', 'CN', 'processor');
  });
  afterAll(async () => env.close());

  const disclosure = async (recipientId: string, categories: string[]) => {
    const res = await officer.client.post(D, {
      recipientId,
      purpose: 'Order fulfilment by the logistics partner',
      categories,
      legalBasis: 'contract',
      personsCount: 10,
      disclosedAt: env.clock.now().toISOString(),
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const deliver = (id: string, subjectIds: string[], by: Staff = officer) =>
    by.client.post(`${D}/${id}/deliver`, {
      subjectIds,
      reason: 'monthly export for order fulfilment',
    });

  it('refuses, allows, counts, expires and revokes deliveries abroad', async () => {
    const s1 = await addSubject(officer, 1);
    const s2 = await addSubject(officer, 2);
    const entry = await disclosure(abroad, ['email', 'name']);

    // No transfer at all: refused, named, audited, nothing disclosed.
    const refused = await deliver(entry, [s1]);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('urn:custos:problem:transfer-required');
    expect(refused.body.detail).toContain('Lion Analytics Pte Ltd');
    expect(refused.body.detail).toContain('SG');
    expect(refused.body.detail).toContain('email');
    expect(refused.text).not.toContain('buyer1@example.com');
    expect(await count(env, 'disclosure_subjects')).toBe(0);
    expect(await count(env, 'transfer_persons')).toBe(0);
    expect(await auditCount(env, 'transfer.refused')).toBe(1);
    expect(await auditCount(env, 'disclosure.deliver')).toBe(0);

    // A draft covers nothing.
    const created = await officer.client.post(T, {
      recipientId: abroad,
      destinationCountry: 'SG',
      mechanism: 'standard_contract',
      mechanismRef: 'SCC filing BJ-2026-0042',
      categories: ['email', 'name'],
      purposes: ['contract'],
      expectedYearlyPersons: 5000,
    });
    expect(created.status).toBe(201);
    expect(created.body.status).toBe('draft');
    const transferId = created.body.id as string;
    expect((await deliver(entry, [s1])).status).toBe(403);

    // Short-lived on purpose: expiry is tested by moving the clock past it (sessions last 30 min).
    const approved = await officer.client.post(`${T}/${transferId}/approve`, {
      approvedAt: new Date(env.clock.now().getTime() - 3_600_000).toISOString(),
      expiresAt: new Date(env.clock.now().getTime() + 10 * MINUTE).toISOString(),
    });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('approved');

    const ok = await deliver(entry, [s1]);
    expect(ok.status).toBe(200);
    expect(ok.body.crossBorder).toBe(true);
    expect(ok.body.transferIds).toEqual([transferId]);
    expect(ok.body.warnings).toEqual([]);
    const values = ok.body.subjects[0].records.map((r: { value: string }) => r.value).sort();
    expect(values).toEqual(['buyer1@example.com', '王小明']);
    expect(await count(env, 'disclosure_subjects')).toBe(1);

    // Counted once per person per year, however often they go.
    expect((await deliver(entry, [s1])).status).toBe(200);
    expect((await deliver(entry, [s1, s2])).status).toBe(200);
    const got = await officer.client.get(`${T}/${transferId}`);
    expect(got.body.persons).toEqual({
      year: transferYear(env.clock.now()),
      nonSensitive: 2,
      sensitive: 0,
    });
    const volumes = await officer.client.get(`${T}/volumes`);
    expect(volumes.status).toBe(200);
    expect(volumes.body.persons).toEqual({ nonSensitive: 2, sensitive: 0 });
    expect(volumes.body.thresholds.map((t: { key: string }) => t.key)).toEqual([
      'non_sensitive_100k',
      'non_sensitive_1m',
      'sensitive_10k',
    ]);

    // A category the transfer does not cover (sensitive ID numbers).
    const idEntry = await disclosure(abroad, ['cn_resident_id']);
    const uncovered = await deliver(idEntry, [s1]);
    expect(uncovered.status).toBe(403);
    expect(uncovered.body.detail).toContain('cn_resident_id');

    // Expired: refused; back in time: allowed again.
    env.clock.advance(11 * MINUTE);
    const expired = await deliver(entry, [s1]);
    expect(expired.status).toBe(403);
    expect((await officer.client.get(`${T}/${transferId}`)).body.status).toBe('expired');
    env.clock.advance(-11 * MINUTE);
    expect((await deliver(entry, [s1])).status).toBe(200);

    // Revoked: refused.
    const revoked = await officer.client.post(`${T}/${transferId}/revoke`, {
      reason: 'contract with the partner terminated',
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body.status).toBe('revoked');
    const afterRevoke = await deliver(entry, [s2]);
    expect(afterRevoke.status).toBe(403);
    expect(await auditCount(env, 'transfer.refused')).toBe(5);
    // An approved transfer cannot be edited or approved twice.
    expect(
      (await officer.client.patch(`${T}/${transferId}`, { expectedYearlyPersons: 10 })).status,
    ).toBe(409);
  });

  it('needs no transfer for a recipient in mainland China', async () => {
    const s = await addSubject(officer, 3);
    const entry = await disclosure(home, ['email', 'cn_resident_id']);
    const before = await count(env, 'transfer_persons');
    const res = await deliver(entry, [s]);
    expect(res.status).toBe(200);
    expect(res.body.crossBorder).toBe(false);
    expect(res.body.records).toBe(2);
    expect(await count(env, 'transfer_persons')).toBe(before);
  });

  it('counts persons per calendar year', async () => {
    const recipient = await addRecipient(env, 'Maple Support Inc', 'CA', 'processor');
    const t = await officer.client.post(T, {
      recipientId: recipient,
      destinationCountry: 'CA',
      mechanism: 'exemption',
      exemptionGround: 'contract_necessity',
      categories: ['email'],
      purposes: ['contract'],
      expectedYearlyPersons: 100,
    });
    expect(t.status).toBe(201);
    await officer.client.post(`${T}/${t.body.id}/approve`, {
      approvedAt: env.clock.now().toISOString(),
    });
    const s = await addSubject(officer, 4);
    const entry = await disclosure(recipient, ['email']);
    const thisYear = transferYear(env.clock.now());
    expect((await deliver(entry, [s])).status).toBe(200);
    const now = await officer.client.get(`${T}/${t.body.id}`);
    expect(now.body.persons).toMatchObject({ year: thisYear, nonSensitive: 1 });
    env.clock.advance(366 * DAY);
    try {
      // A year later the old session is long gone; a colleague logs in then.
      const later = await loginAs(env, 'privacy_officer');
      const next = await later.client.get(`${T}/${t.body.id}`);
      expect(next.body.persons).toEqual({ year: thisYear + 1, nonSensitive: 0, sensitive: 0 });
      expect((await deliver(entry, [s], later)).status).toBe(200);
      const counted = await later.client.get(`${T}/${t.body.id}`);
      expect(counted.body.persons.nonSensitive).toBe(1);
      const past = await later.client.get(`${T}/volumes?year=${thisYear}`);
      expect(past.body.year).toBe(thisYear);
      expect(past.body.persons.nonSensitive).toBeGreaterThanOrEqual(1);
    } finally {
      env.clock.advance(-366 * DAY);
    }
  });

  it('refuses bad transfers with the field named and writes nothing', async () => {
    const base = {
      recipientId: abroad,
      destinationCountry: 'SG',
      mechanism: 'standard_contract',
      mechanismRef: 'SCC filing BJ-2026-0077',
      categories: ['email'],
      purposes: ['contract'],
      expectedYearlyPersons: 100,
    };
    const transfers = await count(env, 'transfers');
    const history = await count(env, 'register_history');
    const cases: Array<[object, string]> = [
      [{ destinationCountry: 'XX' }, '/body/destinationCountry'],
      [{ destinationCountry: 'ZZ9' }, '/body/destinationCountry'],
      [{ destinationCountry: 'US' }, '/body/destinationCountry'],
      [{ mechanism: 'exemption', mechanismRef: null }, '/body/exemptionGround'],
      [{ mechanismRef: null }, '/body/mechanismRef'],
      [{ mechanism: 'security_assessment', mechanismRef: '  ' }, '/body/mechanismRef'],
      [{ recipientId: newId() }, '/body/recipientId'],
      [{ categories: ['no_such_category'] }, '/body/categories/0'],
      [{ purposes: ['no_such_purpose'] }, '/body/purposes/0'],
      [
        {
          mechanism: 'exemption',
          mechanismRef: null,
          exemptionGround: 'small_volume',
          categories: ['email', 'cn_resident_id'],
        },
        '/body/categories/1',
      ],
      [
        {
          mechanism: 'exemption',
          mechanismRef: null,
          exemptionGround: 'small_volume',
          expectedYearlyPersons: 150_000,
        },
        '/body/expectedYearlyPersons',
      ],
    ];
    for (const [over, pointer] of cases) {
      const res = await officer.client.post(T, { ...base, ...over });
      expectProblem(res, pointer);
    }
    expect(await count(env, 'transfers')).toBe(transfers);
    expect(await count(env, 'register_history')).toBe(history);

    const draft = await officer.client.post(T, base);
    expect(draft.status).toBe(201);
    const written = await count(env, 'register_history');
    const backwards = await officer.client.post(`${T}/${draft.body.id}/approve`, {
      approvedAt: env.clock.now().toISOString(),
      expiresAt: new Date(env.clock.now().getTime() - DAY).toISOString(),
    });
    expectProblem(backwards, '/body/expiresAt');
    const still = await officer.client.get(`${T}/${draft.body.id}`);
    expect(still.body.status).toBe('draft');
    expect(still.body.approvedAt).toBeNull();
    expect(await count(env, 'register_history')).toBe(written);
  });

  it('lets only transfers.approve approve, and hides nothing from readers', async () => {
    const auditor = await loginAs(env, 'auditor');
    const list = await auditor.client.get(T);
    expect(list.status).toBe(200);
    const draft = list.body.items.find((t: { status: string }) => t.status === 'draft');
    expect(draft).toBeDefined();
    const denied = await auditor.client.post(`${T}/${draft.id}/approve`, {
      approvedAt: env.clock.now().toISOString(),
    });
    expect(denied.status).toBe(403);
    expect((await auditor.client.post(T, {})).status).toBe(403);
  });
});

describe.each(DB_KINDS)('transfer volume thresholds on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;

  beforeAll(async () => {
    env = await makeEnv(kind, { CUSTOS_TRANSFER_WARN_PERCENT: '1' });
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => env.close());

  it('warns once per threshold per year when the share is reached', async () => {
    const recipient = await addRecipient(env, 'Harbour Mail GmbH', 'DE', 'processor');
    const t = await officer.client.post(T, {
      recipientId: recipient,
      destinationCountry: 'DE',
      mechanism: 'exemption',
      exemptionGround: 'small_volume',
      categories: ['email'],
      purposes: ['marketing'],
      expectedYearlyPersons: 50_000,
    });
    expect(t.status).toBe(201);
    expect(
      (
        await officer.client.post(`${T}/${t.body.id}/approve`, {
          approvedAt: env.clock.now().toISOString(),
        })
      ).status,
    ).toBe(200);
    // 998 persons already sent this year (earlier exports), so 1 % of 100,000 is two persons away.
    const year = transferYear(env.clock.now());
    const earlier = Array.from({ length: 998 }, () => ({
      transfer_id: t.body.id as string,
      year,
      subject_id: newId(),
      sensitive: 0,
      first_at: env.clock.now().toISOString(),
    }));
    for (let i = 0; i < earlier.length; i += 200)
      await env.ctx.store.db
        .insertInto('transfer_persons')
        .values(earlier.slice(i, i + 200))
        .execute();

    const entry = await officer.client.post(D, {
      recipientId: recipient,
      purpose: 'Newsletter dispatch by the mail provider',
      categories: ['email'],
      legalBasis: 'consent',
      separateConsentRef: 'consent campaign 2026-newsletter',
      personsCount: 1000,
      disclosedAt: env.clock.now().toISOString(),
    });
    expect(entry.status).toBe(201);
    const send = (ids: string[]) =>
      officer.client.post(`${D}/${entry.body.id}/deliver`, {
        subjectIds: ids,
        reason: 'weekly newsletter dispatch',
      });

    const a = await addSubject(officer, 11);
    const quiet = await send([a]);
    expect(quiet.status).toBe(200);
    expect(quiet.body.warnings).toEqual([]);

    const b = await addSubject(officer, 12);
    const c = await addSubject(officer, 13);
    const crossing = await send([b, c]);
    expect(crossing.status).toBe(200);
    expect(crossing.body.warnings).toHaveLength(1);
    expect(crossing.body.warnings[0]).toMatchObject({
      key: 'non_sensitive_100k',
      persons: 1001,
      limit: 100_000,
      new: true,
      year,
    });
    expect(await auditCount(env, 'transfer.threshold_warning')).toBe(1);

    const d = await addSubject(officer, 14);
    const again = await send([d]);
    expect(again.body.warnings[0]).toMatchObject({ key: 'non_sensitive_100k', new: false });
    expect(await auditCount(env, 'transfer.threshold_warning')).toBe(1);

    const volumes = await officer.client.get(`${T}/volumes`);
    expect(volumes.body.persons.nonSensitive).toBe(1002);
    expect(volumes.body.warnings.map((w: { key: string }) => w.key)).toEqual([
      'non_sensitive_100k',
    ]);
    expect(volumes.body.warnings[0].raisedAt).not.toBeNull();
  });
});

describe.each(DB_KINDS)('transfers of a CIIO on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;

  beforeAll(async () => {
    env = await makeEnv(kind, { CUSTOS_CIIO: 'true' });
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => env.close());

  it('accepts only a security assessment for volume-based mechanisms', async () => {
    const recipient = await addRecipient(env, 'Kiwi Cloud Ltd', 'NZ', 'processor');
    const base = {
      recipientId: recipient,
      destinationCountry: 'NZ',
      categories: ['email'],
      purposes: ['contract'],
      expectedYearlyPersons: 10,
    };
    const scc = await officer.client.post(T, {
      ...base,
      mechanism: 'standard_contract',
      mechanismRef: 'SCC-1',
    });
    expectProblem(scc, '/body/mechanism');
    const small = await officer.client.post(T, {
      ...base,
      mechanism: 'exemption',
      exemptionGround: 'small_volume',
    });
    expectProblem(small, '/body/mechanism');
    expect(await count(env, 'transfers')).toBe(0);
    const sa = await officer.client.post(T, {
      ...base,
      mechanism: 'security_assessment',
      mechanismRef: 'CAC assessment 2026-17',
    });
    expect(sa.status).toBe(201);
    expect((await officer.client.get(`${T}/volumes`)).body.requiredMechanisms).toEqual([
      'security_assessment',
    ]);
  });
});
