// Incident notices to persons on SQLite and PostgreSQL: notices delivered in zh-CN and en over real
// SMTP to a local sink through the outbox, erasure stopping a queued notice, and a failing notify
// action that queues nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import type { TestEnv } from '../../../test/support/env.js';
import { loginAs, type Staff } from '../../../test/support/http.js';
import {
  createIncident,
  createSubject,
  details,
  HOUR,
  I,
  incidentCounts,
  isoAt,
  startIncidentsEnv,
} from '../../../test/support/incidents.js';
import type { SmtpSink } from '../../../test/support/smtp-sink.js';
import { deliverOutbox } from '../../notify/deliver.js';

describe.each(DB_KINDS)('incident notices on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let officer: Staff;
  let auditor: Staff;

  const iso = (offsetMs = 0) => isoAt(env, offsetMs);
  const counts = () => incidentCounts(env);
  const subjectWith = (email: string | null) => createSubject(officer, email);
  const create = (over: Record<string, unknown> = {}, who: Staff = officer) =>
    createIncident(env, who, over);

  beforeAll(async () => {
    ({ env, sink, officer, auditor } = await startIncidentsEnv(kind));
  });
  afterAll(async () => {
    await env.close();
    await sink.close();
  });

  it('notifies persons in zh-CN and en through the outbox, to the right addresses', async () => {
    const addrA = `li.lei.${kind}@example.net`;
    const addrB = `han.meimei.${kind}@example.org`;
    const a = await subjectWith(addrA);
    const b = await subjectWith(addrB);
    const c = await subjectWith(null);
    const inc = await create({
      title: 'Mailbox <export> & more',
      occurredAt: iso(-2 * HOUR),
      subjectIds: [a, b, c],
    });
    expect(inc.subjects).toBe(3);

    const preview = await auditor.client.get(`${I}/${inc.id}/notice?lang=en`);
    expect(preview.status).toBe(200);
    expect(preview.body.missing).toEqual([]);
    expect(preview.body.text).toContain('E-mail address, Phone number');
    expect(preview.body.html).toContain('Mailbox &lt;export&gt; &amp; more');
    expect(preview.text).not.toContain('example.net');
    const previewZh = await auditor.client.get(`${I}/${inc.id}/notice?lang=zh-CN`);
    expect(previewZh.body.text).toContain('电子邮件地址、电话号码');

    const before = sink.mails.length;
    const res = await officer.client.post(`${I}/${inc.id}/notify`, { channel: 'email' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ subjects: 3, queued: 2, alreadyQueued: 0, withoutEmail: 1 });
    const queued = await env.ctx.store.db
      .selectFrom('outbox')
      .selectAll()
      .where('dedupe_key', 'like', `incident:${inc.id}:%`)
      .execute();
    expect(queued.map((r) => r.status)).toEqual(['pending', 'pending']);
    for (const r of queued) expect(r.to_enc!.toString('latin1')).not.toContain('example');

    expect(await deliverOutbox(env.ctx)).toMatchObject({ sent: 2, failed: 0 });
    const mails = sink.mails.slice(before);
    expect(mails.map((m) => m.envelope.to).sort()).toEqual([[addrA], [addrB]].sort());
    for (const m of mails) {
      expect(m.parsed.subject).toBe('个人信息安全事件告知：Mailbox <export> & more');
      const text = m.parsed.text ?? '';
      for (const part of [
        '电子邮件地址、电话号码',
        details.cause,
        details.possibleHarm,
        details.remediesTaken,
        details.personActions,
        'Privacy office, 1 Example Road, Beijing',
        inc.id,
        '北京时间',
        '第五十七条',
      ])
        expect(text).toContain(part);
      expect(m.parsed.html).toContain('Mailbox &lt;export&gt; &amp; more');
      // Each mail is addressed to one person only.
      expect(m.parsed.to && 'value' in m.parsed.to ? m.parsed.to.value.length : 0).toBe(1);
    }
    const sent = await env.ctx.store.db
      .selectFrom('outbox')
      .selectAll()
      .where('dedupe_key', 'like', `incident:${inc.id}:%`)
      .execute();
    for (const r of sent)
      expect(r).toMatchObject({ status: 'sent', to_enc: null, params_enc: null });

    // Repeating the action queues nothing new.
    const again = await officer.client.post(`${I}/${inc.id}/notify`, { channel: 'email' });
    expect(again.body).toMatchObject({ queued: 0, alreadyQueued: 2, withoutEmail: 1 });
    expect((await deliverOutbox(env.ctx)).sent).toBe(0);
    expect(sink.mails.length).toBe(before + 2);

    const got = await officer.client.get(`${I}/${inc.id}`);
    expect(got.body.clocks.notifyPersons.state).toBe('met');
    expect(got.body.noticeDecision.decision).toBe('notify');

    // The same person, another incident, in English.
    const en = await create({ title: 'Second incident', subjectIds: [a], categories: ['email'] });
    const enRes = await officer.client.post(`${I}/${en.id}/notify`, {
      channel: 'email',
      lang: 'en',
    });
    expect(enRes.body.queued).toBe(1);
    expect((await deliverOutbox(env.ctx)).sent).toBe(1);
    const enMail = sink.mails[sink.mails.length - 1]!;
    expect(enMail.envelope.to).toEqual([addrA]);
    expect(enMail.parsed.subject).toBe('Personal information security incident: Second incident');
    for (const part of ['E-mail address', 'What you can do', 'UTC', details.cause, en.id])
      expect(enMail.parsed.text).toContain(part);
    expect(enMail.parsed.text).not.toContain('Phone number');

    // No address reached the logs or the audit trail.
    const logs = env.logs.join('');
    const audit = (await env.ctx.store.db.selectFrom('audit_events').select('entry').execute()).map(
      (e) => e.entry.toString('utf8'),
    );
    for (const addr of [addrA, addrB]) {
      expect(logs).not.toContain(addr);
      for (const e of audit) expect(e).not.toContain(addr);
    }
  });

  it('erasing a subject makes its queued notice undeliverable', async () => {
    const addr = `erased.person.${kind}@example.net`;
    const s = await subjectWith(addr);
    const inc = await create({ subjectIds: [s] });
    expect(
      (await officer.client.post(`${I}/${inc.id}/notify`, { channel: 'email' })).body.queued,
    ).toBe(1);
    const erase = await officer.client.post(`/api/v1/subjects/${s}/erase`, {
      reason: 'erasure request answered',
    });
    expect(erase.status, erase.text).toBe(200);
    // Erasure itself drops the queued mail (sealed with the person's key, now destroyed): the
    // sender finds nothing left to send or to fail.
    expect(await deliverOutbox(env.ctx)).toMatchObject({ sent: 0, failed: 0 });
    expect(sink.mails.some((m) => m.envelope.to.includes(addr))).toBe(false);
    const row = await env.ctx.store.db
      .selectFrom('outbox')
      .selectAll()
      .where('subject_id', '=', s)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({
      status: 'failed',
      last_error: 'recipient_erased',
      to_enc: null,
      params_enc: null,
    });
  });

  // Runs last: it breaks the audit log on purpose.
  it('a failing incident action queues nothing', async () => {
    // A session of its own: this test used to follow the clock tests, which outlive the first one.
    officer = await loginAs(env, 'privacy_officer');
    const staff = officer;
    const s = await subjectWith(`rollback.${kind}@example.net`);
    const inc = await create({ subjectIds: [s] }, staff);
    // Occupy the next audit sequence number so the action's audit write fails in its transaction.
    const head = await env.ctx.store.db
      .selectFrom('audit_head')
      .select('size')
      .executeTakeFirstOrThrow();
    const blocker = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('entry')
      .orderBy('seq')
      .executeTakeFirstOrThrow();
    await env.ctx.store.db
      .insertInto('audit_events')
      .values({
        seq: Number(head.size) + 5,
        at: 'x',
        action: 'x',
        actor_type: 'x',
        actor_id: null,
        target_type: null,
        target_id: null,
        controller_id: null,
        outcome: 'x',
        entry: blocker.entry,
        leaf_hash: Buffer.alloc(32),
        mac: Buffer.alloc(32),
      })
      .execute();
    await env.ctx.store.db
      .updateTable('audit_head')
      .set({ size: Number(head.size) + 5 })
      .execute();
    const before = await counts();
    const res = await staff.client.post(`${I}/${inc.id}/notify`, { channel: 'email' });
    expect(res.status).toBe(503);
    expect(await counts()).toEqual(before);
    const row = await env.ctx.store.db
      .selectFrom('incidents')
      .select('notified_at')
      .where('id', '=', inc.id)
      .executeTakeFirstOrThrow();
    expect(row.notified_at).toBeNull();
    expect(await deliverOutbox(env.ctx)).toMatchObject({ sent: 0 });
  });
});
