// Retention through HTTP, on SQLite and PostgreSQL: legal holds (creation and release, permissions,
// controller scoping, bad input). The sweeps that delete, anonymise and crypto-shred while holds
// protect what they cover are in retention.sweeps.int.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  startRetentionEnv,
  type Rec,
} from '../../test/support/retention.js';

describe.each(DB_KINDS)('retention on %s', (kind) => {
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

  describe('legal holds', () => {
    it('creates, lists, reads and releases a hold, auditing both changes', async () => {
      const s = await subject([rec('email', 'consultation', 'hold.me@example.com')]);
      const id = await hold('subject', s, 90);
      const got = await auditor.client.get(`${HOLDS}/${id}`);
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ scope: 'subject', targetId: s, state: 'active' });
      const active = await auditor.client.get(`${HOLDS}?status=active`);
      expect(active.body.items.map((h: { id: string }) => h.id)).toContain(id);
      const release = await officer.client.post(`${HOLDS}/${id}/release`, {
        reason: 'the dispute was withdrawn',
      });
      expect(release.status).toBe(200);
      expect(release.body.state).toBe('released');
      const again = await officer.client.post(`${HOLDS}/${id}/release`, {
        reason: 'the dispute was withdrawn',
      });
      expect(again.status).toBe(409);
      const released = await auditor.client.get(`${HOLDS}?status=released`);
      expect(released.body.items.map((h: { id: string }) => h.id)).toContain(id);
      const stillActive = await auditor.client.get(`${HOLDS}?status=active`);
      expect(stillActive.body.items.map((h: { id: string }) => h.id)).not.toContain(id);
      const events = await env.ctx.store.db
        .selectFrom('audit_events')
        .select('action')
        .where('target_id', '=', id)
        .orderBy('seq')
        .execute();
      expect(events.map((e) => e.action)).toEqual([
        'retention.hold_create',
        'retention.hold_release',
      ]);
    });

    it('needs retention.manage to place a hold and retention.read to see one', async () => {
      const s = await subject([rec('email', 'consultation', 'perm.check@example.com')]);
      const body = {
        scope: 'subject',
        targetId: s,
        reason: 'litigation hold for case 2026-42',
        endsAt: new Date(env.clock.now().getTime() + DAY).toISOString(),
      };
      expect((await auditor.client.post(HOLDS, body)).status).toBe(403);
      const handler = await loginAs(env, 'request_handler');
      expect((await handler.client.get(HOLDS)).status).toBe(403);
    });

    it('keeps staff scoped to one controller away from other controllers’ holds', async () => {
      const inA = await subject([rec('email', 'consultation', 'in.a@example.com')], clientA);
      const inB = await subject([rec('email', 'consultation', 'in.b@example.com')], clientB);
      const onB = await hold('subject', inB, 30);
      const categoryHold = await hold('category', 'passport', 30);
      const scoped = await loginAs(env, 'privacy_officer', { controllers: [clientA] });
      expect((await scoped.client.get(`${HOLDS}/${onB}`)).status).toBe(404);
      expect((await scoped.client.get(`${HOLDS}/${categoryHold}`)).status).toBe(404);
      expect(
        (await scoped.client.post(`${HOLDS}/${onB}/release`, { reason: 'not my controller' }))
          .status,
      ).toBe(404);
      const list = await scoped.client.get(`${HOLDS}?limit=200`);
      expect(list.status).toBe(200);
      expect(
        list.body.items.every((h: { controllerId: string }) => h.controllerId === clientA),
      ).toBe(true);
      const before = await count('legal_holds');
      const onOther = await scoped.client.post(HOLDS, {
        scope: 'subject',
        targetId: inB,
        reason: 'trying the other controller',
        endsAt: new Date(env.clock.now().getTime() + DAY).toISOString(),
      });
      expect(onOther.status).toBe(400);
      expect(onOther.body.errors[0].pointer).toBe('/body/targetId');
      const onCategory = await scoped.client.post(HOLDS, {
        scope: 'category',
        targetId: 'email',
        reason: 'a hold across every controller',
        endsAt: new Date(env.clock.now().getTime() + DAY).toISOString(),
      });
      expect(onCategory.status).toBe(403);
      const mine = await scoped.client.post(HOLDS, {
        scope: 'subject',
        targetId: inA,
        reason: 'dispute about invoice 77',
        endsAt: new Date(env.clock.now().getTime() + DAY).toISOString(),
      });
      expect(mine.status).toBe(201);
      expect(mine.body.controllerId).toBe(clientA);
      expect(await count('legal_holds')).toBe(before + 1);
    });

    describe('bad input: a clear 400 naming the field, nothing written', () => {
      const base = () => ({
        scope: 'controller',
        targetId: 'self',
        reason: 'regulator inquiry 2026-5',
        endsAt: new Date(env.clock.now().getTime() + 10 * DAY).toISOString(),
      });
      const cases: Array<[string, () => Record<string, unknown>, string]> = [
        ['no reason', () => ({ ...base(), reason: undefined }), '/body/reason'],
        ['a short reason', () => ({ ...base(), reason: 'because' }), '/body/reason'],
        [
          'a reason with a phone number',
          () => ({ ...base(), reason: 'customer at 138 1234 5678 is suing' }),
          '/body/reason',
        ],
        [
          'a reason with an e-mail address',
          () => ({ ...base(), reason: 'complaint from zhou.ba@example.com' }),
          '/body/reason',
        ],
        [
          'endsAt in the past',
          () => ({ ...base(), endsAt: new Date(env.clock.now().getTime() - DAY).toISOString() }),
          '/body/endsAt',
        ],
        ['endsAt not a date', () => ({ ...base(), endsAt: 'next tuesday' }), '/body/endsAt'],
        ['no endsAt', () => ({ ...base(), endsAt: undefined }), '/body/endsAt'],
        ['an unknown scope', () => ({ ...base(), scope: 'everything' }), '/body/scope'],
        [
          'an unknown subject',
          () => ({ ...base(), scope: 'subject', targetId: '0190a4b2-0000-7000-8000-000000000000' }),
          '/body/targetId',
        ],
        [
          'an unknown category',
          () => ({ ...base(), scope: 'category', targetId: 'genome' }),
          '/body/targetId',
        ],
        [
          'an unknown controller',
          () => ({ ...base(), targetId: '0190a4b2-0000-7000-8000-000000000001' }),
          '/body/targetId',
        ],
        ['an extra field', () => ({ ...base(), note: 'x' }), '/body'],
      ];
      for (const [label, body, pointer] of cases)
        it(`${label} → 400 at ${pointer}`, async () => {
          const before = [await count('legal_holds'), await count('audit_events')];
          const res = await officer.client.post(HOLDS, JSON.parse(JSON.stringify(body())));
          expect(res.status, res.text).toBe(400);
          expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          expect(res.body.type).toBe('urn:custos:problem:validation');
          const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
          expect(pointers.some((p: string) => p === pointer || p.startsWith(`${pointer}/`))).toBe(
            true,
          );
          expect(res.text).not.toContain('1234 5678');
          expect(res.text).not.toContain('zhou.ba');
          expect([await count('legal_holds'), await count('audit_events')]).toEqual(before);
        });
      it('a release without a reason → 400, hold unchanged', async () => {
        const id = await hold('controller', 'self', 5);
        const before = await count('audit_events');
        const res = await officer.client.post(`${HOLDS}/${id}/release`, {});
        expect(res.status).toBe(400);
        expect(res.body.errors[0].pointer).toBe('/body/reason');
        expect((await officer.client.get(`${HOLDS}/${id}`)).body.state).toBe('active');
        expect(await count('audit_events')).toBe(before);
        // Leave nothing behind that would hold the sweep tests' data.
        await officer.client.post(`${HOLDS}/${id}/release`, { reason: 'test hold, not needed' });
      });
    });
  });
});
