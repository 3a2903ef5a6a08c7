// Retention sweeps through HTTP, on SQLite and PostgreSQL: the schedule, dry runs, and sweeps that
// delete, anonymise and crypto-shred while legal holds protect what they cover; the scheduled job,
// one sweep at a time, and who may start one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEntry } from '../audit/events.js';
import { DB_KINDS } from '../../test/support/db.js';
import type { TestEnv } from '../../test/support/env.js';
import { loginAs, type Staff } from '../../test/support/http.js';
import {
  countRows,
  createSubject,
  DAY,
  HOLDS,
  placeHold,
  rec,
  RUNS,
  startRetentionEnv,
  type Rec,
} from '../../test/support/retention.js';
import { runExclusive } from '../jobs/scheduler.js';
import { retentionJobs } from './jobs.js';
import { runRetention, runRetentionExclusive } from './sweep.js';

describe.each(DB_KINDS)('retention sweeps on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let auditor: Staff;
  let clientA: string;
  let clientB: string;

  beforeAll(async () => {
    ({ env, officer, auditor, clientA, clientB } = await startRetentionEnv(kind));
  });
  afterAll(async () => env.close());

  const count = (table: 'pi_records' | 'legal_holds' | 'audit_events' | 'data_keys') =>
    countRows(env, table);
  const subject = (records: Rec[], controllerId?: string) =>
    createSubject(officer, records, controllerId);
  const hold = (scope: string, targetId: string, days: number, who = officer) =>
    placeHold(env, who, scope, targetId, days);
  const recordsOf = async (id: string) =>
    env.ctx.store.db
      .selectFrom('pi_records')
      .select(['category', 'purpose'])
      .where('subject_id', '=', id)
      .orderBy('category')
      .execute();
  const statusOf = async (id: string) =>
    (
      await env.ctx.store.db
        .selectFrom('subjects')
        .select('status')
        .where('id', '=', id)
        .executeTakeFirstOrThrow()
    ).status;

  describe('sweeps', () => {
    // Each subject is named for what the sweep must do with it.
    const s: Record<string, string> = {};
    const holdIds: Record<string, string> = {};
    /** Moves time; sessions do not survive that, so staff log in again. */
    const advance = async (days: number) => {
      env.clock.advance(days * DAY);
      officer = await loginAs(env, 'privacy_officer');
      auditor = await loginAs(env, 'auditor');
    };

    beforeAll(async () => {
      // Holds placed before (by the hold tests, when they shared this database) must not interfere:
      // release every one still open.
      const open = await officer.client.get(`${HOLDS}?status=active&limit=200`);
      for (const h of open.body.items as Array<{ id: string }>)
        await officer.client.post(`${HOLDS}/${h.id}/release`, { reason: 'end of the hold tests' });
      // Nor records made before: move them out of the way by shredding them first.
      await advance(2000);
      expect((await officer.client.post(RUNS, { dryRun: false })).status).toBe(200);
      expect(await count('pi_records')).toBe(0);

      s.expired = await subject([
        rec('email', 'consultation', 'expired.one@example.com'),
        rec('phone', 'consultation', '13811112222'),
      ]);
      s.partly = await subject([
        rec('email', 'consultation', 'partly.kept@example.com'),
        rec('name', 'contract', '钱七'),
      ]);
      s.subjectHeld = await subject([rec('email', 'consultation', 'held.person@example.com')]);
      s.categoryHeld = await subject([
        rec('email', 'consultation', 'cat.held@example.com'),
        rec('company', 'consultation', 'Example Trading Co'),
      ]);
      s.controllerHeld = await subject(
        [rec('email', 'consultation', 'ctl.held@example.com')],
        clientB,
      );
      s.anonymised = await subject([
        rec('cookie_id', 'website_analytics', 'cookie-7f3a9c'),
        rec('browsing_history', 'website_analytics', '/pricing /docs /contact'),
      ]);
      s.endedHold = await subject([rec('email', 'consultation', 'ended.hold@example.com')]);
      s.releasedHold = await subject([rec('email', 'consultation', 'released.hold@example.com')]);

      holdIds.subject = await hold('subject', s.subjectHeld, 800);
      holdIds.category = await hold('category', 'company', 800);
      holdIds.controller = await hold('controller', clientB, 500);
      holdIds.ended = await hold('subject', s.endedHold, 100);
      holdIds.released = await hold('subject', s.releasedHold, 800);
      const rel = await officer.client.post(`${HOLDS}/${holdIds.released}/release`, {
        reason: 'no longer needed for the case',
      });
      expect(rel.status).toBe(200);
    });

    it('shows the schedule per purpose with held and soon-expiring counts', async () => {
      await advance(350);
      const res = await auditor.client.get('/api/v1/retention/schedule');
      expect(res.status).toBe(200);
      const consultation = res.body.purposes.find(
        (p: { purpose: string }) => p.purpose === 'consultation',
      );
      expect(consultation).toMatchObject({
        retentionDays: 365,
        endAction: 'delete',
        // email+phone, email, email, email+company, email (B), email, email
        records: 9,
        // held: the subject hold's email, the company record, B's email
        held: 3,
        expiringSoon: 9,
        overdue: 0,
      });
      const analytics = res.body.purposes.find(
        (p: { purpose: string }) => p.purpose === 'website_analytics',
      );
      expect(analytics).toMatchObject({ endAction: 'anonymise', records: 2, expiringSoon: 0 });
      expect(res.text).not.toContain('example.com');
    });

    let dry: Record<string, number>;
    it('a dry run reports what would happen and changes nothing', async () => {
      await advance(50); // 400 days after collection: all but contract expired
      const before = {
        records: await count('pi_records'),
        keys: await count('data_keys'),
        anonymised: (
          await env.ctx.store.db.selectFrom('retention_anonymised').selectAll().execute()
        ).length,
        statuses: await Promise.all(Object.values(s).map(statusOf)),
      };
      const res = await officer.client.post(RUNS, { dryRun: true });
      expect(res.status, res.text).toBe(200);
      expect(res.body).toMatchObject({ dryRun: true, status: 'completed', trigger: 'api' });
      dry = res.body.counts;
      expect(dry).toMatchObject({ deleted: 6, anonymised: 2, held: 3, shreddedSubjects: 4 });
      expect({
        records: await count('pi_records'),
        keys: await count('data_keys'),
        anonymised: (
          await env.ctx.store.db.selectFrom('retention_anonymised').selectAll().execute()
        ).length,
        statuses: await Promise.all(Object.values(s).map(statusOf)),
      }).toEqual(before);
    });

    it('deletes expired records, anonymises into counts, shreds emptied subjects, honours holds', async () => {
      const res = await officer.client.post(RUNS, { dryRun: false });
      expect(res.status, res.text).toBe(200);
      const c = res.body.counts;
      expect(c).toMatchObject({
        deleted: 6,
        anonymised: 2,
        held: 3,
        shreddedSubjects: 4,
      });
      // The dry run predicted exactly this.
      for (const k of ['deleted', 'anonymised', 'held', 'shreddedSubjects'])
        expect(c[k], k).toBe(dry[k]);
      expect(c.purposes.consultation).toEqual({ deleted: 6, anonymised: 0, held: 3 });
      expect(c.purposes.website_analytics).toEqual({ deleted: 0, anonymised: 2, held: 0 });

      // Emptied subjects are crypto-shredded: the data key is gone, nothing can be read.
      for (const id of [s.expired, s.anonymised, s.endedHold, s.releasedHold]) {
        expect(await statusOf(id!)).toBe('erased');
        expect(await env.ctx.keyring.dataKey(env.ctx.store.db, 'subject', id!)).toBeNull();
        expect(await recordsOf(id!)).toEqual([]);
        const identifiers = await env.ctx.store.db
          .selectFrom('subject_identifiers')
          .select('record_id')
          .where('subject_id', '=', id!)
          .execute();
        expect(identifiers).toEqual([]);
        const got = await officer.client.get(`/api/v1/subjects/${id}`);
        expect(got.body).toMatchObject({ status: 'erased', records: [] });
      }
      const search = await officer.client.post('/api/v1/subjects/search', {
        email: 'expired.one@example.com',
      });
      expect(search.body.items).toEqual([]);

      // Partly expired: only the consultation record went; the contract record stays readable.
      expect(await statusOf(s.partly!)).toBe('active');
      expect(await recordsOf(s.partly!)).toEqual([{ category: 'name', purpose: 'contract' }]);
      // Each kind of hold protects what it covers.
      expect(await recordsOf(s.subjectHeld!)).toHaveLength(1);
      expect(await recordsOf(s.controllerHeld!)).toHaveLength(1);
      expect(await recordsOf(s.categoryHeld!)).toEqual([
        { category: 'company', purpose: 'consultation' },
      ]);
      expect(await statusOf(s.categoryHeld!)).toBe('active');
      const readable = await officer.client.post(`/api/v1/subjects/${s.subjectHeld}/reveal`, {
        reason: 'checking the held record for case 41',
      });
      expect(readable.body.records[0].value).toBe('held.person@example.com');

      // Anonymisation leaves counts by purpose, category, region and month: no value, no person.
      const aggregate = await env.ctx.store.db
        .selectFrom('retention_anonymised')
        .selectAll()
        .orderBy('category')
        .execute();
      const month = new Date(env.clock.now().getTime() - 400 * DAY).toISOString().slice(0, 7);
      expect(
        aggregate.map((a) => ({ ...a, records: Number(a.records), updated_at: undefined })),
      ).toEqual([
        {
          purpose: 'website_analytics',
          category: 'browsing_history',
          region: 'CN',
          month,
          records: 1,
          updated_at: undefined,
        },
        {
          purpose: 'website_analytics',
          category: 'cookie_id',
          region: 'CN',
          month,
          records: 1,
          updated_at: undefined,
        },
      ]);

      // The report reaches the audit trail, without personal data.
      const run = await env.ctx.store.db
        .selectFrom('audit_events')
        .select(['entry', 'actor_id'])
        .where('action', '=', 'retention.run')
        .where('target_id', '=', res.body.id)
        .execute();
      expect(run).toHaveLength(1);
      const details = parseEntry(run[0]!.entry).details;
      expect(details).toMatchObject({
        deleted: 6,
        anonymised: 2,
        held: 3,
        shreddedSubjects: 4,
        dryRun: false,
        'consultation.deleted': 6,
        'website_analytics.anonymised': 2,
      });
      expect(run[0]!.actor_id).toBe(officer.id);
      const shreds = await env.ctx.store.db
        .selectFrom('audit_events')
        .select('target_id')
        .where('action', '=', 'retention.subject_shred')
        .where('target_id', 'in', [s.expired!, s.anonymised!, s.endedHold!, s.releasedHold!])
        .execute();
      expect(shreds).toHaveLength(4);
      const all = await env.ctx.store.db
        .selectFrom('audit_events')
        .select('entry')
        .where('action', 'like', 'retention.%')
        .execute();
      for (const e of all) {
        const text = e.entry.toString('utf8');
        for (const pi of ['example.com', '13811112222', 'cookie-7f3a9c', 'pricing', '钱七'])
          expect(text).not.toContain(pi);
      }
      expect(env.logs.join('')).not.toContain('expired.one');

      // A second run finds nothing new: the held records are counted, nothing else.
      const again = await officer.client.post(RUNS, { dryRun: false });
      expect(again.body.counts).toMatchObject({
        deleted: 0,
        anonymised: 0,
        held: 3,
        shreddedSubjects: 0,
      });
      const listed = await auditor.client.get(`${RUNS}?limit=3`);
      expect(listed.body.items[0].id).toBe(again.body.id);
      const one = await auditor.client.get(`${RUNS}/${res.body.id}`);
      expect(one.body).toMatchObject({ id: res.body.id, status: 'completed', dryRun: false });
    });

    it('stops protecting once a hold is released or has ended', async () => {
      await officer.client.post(`${HOLDS}/${holdIds.subject}/release`, {
        reason: 'judgment delivered, hold lifted',
      });
      await advance(200); // past the controller hold's end, not the category hold's
      const res = await officer.client.post(RUNS, { dryRun: false });
      expect(res.body.counts).toMatchObject({ deleted: 2, held: 1, shreddedSubjects: 2 });
      expect(await statusOf(s.subjectHeld!)).toBe('erased');
      expect(await statusOf(s.controllerHeld!)).toBe('erased');
      expect(await recordsOf(s.categoryHeld!)).toHaveLength(1);
      const ended = await auditor.client.get(`${HOLDS}/${holdIds.controller}`);
      expect(ended.body.state).toBe('ended');
    });

    it('runs as the scheduled job, and is off when the interval is 0', async () => {
      const [job] = retentionJobs(env.ctx);
      expect(job).toMatchObject({ name: 'retention.sweep', everySeconds: 3600 });
      await job!.run();
      const last = await env.ctx.store.db
        .selectFrom('retention_runs')
        .selectAll()
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      expect(last).toMatchObject({
        trigger: 'schedule',
        status: 'completed',
        actor_type: 'system',
      });
      const off = { ...env.ctx, config: { ...env.ctx.config, retentionSweepSeconds: 0 } };
      expect(retentionJobs(off)[0]!.everySeconds).toBe(0);
    });

    it('lets only one sweep run at a time', async () => {
      const before = await env.ctx.store.db.selectFrom('retention_runs').select('id').execute();
      if (kind === 'postgres') {
        // Another instance holds the sweep's advisory lock: the API answers 409 and starts nothing.
        let res: Awaited<ReturnType<typeof officer.client.post>> | undefined;
        const whileLocked = async () => {
          res = await officer.client.post(RUNS, { dryRun: false });
        };
        const ran = await runExclusive(env.ctx.store, {
          name: 'retention.sweep',
          everySeconds: 0,
          run: whileLocked,
        });
        expect(ran).toBe(true);
        expect(res?.status, res?.text).toBe(409);
        expect(res?.body.type).toBe('urn:custos:problem:conflict');
      } else {
        // SQLite has no advisory locks: this process refuses a second sweep while one runs.
        const first = runRetention(env.ctx, { dryRun: true, trigger: 'schedule' });
        await expect(
          runRetentionExclusive(env.ctx, { dryRun: false, trigger: 'cli' }),
        ).rejects.toMatchObject({ status: 409, code: 'conflict' });
        await first;
      }
      const after = await env.ctx.store.db.selectFrom('retention_runs').select('id').execute();
      expect(after.length).toBe(before.length + (kind === 'postgres' ? 0 : 1));
    });

    it('refuses a sweep from staff scoped to some controllers, and from those without retention.manage', async () => {
      const scoped = await loginAs(env, 'privacy_officer', { controllers: [clientA] });
      const before = await env.ctx.store.db.selectFrom('retention_runs').select('id').execute();
      expect((await scoped.client.post(RUNS, { dryRun: true })).status).toBe(403);
      expect((await auditor.client.post(RUNS, { dryRun: true })).status).toBe(403);
      const bad = await officer.client.post(RUNS, { dryRun: 'yes' });
      expect(bad.status).toBe(400);
      expect(bad.body.errors[0].pointer).toBe('/body/dryRun');
      const after = await env.ctx.store.db.selectFrom('retention_runs').select('id').execute();
      expect(after).toHaveLength(before.length);
    });
  });
});
