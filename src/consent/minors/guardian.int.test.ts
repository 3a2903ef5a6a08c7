// Children under 14 over real HTTP and real SMTP, on SQLite and PostgreSQL: a purpose that asks for
// a birth date (made through the data-map API), a child's submission held, the guardian's code by
// mail, verification (wrong, reused, expired, locked codes), consent with the guardian linked and
// the ledger grant by method `guardian`; refusal or expiry erases the child's data; no adult held.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hex as sha256hex } from '../../../test/support/consent.js';
import { DB_KINDS } from '../../../test/support/db.js';
import type { TestEnv } from '../../../test/support/env.js';
import {
  bornYearsAgo,
  guardianHarness,
  startGuardian,
  uniqueEmail,
} from '../../../test/support/guardian.js';
import type { Client, Staff } from '../../../test/support/http.js';
import type { SmtpSink } from '../../../test/support/smtp-sink.js';
import { deliverOutbox } from '../../notify/deliver.js';
import { expireGuardianHolds } from './decide.js';

describe.each(DB_KINDS)('guardian consent on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let officer: Staff;
  let web: Client;
  const { guardianMail, hold, inquiry, submitChild, heldChild } = guardianHarness(() => ({
    env,
    sink,
    web,
  }));

  const subject = (id: string) =>
    env.ctx.store.db
      .selectFrom('subjects')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
  const countWhere = async (
    table: 'pi_records' | 'subject_identifiers' | 'data_keys',
    column: 'subject_id' | 'owner_id',
    id: string,
  ) =>
    Number(
      (
        await env.ctx.store.db
          .selectFrom(table)
          .select(sql<number>`count(*)`.as('n'))
          .where(sql.ref(column), '=', id)
          .executeTakeFirstOrThrow()
      ).n,
    );

  const verify = (holdId: string, token: string, code: string) =>
    web.post(`/api/v1/guardian/${holdId}/verify`, { token, code });
  const decide = (holdId: string, token: string, consent: boolean) =>
    web.post(`/api/v1/guardian/${holdId}/decision`, { token, consent });

  beforeAll(async () => {
    ({ env, sink, officer, web } = await startGuardian(kind));
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('does not hold an adult, and keeps no guardian address for one', async () => {
    const guardian = uniqueEmail('not.needed');
    const res = await submitChild(guardian, { birth_date: bornYearsAgo(env, 30) });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ status: 'received', guardian: null, deadlineAt: null });
    const row = await inquiry(res.body.id);
    expect((await subject(row.subject_id)).minor).toBe(0);
    const holds = await env.ctx.store.db
      .selectFrom('guardian_holds')
      .select('id')
      .where('inquiry_id', '=', row.id)
      .execute();
    expect(holds).toEqual([]);
    const guardianRecords = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('id')
      .where('subject_id', '=', row.subject_id)
      .where('purpose', '=', 'guardian_consent')
      .execute();
    expect(guardianRecords).toEqual([]);
    await deliverOutbox(env.ctx);
    expect(sink.mails.filter((m) => m.envelope.to.includes(guardian))).toEqual([]);
    // Without a birth date nobody is held either.
    const noAge = await web.post('/api/v1/inquiries', {
      purpose: 'kids_club',
      policyVersion: '2026.1',
      fields: { email: uniqueEmail('ageless') },
    });
    expect(noAge.status).toBe(201);
    expect(noAge.body.status).toBe('received');
  });

  it('needs a guardian address for a child, and refuses the child’s own', async () => {
    const before = await env.ctx.store.db
      .selectFrom('subjects')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    const none = await submitChild(undefined);
    expect(none.status).toBe(400);
    expect(none.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/body/guardianEmail',
    ]);
    expect(none.body.detail).toContain('under 14');
    const own = uniqueEmail('kid.self');
    const same = await submitChild(own.toUpperCase(), { email: own });
    expect(same.status).toBe(400);
    const future = await submitChild(uniqueEmail('p'), { birth_date: '2999-01-01' });
    expect(future.status).toBe(400);
    expect(future.body.errors.map((e: { pointer: string }) => e.pointer)).toEqual([
      '/body/fields/birth_date',
    ]);
    const bad = await submitChild(uniqueEmail('p'), { birth_date: '2015-02-30' });
    expect(bad.status).toBe(400);
    const after = await env.ctx.store.db
      .selectFrom('subjects')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
  });

  it('holds a child, mails the guardian, verifies once, and on consent links the guardian and records the grant', async () => {
    const start = env.clock.now().getTime();
    const { res, guardianEmail, code, holdId, token, lang, mail } = await heldChild();
    expect(res.body).toMatchObject({ status: 'held', guardian: 'code_sent' });
    const row = await inquiry(res.body.id);
    expect(row.status).toBe('held');
    const minor = await subject(row.subject_id);
    expect(minor.minor).toBe(1);
    const held = await hold(holdId);
    expect(held).toMatchObject({
      minor_subject_id: row.subject_id,
      inquiry_id: row.id,
      status: 'code_sent',
      guardian_subject_id: null,
      lang: 'en',
      attempts: 0,
    });
    const deadline = Date.parse(held.deadline_at) - start;
    expect(deadline).toBeGreaterThanOrEqual(168 * 3600_000);
    expect(deadline).toBeLessThan(168 * 3600_000 + 60_000);
    expect(res.body.deadlineAt).toBe(held.deadline_at);
    // The mail: the code, the guardian page link, the purpose and the deadline, nothing of the child.
    expect(lang).toBe('en');
    expect(mail.parsed.text).toContain('Kids coding club sign-up');
    expect(mail.parsed.text).toContain(`${code} (valid for 15 minutes)`);
    expect(mail.parsed.text).not.toContain('Xiao Ming');
    // Staff see the child's values as sensitive, masked.
    const view = await officer.client.get(`/api/v1/subjects/${row.subject_id}`);
    expect(view.status).toBe(200);
    expect(view.body.minor).toBe(true);
    expect(view.body.records.length).toBeGreaterThan(0);
    for (const r of view.body.records as Array<{ sensitive: boolean; masked: boolean }>)
      expect(r).toMatchObject({ sensitive: true, masked: true });
    const staff = await officer.client.get(`/api/v1/inquiries/${row.id}`);
    expect(staff.body).toMatchObject({
      status: 'held',
      minor: true,
      guardian: { holdId, status: 'code_sent' },
    });

    // Deciding before verifying is refused.
    expect((await decide(holdId, token, true)).status).toBe(409);
    // A wrong code is counted.
    const wrong = await verify(holdId, token, code === '000000' ? '111111' : '000000');
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0].pointer).toBe('/body/code');
    expect(wrong.body.detail).toContain('4 tries left');
    expect((await hold(holdId)).attempts).toBe(1);
    // A wrong token opens nothing.
    expect((await verify(holdId, 'forged', code)).status).toBe(404);
    const ok = await verify(holdId, token, code);
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body).toEqual({ id: holdId, status: 'pending' });
    // The code works once.
    const reused = await verify(holdId, token, code);
    expect(reused.status).toBe(409);
    expect(reused.body.detail).toContain('already used');

    const consent = await decide(holdId, token, true);
    expect(consent.status, consent.text).toBe(200);
    expect(consent.body).toMatchObject({ id: holdId, status: 'consented' });
    expect(consent.body.receipt).toMatch(/^\/api\/v1\/consent\/receipt\?token=/);
    const after = await hold(holdId);
    expect(after.status).toBe('consented');
    expect(after.guardian_subject_id).not.toBeNull();
    expect(after.decided_at).not.toBeNull();
    expect((await inquiry(row.id)).status).toBe('received');
    // The guardian is a subject of their own, found by the address; the child no longer holds it.
    const found = await officer.client.post('/api/v1/subjects/search', { email: guardianEmail });
    expect(found.body.items.map((s: { id: string }) => s.id)).toEqual([after.guardian_subject_id]);
    expect(found.body.items[0].records).toMatchObject([
      { category: 'email', purpose: 'guardian_consent', source: `guardian:${holdId}` },
    ]);
    const childRecords = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('purpose')
      .where('subject_id', '=', row.subject_id)
      .execute();
    expect(childRecords.map((r) => r.purpose)).not.toContain('guardian_consent');
    // The ledger: the grant for the child's purpose by the guardian, naming the guardian notice.
    const guardianNotice = await env.ctx.store.db
      .selectFrom('consent_notices')
      .select('text')
      .where('purpose_key', '=', 'guardian_consent')
      .where('lang', '=', 'en')
      .executeTakeFirstOrThrow();
    const ledger = await env.ctx.store.db
      .selectFrom('consent_records')
      .selectAll()
      .where('source', '=', `guardian:${holdId}`)
      .orderBy('purpose_key')
      .execute();
    expect(
      ledger.map((l) => ({
        subject: l.subject_id,
        purpose: l.purpose_key,
        decision: l.decision,
        method: l.method,
        notice: Buffer.from(l.notice_sha256!).toString('hex'),
      })),
    ).toEqual([
      {
        subject: after.guardian_subject_id,
        purpose: 'guardian_consent',
        decision: 'acknowledge',
        method: 'guardian',
        notice: sha256hex(guardianNotice.text),
      },
      {
        subject: row.subject_id,
        purpose: 'kids_club',
        decision: 'grant',
        method: 'guardian',
        notice: sha256hex(guardianNotice.text),
      },
    ]);
    const audit = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'entry'])
      .where('target_id', '=', holdId)
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => a.action)).toEqual([
      'guardian.code_sent',
      'guardian.verify_failed',
      'guardian.verify',
      'guardian.decide',
    ]);
    const auditText = audit.map((a) => Buffer.from(a.entry).toString()).join('\n');
    expect(auditText).not.toContain(guardianEmail);
    expect(env.logs.join('')).not.toContain(guardianEmail);
    // Decided once.
    expect((await decide(holdId, token, false)).status).toBe(409);
    expect((await verify(holdId, token, code)).status).toBe(409);
  });

  it('deletes the child’s data when the guardian refuses', async () => {
    const { res, code, holdId, token } = await heldChild();
    const row = await inquiry(res.body.id);
    expect((await verify(holdId, token, code)).status).toBe(200);
    const refused = await decide(holdId, token, false);
    expect(refused.status, refused.text).toBe(200);
    expect(refused.body).toEqual({ id: holdId, status: 'refused', receipt: null });
    expect((await hold(holdId)).status).toBe('refused');
    expect((await inquiry(row.id)).status).toBe('deleted');
    expect((await subject(row.subject_id)).status).toBe('erased');
    expect(await countWhere('pi_records', 'subject_id', row.subject_id)).toBe(0);
    expect(await countWhere('subject_identifiers', 'subject_id', row.subject_id)).toBe(0);
    expect(await countWhere('data_keys', 'owner_id', row.subject_id)).toBe(0);
    const deny = await env.ctx.store.db
      .selectFrom('consent_records')
      .select(['decision', 'method'])
      .where('source', '=', `guardian:${holdId}`)
      .execute();
    expect(deny).toEqual([{ decision: 'deny', method: 'guardian' }]);
    expect((await decide(holdId, token, true)).status).toBe(409);
  });

  it('refuses an expired code, sends a new one on request, and locks after too many wrong tries', async () => {
    const { code, holdId, token, guardianEmail } = await heldChild();
    env.clock.advance((env.ctx.config.verificationCodeMinutes + 1) * 60_000);
    const expired = await verify(holdId, token, code);
    expect(expired.status).toBe(400);
    expect(expired.body.detail).toContain('expired');
    expect((await web.post(`/api/v1/guardian/${holdId}/code`, { token: 'forged' })).status).toBe(
      404,
    );
    const resent = await web.post(`/api/v1/guardian/${holdId}/code`, { token });
    expect(resent.status, resent.text).toBe(200);
    const second = await guardianMail(guardianEmail);
    expect(second.holdId).toBe(holdId);

    const wrong = second.code === '000000' ? '111111' : '000000';
    const max = env.ctx.config.verificationMaxAttempts;
    for (let i = 1; i < max; i++) expect((await verify(holdId, token, wrong)).status).toBe(400);
    const lockedNow = await verify(holdId, token, wrong);
    expect(lockedNow.status).toBe(409);
    expect(lockedNow.body.detail).toContain('locked');
    // Even the right code no longer works until a new one is sent.
    expect((await verify(holdId, token, second.code)).status).toBe(409);
    expect((await web.post(`/api/v1/guardian/${holdId}/code`, { token })).status).toBe(200);
    const third = await guardianMail(guardianEmail);
    // An earlier code does not work after a new one was sent.
    if (second.code !== third.code)
      expect((await verify(holdId, token, second.code)).status).toBe(400);
    expect((await verify(holdId, token, third.code)).status).toBe(200);
    // Once verified, no new codes.
    expect((await web.post(`/api/v1/guardian/${holdId}/code`, { token })).status).toBe(409);
  });

  it('deletes held data when no guardian consents in time', async () => {
    const { res, code, holdId, token } = await heldChild();
    const row = await inquiry(res.body.id);
    env.clock.advance(env.ctx.config.guardianConsentHours * 3600_000 - 60_000);
    // Holds of earlier tests may fall due here; this one is a minute short of its deadline.
    await expireGuardianHolds(env.ctx);
    expect((await hold(holdId)).status).toBe('code_sent');
    env.clock.advance(2 * 60_000);
    // Past the deadline nothing can be decided, even before the job has run.
    expect((await decide(holdId, token, true)).status).toBe(409);
    expect(await expireGuardianHolds(env.ctx)).toBeGreaterThanOrEqual(1);
    expect((await hold(holdId)).status).toBe('expired');
    expect((await inquiry(row.id)).status).toBe('deleted');
    expect((await subject(row.subject_id)).status).toBe('erased');
    expect(await countWhere('pi_records', 'subject_id', row.subject_id)).toBe(0);
    expect(await countWhere('data_keys', 'owner_id', row.subject_id)).toBe(0);
    const audit = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('action')
      .where('target_id', '=', holdId)
      .where('action', '=', 'guardian.expire')
      .execute();
    expect(audit).toHaveLength(1);
    // Idempotent, and the hold stays closed.
    expect(await expireGuardianHolds(env.ctx)).toBe(0);
    expect((await verify(holdId, token, code)).status).toBe(409);
    expect((await decide(holdId, token, true)).status).toBe(409);
  });
});
