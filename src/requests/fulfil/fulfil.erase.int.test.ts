// Deletion on SQLite and PostgreSQL: crypto-shredding with a tombstone, records kept under a legal
// hold on a category or a person (a partial deletion), and withdrawal of consent deleting only the
// consent-based records.
import { describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import { fulfilSuite, HOUR } from '../../../test/support/fulfil.js';

describe.each(DB_KINDS)('fulfilment on %s', (kind) => {
  const fx = fulfilSuite(kind);
  const { makeSubject, makeRequest, run, count, dataKeys, searchByEmail, download, disclose } = fx;

  async function holdOn(scope: 'subject' | 'category', targetId: string): Promise<string> {
    const res = await fx.officer.client.post('/api/v1/retention/holds', {
      scope,
      targetId,
      reason: 'litigation hold for the pending court case',
      endsAt: new Date(fx.env.clock.now().getTime() + 30 * 24 * HOUR).toISOString(),
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function release(holdId: string): Promise<void> {
    const res = await fx.officer.client.post(`/api/v1/retention/holds/${holdId}/release`, {
      reason: 'court case settled and closed',
    });
    expect(res.status).toBe(200);
  }

  it('deletes on request: no records, identifiers, key or packages left; a tombstone', async () => {
    const subject = await makeSubject([
      { category: 'email', purpose: 'consultation', value: 'qian.ba@example.com' },
      { category: 'phone', purpose: 'consultation', value: '13900002222' },
    ]);
    await disclose(subject, 'Deletion Recipient Co');
    const access = await run(await makeRequest('access', subject));
    const request = await makeRequest('deletion', subject);
    const outcome = await run(request);
    expect(outcome.partial).toBe(false);
    expect(outcome.done).toEqual([
      { kind: 'erased_records', count: 2 },
      { kind: 'identifiers_removed', count: 2 },
      { kind: 'data_key_destroyed', count: 1 },
      { kind: 'packages_removed', count: 1 },
      { kind: 'recipients_to_inform', count: 1 },
    ]);
    expect(outcome.recipients?.map((r) => r.name)).toEqual(['Deletion Recipient Co']);
    expect(await count('pi_records', subject)).toBe(0);
    expect(await count('subject_identifiers', subject)).toBe(0);
    expect(await count('request_files', subject)).toBe(0);
    expect(await dataKeys('subject', subject)).toBe(0);
    expect(await searchByEmail('qian.ba@example.com')).toEqual([]);
    const tombstone = await fx.env.ctx.store.db
      .selectFrom('subject_tombstones')
      .selectAll()
      .where('subject_id', '=', subject)
      .executeTakeFirstOrThrow();
    expect(tombstone).toMatchObject({
      request_id: request.id,
      controller_id: 'self',
      reason_code: 'deletion_request',
    });
    const row = await fx.env.ctx.store.db
      .selectFrom('subjects')
      .select('status')
      .where('id', '=', subject)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('erased');
    expect((await download(access.download!.url)).status).toBe(404);
    // Asked again, the truthful answer is that nothing is held.
    const again = await run(await makeRequest('access', subject));
    expect(again).toEqual({
      done: [{ kind: 'no_data_held', count: 0, detail: 'erased_earlier' }],
      partial: false,
      download: null,
    });
  });

  it('keeps exactly the records under a legal hold and says the deletion was partial', async () => {
    const subject = await makeSubject([
      { category: 'email', purpose: 'contract', value: 'li.jiu@example.com' },
      { category: 'name', purpose: 'contract', value: '李九' },
      { category: 'passport', purpose: 'contract', value: 'E12345678' },
      { category: 'passport', purpose: 'rights_requests', value: 'E87654321' },
    ]);
    const hold = await holdOn('category', 'passport');
    try {
      const outcome = await run(await makeRequest('account_cancellation', subject));
      expect(outcome.partial).toBe(true);
      expect(outcome.kept).toEqual({
        records: 2,
        categories: ['passport'],
        holds: ['category_hold'],
      });
      expect(outcome.done).toContainEqual({ kind: 'erased_records', count: 2 });
      expect(outcome.done).toContainEqual({
        kind: 'kept_under_legal_hold',
        count: 2,
        detail: 'passport',
      });
      const left = await fx.env.ctx.store.db
        .selectFrom('pi_records')
        .select('category')
        .where('subject_id', '=', subject)
        .execute();
      expect(left.map((r) => r.category)).toEqual(['passport', 'passport']);
      expect(await count('subject_identifiers', subject)).toBe(2);
      expect(await searchByEmail('li.jiu@example.com')).toEqual([]);
      expect(await dataKeys('subject', subject)).toBe(1);
      const restriction = await fx.env.ctx.store.db
        .selectFrom('subject_restrictions')
        .selectAll()
        .where('subject_id', '=', subject)
        .executeTakeFirstOrThrow();
      expect(restriction).toMatchObject({ purposes: 'all', reason_code: 'legal_hold_kept' });
      const tombstones = await fx.env.ctx.store.db
        .selectFrom('subject_tombstones')
        .select('subject_id')
        .where('subject_id', '=', subject)
        .execute();
      expect(tombstones).toEqual([]);
    } finally {
      await release(hold);
    }

    // A hold on the person keeps everything.
    const held = await makeSubject([
      { category: 'email', purpose: 'contract', value: 'held.person@example.com' },
    ]);
    const personHold = await holdOn('subject', held);
    const outcome = await run(await makeRequest('deletion', held));
    expect(outcome.partial).toBe(true);
    expect(outcome.kept).toEqual({ records: 1, categories: ['email'], holds: ['subject_hold'] });
    expect(await count('pi_records', held)).toBe(1);
    await release(personHold);
  });

  it('withdraws consent: deletes only consent-based records and names the other bases', async () => {
    const subject = await makeSubject([
      { category: 'email', purpose: 'marketing', value: 'zhou.shi@example.com' },
      { category: 'name', purpose: 'marketing', value: '周十' },
      { category: 'phone', purpose: 'consultation', value: '13700003333' },
      { category: 'email', purpose: 'rights_requests', value: 'zhou.shi@example.com' },
    ]);
    const outcome = await run(await makeRequest('withdraw_consent', subject));
    expect(outcome.partial).toBe(false);
    expect(outcome.done).toEqual([
      { kind: 'consent_withdrawn', count: 1, detail: 'marketing' },
      { kind: 'erased_records', count: 2 },
      { kind: 'identifiers_removed', count: 1 },
      { kind: 'kept_other_legal_basis', count: 2, detail: 'contract: 1, legal_duty: 1' },
    ]);
    const left = await fx.env.ctx.store.db
      .selectFrom('pi_records')
      .select('purpose')
      .where('subject_id', '=', subject)
      .orderBy('purpose')
      .execute();
    expect(left.map((r) => r.purpose)).toEqual(['consultation', 'rights_requests']);
    // The rights-request e-mail still finds the person; the marketing one's digest is gone.
    expect(await count('subject_identifiers', subject)).toBe(2);
    const restriction = await fx.env.ctx.store.db
      .selectFrom('subject_restrictions')
      .selectAll()
      .where('subject_id', '=', subject)
      .executeTakeFirstOrThrow();
    expect(restriction).toMatchObject({
      purposes: '["marketing"]',
      reason_code: 'consent_withdrawn',
    });

    // Someone held only on consent is shredded, as the retention sweep does with an empty subject.
    const onlyConsent = await makeSubject([
      { category: 'email', purpose: 'marketing', value: 'wu.shiyi@example.com' },
    ]);
    const shredded = await run(await makeRequest('withdraw_consent', onlyConsent));
    expect(shredded.done).toContainEqual({ kind: 'data_key_destroyed', count: 1 });
    expect(await dataKeys('subject', onlyConsent)).toBe(0);
    const tombstone = await fx.env.ctx.store.db
      .selectFrom('subject_tombstones')
      .select('reason_code')
      .where('subject_id', '=', onlyConsent)
      .executeTakeFirstOrThrow();
    expect(tombstone.reason_code).toBe('consent_withdrawn');
  });
});
