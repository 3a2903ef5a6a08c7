// A person's request end to end, on SQLite and PostgreSQL: submitted and
// verified with the code from the queued mail, fulfilled by a handler, and answered — the access
// package fetched through the link in the reply; a deletion leaving only a tombstone.
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMail } from '../../notify/outbox.js';
import { DB_KINDS } from '../../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../../test/support/env.js';
import { loginAs, type Staff } from '../../../test/support/http.js';
import type { RequestType } from '../contracts.js';
import { submitRequest } from '../intake.js';
import { verifyRequest } from '../verification.js';

describe.each(DB_KINDS)('a rights request end to end on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => env.close());

  /** The parameters of the latest queued mail of a template, opened as the sender would. */
  async function lastMail(template: string): Promise<Record<string, unknown>> {
    const row = await env.ctx.store.db
      .selectFrom('outbox')
      .selectAll()
      .where('template', '=', template)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const mail = await openMail(env.ctx, env.ctx.store.db, row);
    expect(mail).not.toBeNull();
    return mail!.params as Record<string, unknown>;
  }

  // Submission and verification are the CORE part's service calls (the same the public routes
  // make); the handler's fulfilment and the person's download go over HTTP.
  async function askAndVerify(type: RequestType, email: string): Promise<string> {
    const submitted = await submitRequest(env.ctx, { type, channel: 'api', lang: 'en', email });
    expect(submitted.verification).toBe('email');
    const { code } = (await lastMail('request_verification_code')) as { code: string };
    await verifyRequest(env.ctx, submitted.id, { token: submitted.statusToken, code });
    return submitted.id;
  }

  it('answers an access request with a package behind the link in the reply', async () => {
    const created = await officer.client.post('/api/v1/subjects', {
      records: [
        {
          category: 'email',
          purpose: 'consultation',
          value: 'he.yi@example.com',
          source: 'web_form',
        },
        { category: 'name', purpose: 'contract', value: '何一', source: 'api' },
      ],
    });
    expect(created.status).toBe(201);
    const id = await askAndVerify('access', 'He.Yi@example.com');

    const done = await officer.client.post(`/api/v1/requests/${id}/fulfil`, {});
    expect(done.status).toBe(200);
    expect(done.body.status).toBe('fulfilled');
    const reply = (await lastMail('request_fulfilled')) as { downloadUrl: string };
    const link = new URL(reply.downloadUrl);
    const res = await fetch(`${env.url}${link.pathname}${link.search}`);
    expect(res.status).toBe(200);
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    const data = JSON.parse(strFromU8(files['data.json']!));
    expect(data.records.map((r: { value: string }) => r.value).sort()).toEqual([
      'he.yi@example.com',
      '何一',
    ]);
    const history = JSON.parse(strFromU8(files['requests.json']!));
    expect(history.items.map((r: { reference: string }) => r.reference)).toContain(id);
  });

  it('erases the person on a deletion request, leaving a tombstone', async () => {
    const created = await officer.client.post('/api/v1/subjects', {
      records: [
        {
          category: 'email',
          purpose: 'consultation',
          value: 'gone.soon@example.com',
          source: 'web_form',
        },
      ],
    });
    const subject = created.body.id as string;
    const id = await askAndVerify('deletion', 'gone.soon@example.com');
    const done = await officer.client.post(`/api/v1/requests/${id}/fulfil`, {});
    expect(done.status).toBe(200);
    const db = env.ctx.store.db;
    expect(
      await db.selectFrom('pi_records').select('id').where('subject_id', '=', subject).execute(),
    ).toEqual([]);
    const tombstone = await db
      .selectFrom('subject_tombstones')
      .selectAll()
      .where('subject_id', '=', subject)
      .executeTakeFirstOrThrow();
    expect(tombstone).toMatchObject({ request_id: id, reason_code: 'deletion_request' });
    const search = await officer.client.post('/api/v1/subjects/search', {
      email: 'gone.soon@example.com',
    });
    expect(search.body.items).toEqual([]);
  });
});
