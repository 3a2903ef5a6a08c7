// The incident register through HTTP on SQLite and PostgreSQL: grade and clocks (regulator 4 h,
// 1 h with CII, not required for general incidents; notify persons; post-incident report), closing
// rules, corrections, controller scoping and bad input that writes nothing. Notices to persons are
// in incidents.notices.int.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import type { TestEnv } from '../../../test/support/env.js';
import { loginAs, type Res, type Staff } from '../../../test/support/http.js';
import {
  createIncident,
  createSubject,
  expectRefused,
  HOUR,
  I,
  incidentBody,
  isoAt,
  plus,
  startIncidentsEnv,
} from '../../../test/support/incidents.js';
import type { SmtpSink } from '../../../test/support/smtp-sink.js';

describe.each(DB_KINDS)('incidents on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let officer: Staff;
  let auditor: Staff;

  const iso = (offsetMs = 0) => isoAt(env, offsetMs);
  const refused = (send: () => Promise<Res>, status: number, type: string, pointer?: string) =>
    expectRefused(env, send, status, type, pointer);
  const subjectWith = (email: string | null) => createSubject(officer, email);
  const incident = (over: Record<string, unknown> = {}) => incidentBody(env, over);
  const create = (over: Record<string, unknown> = {}, who: Staff = officer) =>
    createIncident(env, who, over);

  beforeAll(async () => {
    ({ env, sink, officer, auditor } = await startIncidentsEnv(kind));
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
});
