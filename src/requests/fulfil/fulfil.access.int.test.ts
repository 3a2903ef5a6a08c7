// Access, copy and portability packages on SQLite and PostgreSQL: built from the encrypted store,
// sealed at rest, fetched over HTTP through their short-lived links (forged, malformed and expired
// links refused), and portability limited to what the person provided on consent or contract.
import { createHash, randomBytes } from 'node:crypto';
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../datamap/csv.js';
import { newId } from '../../db/ids.js';
import { DB_KINDS } from '../../../test/support/db.js';
import { fulfilSuite, HOUR } from '../../../test/support/fulfil.js';
import { loginAs } from '../../../test/support/http.js';
import { CSV_COLUMNS, PACKAGE_FILES } from './package.js';

async function unzip(res: Response): Promise<Record<string, string>> {
  const files = unzipSync(new Uint8Array(await res.arrayBuffer()));
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, strFromU8(v)]));
}

describe.each(DB_KINDS)('fulfilment on %s', (kind) => {
  const fx = fulfilSuite(kind);
  const { principalOf, makeSubject, makeRequest, run, dataKeys, download, disclose } = fx;

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
    const before = fx.env.clock.now().getTime();
    const outcome = await run(request);
    const after = fx.env.clock.now().getTime();

    expect(outcome.partial).toBe(false);
    expect(outcome.done[0]).toMatchObject({ kind: 'package_prepared', count: 4 });
    expect(outcome.done[1]).toEqual({ kind: 'disclosures_listed', count: 1 });
    const link = new URL(outcome.download!.url);
    expect(link.pathname).toMatch(/^\/api\/v1\/requests\/files\/[0-9a-f-]{36}$/);
    const expiresAt = Date.parse(outcome.download!.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 72 * HOUR);
    expect(expiresAt).toBeLessThanOrEqual(after + 72 * HOUR);

    // At rest: sealed with the request's key, the token only as a hash.
    const stored = await fx.env.ctx.store.db
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

    const audit = await fx.env.ctx.store.db
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
    const counted = await fx.env.ctx.store.db
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
    const wrong = await fetch(`${fx.env.url}${forged}`);
    expect(wrong.status).toBe(404);
    expect(((await wrong.json()) as { type: string }).type).toBe('urn:custos:problem:not-found');
    const unknown = await fetch(
      `${fx.env.url}/api/v1/requests/files/${newId()}?token=${link.searchParams.get('token')}`,
    );
    expect(unknown.status).toBe(404);
    const malformed = await fetch(`${fx.env.url}/api/v1/requests/files/${fileId}?token=a%20b`);
    expect(malformed.status).toBe(400);
    const missing = await fetch(`${fx.env.url}/api/v1/requests/files/${fileId}`);
    expect(missing.status).toBe(400);
    expect(
      ((await missing.json()) as { errors: Array<{ pointer: string }> }).errors[0]!.pointer,
    ).toBe('/querystring/token');
    const denied = await fx.env.ctx.store.db
      .selectFrom('audit_events')
      .select('outcome')
      .where('action', '=', 'request.download')
      .where('target_id', '=', fileId)
      .execute();
    expect(denied.map((d) => d.outcome)).toEqual(['denied']);

    // Still valid just before 72 h; gone after, and the sealed content with it.
    fx.env.clock.advance(72 * HOUR - 60_000);
    expect((await download(outcome.download!.url)).status).toBe(200);
    fx.env.clock.advance(2 * 60_000);
    const expired = await download(outcome.download!.url);
    expect(expired.status).toBe(410);
    const row = await fx.env.ctx.store.db
      .selectFrom('request_files')
      .select(['content_enc', 'purged_at'])
      .where('id', '=', fileId)
      .executeTakeFirstOrThrow();
    expect(row.content_enc).toBeNull();
    expect(row.purged_at).not.toBeNull();
    expect((await download(outcome.download!.url)).status).toBe(410);
    // Staff sessions idled out while the clock moved on.
    fx.officer = await loginAs(fx.env, 'privacy_officer');
    fx.caller = await principalOf(fx.officer);
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
});
