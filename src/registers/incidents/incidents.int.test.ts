// The incident register through HTTP on SQLite and PostgreSQL: grade and clocks (regulator 4 h,
// 1 h with CII, not required for general incidents; notify persons; post-incident report), notices
// delivered in zh-CN and en over real SMTP to a local sink, erasure stopping queued notices,
// controller scoping, closing rules, transactional failure and bad input that writes nothing.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../../test/support/env.js';
import { loginAs, type Res, type Staff } from '../../../test/support/http.js';
import { startSmtpSink, type SmtpSink } from '../../../test/support/smtp-sink.js';
import { deliverOutbox } from '../../notify/deliver.js';

const I = '/api/v1/incidents';
const HOUR = 3600_000;
const TABLES = ['incidents', 'incident_subjects', 'outbox', 'audit_events'] as const;

const details = {
  cause: 'A misconfigured storage bucket was publicly readable.',
  possibleHarm: 'Unwanted marketing mail and phishing attempts.',
  remediesTaken: 'The bucket was closed and access keys were rotated.',
  personActions: 'Be wary of mails asking for passwords; do not click unknown links.',
};

describe.each(DB_KINDS)('incidents on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let officer: Staff;
  let auditor: Staff;

  const iso = (offsetMs = 0) => new Date(env.clock.now().getTime() + offsetMs).toISOString();
  const plus = (at: string, ms: number) => new Date(Date.parse(at) + ms).toISOString();

  async function counts() {
    const out: Record<string, number> = {};
    for (const t of TABLES) {
      const r = await env.ctx.store.db
        .selectFrom(t)
        .select(sql<number>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      out[t] = Number(r.n);
    }
    return out;
  }

  /** A refused request: the problem names the field, and nothing was written. */
  async function refused(
    send: () => Promise<Res>,
    status: number,
    type: string,
    pointer?: string,
  ): Promise<Res> {
    const before = await counts();
    const res = await send();
    expect(res.status, res.text).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toBe(`urn:custos:problem:${type}`);
    if (pointer !== undefined) {
      expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
      expect(res.body.detail).toContain(pointer);
    }
    expect(await counts()).toEqual(before);
    return res;
  }

  async function subjectWith(email: string | null): Promise<string> {
    const records = [
      email === null
        ? { category: 'phone', purpose: 'consultation', value: '13900001111', source: 'web_form' }
        : { category: 'email', purpose: 'consultation', value: email, source: 'web_form' },
    ];
    const res = await officer.client.post('/api/v1/subjects', { records });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  }

  const incident = (over: Record<string, unknown> = {}) => ({
    title: 'Consultation inbox exposed',
    kind: 'leak',
    description: 'The consultation mailbox export was reachable without login.',
    detectedAt: iso(-30 * 60_000),
    categories: ['email', 'phone'],
    personsAffected: 1_000_000,
    cii: false,
    ...details,
    ...over,
  });

  async function create(over: Record<string, unknown> = {}, who: Staff = officer) {
    const res = await who.client.post(I, incident(over));
    expect(res.status, res.text).toBe(201);
    return res.body;
  }

  beforeAll(async () => {
    sink = await startSmtpSink();
    env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_MAIL_FROM: 'Privacy <privacy@custos.test>',
      CUSTOS_PRIVACY_CONTACT: 'Privacy office, 1 Example Road, Beijing',
    });
    officer = await loginAs(env, 'privacy_officer');
    auditor = await loginAs(env, 'auditor');
  });
  afterAll(async () => {
    await env.close();
    await sink.close();
  });

  it('grades incidents and runs the regulator clock: 4 h, 1 h with CII, not required when general', async () => {
    const a = await create();
    expect(a).toMatchObject({ grade: 'relatively_major', gradeComputed: 'relatively_major' });
    expect(a.clocks.regulatorReport).toMatchObject({
      dueAt: plus(a.detectedAt, 4 * HOUR),
      doneAt: null,
      state: 'pending',
    });
    expect(a.clocks.notifyPersons).toMatchObject({
      dueAt: plus(a.detectedAt, 72 * HOUR),
      state: 'pending',
    });
    expect(a.clocks.postIncidentReport).toMatchObject({ dueAt: null, state: 'pending' });
    expect(a.contact).toBe('Privacy office, 1 Example Road, Beijing');

    const cii = await create({ cii: true });
    expect(cii.clocks.regulatorReport.dueAt).toBe(plus(cii.detectedAt, 1 * HOUR));

    const general = await create({ personsAffected: 500, cii: true });
    expect(general.grade).toBe('general');
    expect(general.clocks.regulatorReport).toMatchObject({ dueAt: null, state: 'not_required' });

    const sensitive = await create({ personsAffected: 100_000, categories: ['cn_resident_id'] });
    expect(sensitive).toMatchObject({ grade: 'relatively_major', sensitive: true });
    expect((await create({ personsAffected: 1_000_000, categories: ['health'] })).grade).toBe(
      'major',
    );
    expect((await create({ personsAffected: 100_000_000 })).grade).toBe('especially_major');

    const overridden = await create({
      personsAffected: 10,
      grade: 'major',
      gradeReason: 'regulator asked us to treat it as major',
    });
    expect(overridden).toMatchObject({ grade: 'major', gradeComputed: 'general' });
    expect(overridden.clocks.regulatorReport.state).toBe('pending');

    const got = await auditor.client.get(`${I}/${a.id}`);
    expect(got.status).toBe(200);
    expect(got.body.clocks).toEqual(a.clocks);
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

  it('closes only once contained, reported, notified or decided, and then refuses changes', async () => {
    const inc = await create();
    const closeEarly = await refused(
      () => officer.client.post(`${I}/${inc.id}/close`),
      409,
      'conflict',
    );
    expect(closeEarly.body.detail).toMatch(/containment.*post-incident report.*regulator/);
    await refused(
      () =>
        officer.client.post(`${I}/${inc.id}/post-report`, {
          rootCause: 'x',
          measures: 'y',
          lessons: 'z',
        }),
      409,
      'conflict',
    );
    const contained = await officer.client.post(`${I}/${inc.id}/contain`, { containedAt: iso() });
    expect(contained.status, contained.text).toBe(200);
    expect(contained.body.status).toBe('contained');
    expect(contained.body.clocks.postIncidentReport.dueAt).toBe(
      plus(contained.body.containedAt, 30 * 24 * HOUR),
    );
    const reported = await officer.client.post(`${I}/${inc.id}/regulator-report`, {
      reportedAt: iso(),
      authority: 'Beijing CAC',
      reference: 'BJ-2026-001',
    });
    expect(reported.body.clocks.regulatorReport).toMatchObject({ state: 'met', late: false });
    const post = await officer.client.post(`${I}/${inc.id}/post-report`, {
      rootCause: 'Bucket policy drift',
      measures: 'Policy as code with review',
      lessons: 'Scan storage permissions daily',
    });
    expect(post.body.clocks.postIncidentReport.state).toBe('met');
    const decided = await officer.client.post(`${I}/${inc.id}/notice-decision`, {
      decision: 'not_required',
      reason: 'the exposed export was encrypted and the key was not exposed',
    });
    expect(decided.body.clocks.notifyPersons.state).toBe('not_required');
    const closed = await officer.client.post(`${I}/${inc.id}/close`);
    expect(closed.status, closed.text).toBe(200);
    expect(closed.body.status).toBe('closed');
    await refused(
      () => officer.client.patch(`${I}/${inc.id}`, { title: 'Renamed' }),
      409,
      'conflict',
    );
    const list = await auditor.client.get(`${I}?status=closed`);
    expect(list.body.items.map((i: { id: string }) => i.id)).toContain(inc.id);
  });

  it('corrects an incident with PATCH, regrading and moving the clocks', async () => {
    const inc = await create({ personsAffected: 10 });
    expect(inc.grade).toBe('general');
    const res = await officer.client.patch(`${I}/${inc.id}`, {
      personsAffected: 2_000_000,
      cii: true,
    });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ grade: 'relatively_major', personsAffected: 2_000_000 });
    expect(res.body.clocks.regulatorReport.dueAt).toBe(plus(inc.detectedAt, HOUR));
  });

  it('keeps staff of one controller away from another controller’s incidents', async () => {
    const admin = await loginAs(env, 'admin');
    const ctl = await admin.client.post('/api/v1/controllers', {
      slug: `client-${kind}`,
      name: 'A client',
    });
    expect(ctl.status, ctl.text).toBe(201);
    const scoped = await loginAs(env, 'security_officer', { controllers: [ctl.body.id] });
    const mine = await create({ controllerId: ctl.body.id }, scoped);
    const theirs = await create();
    expect((await scoped.client.get(`${I}/${theirs.id}`)).status).toBe(404);
    expect(
      (await scoped.client.post(`${I}/${theirs.id}/contain`, { containedAt: iso() })).status,
    ).toBe(404);
    const list = await scoped.client.get(I);
    expect(list.body.items.map((i: { id: string }) => i.id)).toEqual([mine.id]);
    await refused(() => scoped.client.post(I, incident()), 404, 'not-found');
    // A subject of another controller cannot be linked to this controller's incident.
    const other = await subjectWith(`other.controller.${kind}@example.net`);
    await refused(
      () => officer.client.post(I, incident({ controllerId: ctl.body.id, subjectIds: [other] })),
      400,
      'validation',
      '/body/subjectIds/0',
    );
    expect((await auditor.client.post(I, incident())).status).toBe(403);
    // A controller with incidents on record is evidence: it can be archived, not deleted.
    const gone = await admin.client.delete(`/api/v1/controllers/${ctl.body.id}`);
    expect(gone.status, gone.text).toBe(409);
    expect(gone.body.detail).toContain('incidents');
    expect((await admin.client.get(`/api/v1/controllers/${ctl.body.id}`)).status).toBe(200);
  });

  it('refuses bad input naming the field, writing nothing', async () => {
    const inc = await create({ subjectIds: [] });
    const detected = inc.detectedAt as string;
    await refused(
      () =>
        officer.client.post(
          I,
          incident({ detectedAt: detected, containedAt: plus(detected, -1000) }),
        ),
      400,
      'validation',
      '/body/containedAt',
    );
    await refused(
      () => officer.client.post(`${I}/${inc.id}/contain`, { containedAt: plus(detected, -60_000) }),
      400,
      'validation',
      '/body/containedAt',
    );
    await refused(
      () =>
        officer.client.post(
          I,
          incident({ detectedAt: detected, occurredAt: plus(detected, 1000) }),
        ),
      400,
      'validation',
      '/body/occurredAt',
    );
    await refused(
      () => officer.client.post(I, incident({ personsAffected: -1 })),
      400,
      'validation',
      '/body/personsAffected',
    );
    await refused(
      () => officer.client.post(I, incident({ categories: ['email', 'shoe_size'] })),
      400,
      'validation',
      '/body/categories/1',
    );
    await refused(
      () => officer.client.post(I, incident({ detectedAt: iso(24 * HOUR) })),
      400,
      'validation',
      '/body/detectedAt',
    );
    await refused(
      () => officer.client.post(I, incident({ grade: 'major' })),
      400,
      'validation',
      '/body/gradeReason',
    );
    await refused(
      () =>
        officer.client.post(I, incident({ subjectIds: ['0190f1a2-0000-7000-8000-000000000000'] })),
      400,
      'validation',
      '/body/subjectIds/0',
    );
    await refused(
      () => officer.client.post(I, { ...incident(), severity: 'high' }),
      400,
      'validation',
      '/body/severity',
    );
    await refused(
      () =>
        officer.client.post(`${I}/${inc.id}/regulator-report`, {
          reportedAt: plus(detected, -60_000),
          authority: 'CAC',
          reference: 'R-1',
        }),
      400,
      'validation',
      '/body/reportedAt',
    );
    await refused(
      () =>
        officer.client.post(`${I}/${inc.id}/notice-decision`, {
          decision: 'not_required',
          reason: 'asked by zhang.san@example.com to skip',
        }),
      400,
      'validation',
      '/body/reason',
    );
    await refused(
      () => officer.client.patch(`${I}/${inc.id}`, { occurredAt: plus(detected, 60_000) }),
      400,
      'validation',
      '/body/occurredAt',
    );
    // Notify without affected subjects, then after a decision not to notify.
    const none = await refused(
      () => officer.client.post(`${I}/${inc.id}/notify`, { channel: 'email' }),
      409,
      'conflict',
    );
    expect(none.body.detail).toMatch(/subject/);
    const s = await subjectWith(`decided.${kind}@example.net`);
    expect((await officer.client.patch(`${I}/${inc.id}`, { subjectIds: [s] })).status).toBe(200);
    const decided = await officer.client.post(`${I}/${inc.id}/notice-decision`, {
      decision: 'not_required',
      reason: 'the data was encrypted with a key that was not exposed',
    });
    expect(decided.status, decided.text).toBe(200);
    await refused(
      () => officer.client.post(`${I}/${inc.id}/notify`, { channel: 'email' }),
      409,
      'conflict',
    );
    await refused(
      () => officer.client.post(`${I}/${inc.id}/notify`, { channel: 'sms' }),
      400,
      'validation',
      '/body/channel',
    );
    // A notice lacking what PIPL art. 57 requires is not sent.
    const bare = await create({
      subjectIds: [s],
      cause: undefined,
      possibleHarm: undefined,
    });
    const lacking = await refused(
      () => officer.client.post(`${I}/${bare.id}/notify`, { channel: 'email' }),
      409,
      'conflict',
    );
    expect(lacking.body.detail).toContain('cause, possibleHarm');
  });

  it('turns clocks overdue as time passes and lists overdue incidents', async () => {
    const inc = await create();
    const general = await create({ personsAffected: 3 });
    env.clock.advance(4 * HOUR);
    const staff = await loginAs(env, 'privacy_officer');
    let got = await staff.client.get(`${I}/${inc.id}`);
    expect(got.body.clocks.regulatorReport.state).toBe('overdue');
    expect(got.body.clocks.notifyPersons.state).toBe('pending');
    const g = await staff.client.get(`${I}/${general.id}`);
    expect(g.body.clocks.regulatorReport.state).toBe('not_required');
    let overdue = await staff.client.get(`${I}?overdue=true&limit=200`);
    let ids = overdue.body.items.map((i: { id: string }) => i.id);
    expect(ids).toContain(inc.id);
    expect(ids).not.toContain(general.id);

    const late = await staff.client.post(`${I}/${inc.id}/regulator-report`, {
      reportedAt: iso(),
      authority: 'Beijing CAC',
      reference: 'BJ-LATE',
    });
    expect(late.body.clocks.regulatorReport).toMatchObject({ state: 'met', late: true });
    await staff.client.post(`${I}/${inc.id}/contain`, { containedAt: iso() });

    env.clock.advance(31 * 24 * HOUR);
    const later = await loginAs(env, 'privacy_officer');
    got = await later.client.get(`${I}/${inc.id}`);
    expect(got.body.clocks.notifyPersons.state).toBe('overdue');
    expect(got.body.clocks.postIncidentReport.state).toBe('overdue');
    overdue = await later.client.get(`${I}?overdue=true&limit=200`);
    ids = overdue.body.items.map((i: { id: string }) => i.id);
    expect(ids).toContain(inc.id);
    expect(ids).toContain(general.id);
    const notOverdue = await later.client.get(`${I}?overdue=false&limit=200`);
    expect(notOverdue.body.items.map((i: { id: string }) => i.id)).not.toContain(inc.id);
  });

  // Runs last: it breaks the audit log on purpose.
  it('a failing incident action queues nothing', async () => {
    // The clock moved past the first session's lifetime in the test before.
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
