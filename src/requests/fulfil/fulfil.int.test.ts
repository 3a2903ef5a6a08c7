// Fulfilment beyond packages, correction and deletion (see fulfil.*.int.test.ts), on SQLite and
// PostgreSQL: explanation and restriction, a person nothing is held on, complaints and relatives of
// the deceased, controller scoping, and no personal value in logs or audit events.
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../db/ids.js';
import { DB_KINDS } from '../../../test/support/db.js';
import { fulfilSuite, rejection } from '../../../test/support/fulfil.js';
import { loginAs } from '../../../test/support/http.js';

describe.each(DB_KINDS)('fulfilment on %s', (kind) => {
  const fx = fulfilSuite(kind);
  const {
    principalOf,
    makeSubject,
    makeRequest,
    run,
    count,
    dataKeys,
    searchByEmail,
    download,
    disclose,
  } = fx;

  // The log check below also covers values the access and correction tests (now in their own
  // files) left in the logs and audit trail before it ran: a package built and downloaded for a
  // person with an e-mail and a resident id, and an e-mail corrected, looked up and revealed.
  beforeAll(async () => {
    const packaged = await makeSubject([
      { category: 'email', purpose: 'consultation', value: 'Wang.Wu@Example.com' },
      { category: 'cn_resident_id', purpose: 'contract', value: '11010519491231002X' },
    ]);
    const access = await run(await makeRequest('access', packaged));
    expect((await download(access.download!.url)).status).toBe(200);
    const corrected = await makeSubject([
      { category: 'email', purpose: 'consultation', value: 'old.mail@example.com' },
    ]);
    const [email] = await fx.env.ctx.store.db
      .selectFrom('pi_records')
      .select('id')
      .where('subject_id', '=', corrected)
      .execute();
    await run(await makeRequest('correction', corrected), {
      corrections: [{ recordId: email!.id, value: '  New.Mail@Example.com ' }],
    });
    expect(await searchByEmail('new.mail@example.com')).toEqual([corrected]);
    const revealed = await fx.officer.client.post(`/api/v1/subjects/${corrected}/reveal`, {
      reason: 'check the corrected e-mail address',
      recordIds: [email!.id],
    });
    expect(revealed.body.records[0].value).toBe('new.mail@example.com');
  });

  it('explains the processing that applies to the person, and restricts it', async () => {
    const subject = await makeSubject([
      { category: 'email', purpose: 'marketing', value: 'zheng.er@example.com' },
      { category: 'name', purpose: 'contract', value: '郑二' },
    ]);
    await disclose(subject, 'Explained Recipient Co');
    const outcome = await run(await makeRequest('explain', subject));
    expect(outcome.done[0]).toEqual({
      kind: 'purposes_explained',
      count: 2,
      detail: 'contract, marketing',
    });
    const byKey = Object.fromEntries(outcome.processing!.map((p) => [p.key, p]));
    expect(byKey.marketing).toMatchObject({
      legalBasis: 'consent',
      retentionDays: 730,
      storageRegions: ['CN'],
      categories: [{ key: 'email' }],
    });
    expect(byKey.contract).toMatchObject({ legalBasis: 'contract', retentionBasis: 'statute' });
    // The disclosure entry's purpose is free text, not a data-map purpose: listed by recipient.
    expect(outcome.done[2]).toMatchObject({ kind: 'recipients_listed' });

    const restrictRequest = await makeRequest('restrict', subject);
    const bad = await rejection(run(restrictRequest, { purposes: ['no_such_purpose'] }));
    expect(bad.extra.errors?.[0]?.pointer).toBe('/body/purposes/0');
    const restricted = await run(restrictRequest, { purposes: ['marketing'] });
    expect(restricted.done).toEqual([
      { kind: 'processing_restricted', detail: 'marketing' },
      { kind: 'storage_continues' },
    ]);
    const rows = await fx.env.ctx.store.db
      .selectFrom('subject_restrictions')
      .selectAll()
      .where('subject_id', '=', subject)
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ purposes: '["marketing"]', request_id: restrictRequest.id });
    expect(await count('pi_records', subject)).toBe(2);
  });

  it('answers a person nothing is held on, and handles complaints and relatives', async () => {
    const nothing = await run(await makeRequest('access', null));
    expect(nothing).toEqual({
      done: [{ kind: 'no_data_held', count: 0 }],
      partial: false,
      download: null,
    });
    const correction = await rejection(
      run(await makeRequest('correction', null), {
        corrections: [{ recordId: newId(), value: 'x' }],
      }),
    );
    expect(correction.status).toBe(409);
    const complaint = await run(await makeRequest('complaint', null));
    expect(complaint.done).toEqual([{ kind: 'complaint_handled' }]);

    const deceased = await makeSubject([
      { category: 'name', purpose: 'contract', value: '陈老先生' },
    ]);
    const relative = await makeRequest('deceased_relative', deceased);
    const noAct = await rejection(run(relative));
    expect(noAct.status).toBe(400);
    expect(noAct.extra.errors?.[0]?.pointer).toBe('/body/act');
    const stray = await rejection(run(await makeRequest('access', deceased), { act: 'access' }));
    expect(stray.extra.errors?.[0]?.pointer).toBe('/body/act');
    const accessed = await run(relative, { act: 'access' });
    expect(accessed.done[0]).toEqual({ kind: 'relative_request_handled', detail: 'access' });
    expect(accessed.download).not.toBeNull();
    const deleted = await run(await makeRequest('deceased_relative', deceased), {
      act: 'deletion',
    });
    expect(deleted.done).toContainEqual({ kind: 'data_key_destroyed', count: 1 });
    const tombstone = await fx.env.ctx.store.db
      .selectFrom('subject_tombstones')
      .select('reason_code')
      .where('subject_id', '=', deceased)
      .executeTakeFirstOrThrow();
    expect(tombstone.reason_code).toBe('deceased_relative');
  });

  it('keeps staff of another controller out (404) and changes nothing', async () => {
    const admin = await loginAs(fx.env, 'admin');
    const created = await admin.client.post('/api/v1/controllers', {
      slug: `acme-${randomBytes(3).toString('hex')}`,
      name: 'Acme Retail',
      region: 'CN',
    });
    expect(created.status).toBe(201);
    const acme = created.body.id as string;
    const subject = await makeSubject(
      [{ category: 'email', purpose: 'consultation', value: 'acme.person@example.com' }],
      acme,
    );
    const outsider = await principalOf(
      await loginAs(fx.env, 'privacy_officer', { controllers: ['self'] }),
    );
    const request = await makeRequest('deletion', subject, acme);
    const denied = await rejection(run(request, {}, outsider));
    expect(denied.status).toBe(404);
    // A request of one controller cannot act on another controller's person.
    const crossed = await rejection(run(await makeRequest('deletion', subject, 'self')));
    expect(crossed.status).toBe(409);
    expect(await count('pi_records', subject)).toBe(1);
    expect(await dataKeys('subject', subject)).toBe(1);
  });

  it('never writes a personal value to the logs or the audit trail', async () => {
    const values = [
      'log.check@example.com',
      '13600004444',
      '李明珠',
      '11010519491231002X',
      'wang.wu@example.com',
      'new.mail@example.com',
    ];
    const subject = await makeSubject([
      { category: 'email', purpose: 'consultation', value: values[0]! },
      { category: 'phone', purpose: 'consultation', value: values[1]! },
      { category: 'name', purpose: 'contract', value: values[2]! },
    ]);
    const outcome = await run(await makeRequest('access', subject));
    await download(outcome.download!.url);
    await run(await makeRequest('deletion', subject));
    const logs = fx.env.logs.join('\n');
    const entries = (
      await fx.env.ctx.store.db.selectFrom('audit_events').select('entry').execute()
    ).map((e) => e.entry.toString('utf8'));
    for (const v of values) {
      expect(logs).not.toContain(v);
      for (const e of entries) expect(e).not.toContain(v);
    }
    const token = new URL(outcome.download!.url).searchParams.get('token')!;
    expect(logs).not.toContain(token);
    for (const e of entries) expect(e).not.toContain(token);
    expect(entries.some((e) => e.includes('"request.fulfil"'))).toBe(true);
  });
});
