// Fulfilment against the encrypted store, on SQLite and PostgreSQL: access / copy / portability
// packages fetched over HTTP through their short-lived links, correction with history and blind
// indexes, deletion with crypto-shredding and legal holds, withdrawal of consent, explanation,
// restriction, controller scoping, and no personal value in logs or audit events.
import { createHash, randomBytes } from 'node:crypto';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { principalFromSession } from '../../access/authenticate.js';
import type { Principal } from '../../access/principal.js';
import { parseCsv } from '../../datamap/csv.js';
import { newId } from '../../db/ids.js';
import { transaction } from '../../db/store.js';
import type { NewRow, Row } from '../../db/types.js';
import { AppError } from '../../errors.js';
import { DB_KINDS } from '../../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../../test/support/env.js';
import { loginAs, type Staff } from '../../../test/support/http.js';
import type { RequestType } from '../contracts.js';
import { fulfil, type FulfilInput, type FulfilOutcome } from './fulfil.js';
import { CSV_COLUMNS, PACKAGE_FILES } from './package.js';

const HOUR = 3_600_000;

describe.each(DB_KINDS)('fulfilment on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let caller: Principal;

  beforeAll(async () => {
    env = await makeEnv(kind, { CUSTOS_BASE_URL: 'https://privacy.example.test' });
    officer = await loginAs(env, 'privacy_officer');
    caller = await principalOf(officer);
  });
  afterAll(async () => env.close());

  async function principalOf(staff: Staff): Promise<Principal> {
    const secret = decodeURIComponent(staff.client.cookie!.slice('custos_session='.length));
    return principalFromSession(env.ctx, secret);
  }

  type Rec = { category: string; purpose: string; value: string; source?: string };
  async function makeSubject(records: Rec[], controllerId?: string): Promise<string> {
    const res = await officer.client.post('/api/v1/subjects', {
      ...(controllerId ? { controllerId } : {}),
      records: records.map((r) => ({ source: 'web_form', ...r })),
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  /** A verified request as the workflow hands it to fulfilment (CORE writes these rows). */
  async function makeRequest(
    type: RequestType,
    subjectId: string | null,
    controllerId = 'self',
  ): Promise<Row<'requests'>> {
    const now = env.clock.now().toISOString();
    // Only the columns that must be set: new nullable columns of the workflow stay null.
    const row: NewRow<'requests'> = {
      id: newId(),
      controller_id: controllerId,
      subject_id: subjectId,
      type,
      channel: 'api',
      lang: 'zh-CN',
      status: 'in_progress',
      status_token_hash: randomBytes(32),
      received_at: now,
      verified_at: now,
      verification_channel: 'email',
      fee_status: 'none',
      version: 1,
      created_at: now,
      updated_at: now,
    };
    await env.ctx.store.db.insertInto('requests').values(row).execute();
    return env.ctx.store.db
      .selectFrom('requests')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
  }

  const run = (
    request: Row<'requests'>,
    input: FulfilInput = {},
    who: Principal = caller,
  ): Promise<FulfilOutcome> =>
    transaction(env.ctx.store, (trx) => fulfil(env.ctx, trx, request, who, input));

  async function rejection(p: Promise<unknown>): Promise<AppError> {
    const error = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }

  async function count(
    table: 'pi_records' | 'subject_identifiers' | 'record_corrections' | 'request_files',
    subjectId: string,
  ): Promise<number> {
    const r = await env.ctx.store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('subject_id', '=', subjectId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async function dataKeys(owner: 'subject' | 'request', id: string): Promise<number> {
    const r = await env.ctx.store.db
      .selectFrom('data_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_type', '=', owner)
      .where('owner_id', '=', id)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  async function searchByEmail(email: string): Promise<string[]> {
    const res = await officer.client.post('/api/v1/subjects/search', { email });
    expect(res.status).toBe(200);
    return res.body.items.map((s: { id: string }) => s.id);
  }

  /** Fetches a download link over HTTP; the path is taken from the link, the host is ours. */
  async function download(url: string) {
    const u = new URL(url);
    expect(u.origin).toBe('https://privacy.example.test');
    return fetch(`${env.url}${u.pathname}${u.search}`);
  }

  async function unzip(res: Response): Promise<Record<string, string>> {
    const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
    return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strFromU8(v)]));
  }

  async function addRecipient(name: string): Promise<string> {
    const now = env.clock.now().toISOString();
    const id = newId();
    await env.ctx.store.db
      .insertInto('recipients')
      .values({
        id,
        name,
        kind: 'third_party',
        country: 'CN',
        contact: null,
        status: 'active',
        version: 1,
        created_at: now,
        updated_at: now,
      })
      .execute();
    return id;
  }

  async function disclose(subjectId: string, recipientName: string): Promise<void> {
    const entry = await officer.client.post('/api/v1/disclosures', {
      recipientId: await addRecipient(recipientName),
      purpose: 'Delivery of ordered goods by the logistics partner',
      categories: ['email', 'name'],
      legalBasis: 'contract',
      personsCount: 1,
      disclosedAt: env.clock.now().toISOString(),
    });
    expect(entry.status).toBe(201);
    const delivered = await officer.client.post(`/api/v1/disclosures/${entry.body.id}/deliver`, {
      subjectIds: [subjectId],
      reason: 'shipment of the November order',
    });
    expect(delivered.status).toBe(200);
  }

  async function holdOn(scope: 'subject' | 'category', targetId: string): Promise<string> {
    const res = await officer.client.post('/api/v1/retention/holds', {
      scope,
      targetId,
      reason: 'litigation hold for the pending court case',
      endsAt: new Date(env.clock.now().getTime() + 30 * 24 * HOUR).toISOString(),
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  }

  async function release(holdId: string): Promise<void> {
    const res = await officer.client.post(`/api/v1/retention/holds/${holdId}/release`, {
      reason: 'court case settled and closed',
    });
    expect(res.status).toBe(200);
  }

  it('builds an access package: sealed at rest, downloaded once the link is used, complete', async () => {
    const subject = await makeSubject([
      { category: 'email', purpose: 'consultation', value: 'Wang.Wu@Example.com' },
      { category: 'name', purpose: 'consultation', value: '王五' },
      { category: 'free_text', purpose: 'consultation', value: '=HYPERLINK("http://x")' },
      { category: 'cn_resident_id', purpose: 'contract', value: '11010519491231002X' },
    ]);
    await disclose(subject, 'Shunfeng Logistics Partner');
    const earlier = await makeRequest('explain', subject);
    await run(earlier);
    const request = await makeRequest('access', subject);
    const before = env.clock.now().getTime();
    const outcome = await run(request);
    const after = env.clock.now().getTime();

    expect(outcome.partial).toBe(false);
    expect(outcome.done[0]).toMatchObject({ kind: 'package_prepared', count: 4 });
    expect(outcome.done[1]).toEqual({ kind: 'disclosures_listed', count: 1 });
    const link = new URL(outcome.download!.url);
    expect(link.pathname).toMatch(/^\/api\/v1\/requests\/files\/[0-9a-f-]{36}$/);
    const expiresAt = Date.parse(outcome.download!.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 72 * HOUR);
    expect(expiresAt).toBeLessThanOrEqual(after + 72 * HOUR);

    // At rest: sealed with the request's key, the token only as a hash.
    const stored = await env.ctx.store.db
      .selectFrom('request_files')
      .selectAll()
      .where('request_id', '=', request.id)
      .executeTakeFirstOrThrow();
    const token = link.searchParams.get('token')!;
    expect(stored.token_hash.equals(createHash('sha256').update(token).digest())).toBe(true);
    expect(stored.content_enc!.toString('latin1')).not.toContain('data.json');
    expect(await dataKeys('request', request.id)).toBe(1);

    const res = await download(outcome.download!.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="custos-request-${request.id}.zip"`,
    );
    expect(res.headers.get('cache-control')).toBe('no-store');
    const files = await unzip(res);
    expect(Object.keys(files).sort()).toEqual([...PACKAGE_FILES].sort());

    const data = JSON.parse(files['data.json']!);
    const byCategory = Object.fromEntries(
      data.records.map((r: { category: { key: string } }) => [r.category.key, r]),
    );
    expect(data.records).toHaveLength(4);
    expect(byCategory.email.value).toBe('wang.wu@example.com');
    expect(byCategory.name.value).toBe('王五');
    expect(byCategory.cn_resident_id).toMatchObject({
      value: '11010519491231002X',
      category: { key: 'cn_resident_id', en: expect.any(String), zh: expect.any(String) },
      purpose: { key: 'contract', legalBasis: 'contract' },
      source: 'web_form',
      storageRegion: 'CN',
    });
    expect(byCategory.email.purpose).toMatchObject({ key: 'consultation', legalBasis: 'contract' });
    expect(byCategory.email.collectedAt).toEqual(expect.any(String));
    expect(byCategory.email.expiresAt).toEqual(expect.any(String));

    const csv = parseCsv(files['data.csv']!.replace(/^\uFEFF/, ''));
    expect(csv[0]).toEqual([...CSV_COLUMNS]);
    expect(csv).toHaveLength(5);
    const valueAt = CSV_COLUMNS.indexOf('value');
    const csvValues = csv.slice(1).map((r) => r[valueAt]);
    expect(csvValues).toContain('wang.wu@example.com');
    expect(csvValues).toContain('王五');
    // Formula injection neutralised in the CSV, the value itself intact in the JSON.
    expect(csvValues).toContain(`'=HYPERLINK("http://x")`);
    expect(byCategory.free_text.value).toBe('=HYPERLINK("http://x")');

    const disclosures = JSON.parse(files['disclosures.json']!);
    expect(disclosures.items).toHaveLength(1);
    expect(disclosures.items[0]).toMatchObject({
      recipient: { name: 'Shunfeng Logistics Partner', country: 'CN' },
      categories: ['email', 'name'],
    });
    const history = JSON.parse(files['requests.json']!);
    expect(history.items.map((r: { reference: string }) => r.reference)).toEqual([
      earlier.id,
      request.id,
    ]);
    expect(Object.keys(history.items[0]).sort()).toEqual(
      [
        'reference',
        'type',
        'channel',
        'status',
        'receivedAt',
        'verifiedAt',
        'dueAt',
        'closedAt',
      ].sort(),
    );
    expect(files['README.zh-CN.txt']).toContain('data.json');
    expect(files['README.zh-CN.txt']).toContain('人民法院');
    expect(files['README.en.txt']).toContain('disclosures.json');
    expect(files['README.en.txt']).toContain(outcome.download!.expiresAt);

    const audit = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'outcome', 'target_id'])
      .where('action', 'in', ['request.download', 'request.fulfil'])
      .where('target_id', '=', request.id)
      .orderBy('seq')
      .execute();
    expect(audit.map((a) => [a.action, a.outcome])).toEqual([
      ['request.fulfil', 'success'],
      ['request.download', 'success'],
    ]);
    const counted = await env.ctx.store.db
      .selectFrom('request_files')
      .select('downloads')
      .where('id', '=', stored.id)
      .executeTakeFirstOrThrow();
    expect(counted.downloads).toBe(1);
  });

  it('refuses forged, malformed and expired download links', async () => {
    const subject = await makeSubject([
      { category: 'email', purpose: 'consultation', value: 'zhao.liu@example.com' },
    ]);
    const outcome = await run(await makeRequest('copy', subject));
    const link = new URL(outcome.download!.url);
    const fileId = link.pathname.split('/').pop()!;
    const forged = `/api/v1/requests/files/${fileId}?token=${randomBytes(32).toString('base64url')}`;
    const wrong = await fetch(`${env.url}${forged}`);
    expect(wrong.status).toBe(404);
    expect(((await wrong.json()) as { type: string }).type).toBe('urn:custos:problem:not-found');
    const unknown = await fetch(
      `${env.url}/api/v1/requests/files/${newId()}?token=${link.searchParams.get('token')}`,
    );
    expect(unknown.status).toBe(404);
    const malformed = await fetch(`${env.url}/api/v1/requests/files/${fileId}?token=a%20b`);
    expect(malformed.status).toBe(400);
    const missing = await fetch(`${env.url}/api/v1/requests/files/${fileId}`);
    expect(missing.status).toBe(400);
    expect(
      ((await missing.json()) as { errors: Array<{ pointer: string }> }).errors[0]!.pointer,
    ).toBe('/querystring/token');
    const denied = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('outcome')
      .where('action', '=', 'request.download')
      .where('target_id', '=', fileId)
      .execute();
    expect(denied.map((d) => d.outcome)).toEqual(['denied']);

    // Still valid just before 72 h; gone after, and the sealed content with it.
    env.clock.advance(72 * HOUR - 60_000);
    expect((await download(outcome.download!.url)).status).toBe(200);
    env.clock.advance(2 * 60_000);
    const expired = await download(outcome.download!.url);
    expect(expired.status).toBe(410);
    const row = await env.ctx.store.db
      .selectFrom('request_files')
      .select(['content_enc', 'purged_at'])
      .where('id', '=', fileId)
      .executeTakeFirstOrThrow();
    expect(row.content_enc).toBeNull();
    expect(row.purged_at).not.toBeNull();
    expect((await download(outcome.download!.url)).status).toBe(410);
    // Staff sessions idled out while the clock moved on.
    officer = await loginAs(env, 'privacy_officer');
    caller = await principalOf(officer);
  });

  it('limits portability to consent- or contract-based records the person provided', async () => {
    const subject = await makeSubject([
      { category: 'email', purpose: 'marketing', value: 'sun.qi@example.com' },
      { category: 'name', purpose: 'contract', value: '孙七' },
      { category: 'email', purpose: 'rights_requests', value: 'sun.qi@example.com' },
      { category: 'company', purpose: 'contract', value: 'Scored Ltd', source: 'derived_scoring' },
    ]);
    const outcome = await run(await makeRequest('portability', subject));
    expect(outcome.done).toContainEqual({ kind: 'left_out_of_portability', count: 2 });
    const files = await unzip(await download(outcome.download!.url));
    const data = JSON.parse(files['data.json']!);
    expect(data.records.map((r: { purpose: { key: string } }) => r.purpose.key).sort()).toEqual([
      'contract',
      'marketing',
    ]);
    expect(files['README.en.txt']).toContain('2 other record(s)');
    expect(files['README.zh-CN.txt']).toContain('第四十五条');
  });

  it('corrects a value: re-encrypted, blind index replaced, history without values', async () => {
    const subject = await makeSubject([
      { category: 'email', purpose: 'consultation', value: 'old.mail@example.com' },
      { category: 'phone', purpose: 'consultation', value: '13800001111' },
    ]);
    await disclose(subject, 'Correction Recipient Co');
    const other = await makeSubject([
      { category: 'email', purpose: 'consultation', value: 'someone.else@example.com' },
    ]);
    const [email] = await env.ctx.store.db
      .selectFrom('pi_records')
      .select(['id', 'value_enc'])
      .where('subject_id', '=', subject)
      .where('category', '=', 'email')
      .execute();
    const [otherRecord] = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('id')
      .where('subject_id', '=', other)
      .execute();

    // Bad input first: nothing may change.
    const request = await makeRequest('correction', subject);
    const foreign = await rejection(
      run(request, { corrections: [{ recordId: otherRecord!.id, value: 'x@example.com' }] }),
    );
    expect(foreign.status).toBe(400);
    expect(foreign.code).toBe('validation');
    expect(foreign.extra.errors?.[0]?.pointer).toBe('/body/corrections/0/recordId');
    const invalid = await rejection(
      run(request, {
        corrections: [
          { recordId: email!.id, value: 'new.mail@example.com' },
          { recordId: email!.id, value: 'again@example.com' },
        ],
      }),
    );
    expect(invalid.extra.errors?.[0]?.pointer).toBe('/body/corrections/1/recordId');
    const badValue = await rejection(
      run(request, { corrections: [{ recordId: email!.id, value: 'not an e-mail' }] }),
    );
    expect(badValue.extra.errors?.[0]).toMatchObject({ pointer: '/body/corrections/0/value' });
    expect(badValue.message).not.toContain('not an e-mail');
    const none = await rejection(run(request, { corrections: [] }));
    expect(none.extra.errors?.[0]?.pointer).toBe('/body/corrections');
    expect(await count('record_corrections', subject)).toBe(0);
    const unchanged = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('value_enc')
      .where('id', '=', email!.id)
      .executeTakeFirstOrThrow();
    expect(unchanged.value_enc!.equals(email!.value_enc!)).toBe(true);
    expect(await searchByEmail('old.mail@example.com')).toEqual([subject]);

    const outcome = await run(request, {
      corrections: [{ recordId: email!.id, value: '  New.Mail@Example.com ' }],
    });
    expect(outcome.done).toEqual([
      { kind: 'corrected_records', count: 1, detail: 'email' },
      { kind: 'recipients_to_inform', count: 1 },
    ]);
    expect(outcome.recipients?.[0]).toMatchObject({ name: 'Correction Recipient Co' });
    expect(await searchByEmail('new.mail@example.com')).toEqual([subject]);
    expect(await searchByEmail('old.mail@example.com')).toEqual([]);
    const revealed = await officer.client.post(`/api/v1/subjects/${subject}/reveal`, {
      reason: 'check the corrected e-mail address',
      recordIds: [email!.id],
    });
    expect(revealed.body.records[0].value).toBe('new.mail@example.com');
    const history = await env.ctx.store.db
      .selectFrom('record_corrections')
      .selectAll()
      .where('subject_id', '=', subject)
      .execute();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      record_id: email!.id,
      request_id: request.id,
      category: 'email',
      actor_type: 'user',
      actor_id: officer.id,
    });
    expect(JSON.stringify(history)).not.toContain('mail@example.com');
  });

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
    const tombstone = await env.ctx.store.db
      .selectFrom('subject_tombstones')
      .selectAll()
      .where('subject_id', '=', subject)
      .executeTakeFirstOrThrow();
    expect(tombstone).toMatchObject({
      request_id: request.id,
      controller_id: 'self',
      reason_code: 'deletion_request',
    });
    const row = await env.ctx.store.db
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
      const left = await env.ctx.store.db
        .selectFrom('pi_records')
        .select('category')
        .where('subject_id', '=', subject)
        .execute();
      expect(left.map((r) => r.category)).toEqual(['passport', 'passport']);
      expect(await count('subject_identifiers', subject)).toBe(2);
      expect(await searchByEmail('li.jiu@example.com')).toEqual([]);
      expect(await dataKeys('subject', subject)).toBe(1);
      const restriction = await env.ctx.store.db
        .selectFrom('subject_restrictions')
        .selectAll()
        .where('subject_id', '=', subject)
        .executeTakeFirstOrThrow();
      expect(restriction).toMatchObject({ purposes: 'all', reason_code: 'legal_hold_kept' });
      const tombstones = await env.ctx.store.db
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
    const left = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('purpose')
      .where('subject_id', '=', subject)
      .orderBy('purpose')
      .execute();
    expect(left.map((r) => r.purpose)).toEqual(['consultation', 'rights_requests']);
    // The rights-request e-mail still finds the person; the marketing one's digest is gone.
    expect(await count('subject_identifiers', subject)).toBe(2);
    const restriction = await env.ctx.store.db
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
    const tombstone = await env.ctx.store.db
      .selectFrom('subject_tombstones')
      .select('reason_code')
      .where('subject_id', '=', onlyConsent)
      .executeTakeFirstOrThrow();
    expect(tombstone.reason_code).toBe('consent_withdrawn');
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
    const rows = await env.ctx.store.db
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
    const tombstone = await env.ctx.store.db
      .selectFrom('subject_tombstones')
      .select('reason_code')
      .where('subject_id', '=', deceased)
      .executeTakeFirstOrThrow();
    expect(tombstone.reason_code).toBe('deceased_relative');
  });

  it('keeps staff of another controller out (404) and changes nothing', async () => {
    const admin = await loginAs(env, 'admin');
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
      await loginAs(env, 'privacy_officer', { controllers: ['self'] }),
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
    const logs = env.logs.join('\n');
    const entries = (
      await env.ctx.store.db.selectFrom('audit_events').select('entry').execute()
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
