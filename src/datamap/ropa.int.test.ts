// Records of processing through HTTP and the CLI, on SQLite and PostgreSQL: a purpose declared
// through the API shows up with its categories, systems, regions, recipients and cross-border
// flag; the CSV parses back to the same values and is safe to open in a spreadsheet.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envFor, runCli } from '../../test/support/cli.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { loginAs, type Staff } from '../../test/support/http.js';
import { parseCsv } from './csv.js';
import { ROPA_CSV_HEADER, SECURITY_MEASURES, type RopaEntry } from './ropa.js';

describe.each(DB_KINDS)('records of processing on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let systemId: string;
  let assessmentId: string;

  const necessity = 'Face images, "liveness" checks, and the e-mail\nare needed to sign in.';

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
    const abroad = await officer.client.post('/api/v1/datamap/recipients', {
      name: 'Verification partner',
      kind: 'processor',
      country: 'SG',
    });
    const home = await officer.client.post('/api/v1/datamap/recipients', {
      name: 'Mail relay',
      kind: 'third_party',
      country: 'CN',
    });
    const purpose = await officer.client.post('/api/v1/datamap/purposes', {
      key: 'face_login',
      nameEn: '=HYPERLINK("http://evil.example")',
      nameZh: '刷脸登录',
      legalBasis: 'consent',
      necessity,
      retentionDays: 90,
      retentionEnd: 'delete',
      separateConsent: true,
      categories: [
        { key: 'face_image', required: true },
        { key: 'email', required: false },
      ],
    });
    expect(purpose.status, purpose.text).toBe(201);
    assessmentId = purpose.body.proposedAssessments[0];
    const system = await officer.client.post('/api/v1/datamap/systems', {
      name: 'Login service',
      region: 'CN-SH',
      operator: 'internal',
      categoryKeys: ['face_image', 'email'],
      purposeKeys: ['face_login'],
      recipientIds: [abroad.body.id, home.body.id],
    });
    expect(system.status, system.text).toBe(201);
    systemId = system.body.id;
  });
  afterAll(async () => env.close());

  function checkEntry(e: RopaEntry): void {
    expect(e).toMatchObject({
      controller: 'This company',
      purposeKey: 'face_login',
      legalBasis: 'consent',
      legalBasisRef: null,
      necessity,
      separateConsent: true,
      crossBorder: true,
      retentionDays: 90,
      retentionEnd: 'delete',
      version: 1,
    });
    expect(e.categories).toEqual([
      {
        key: 'email',
        nameEn: 'E-mail address',
        required: false,
        sensitive: false,
        sensitiveKind: null,
      },
      {
        key: 'face_image',
        nameEn: 'Face image and facial features',
        required: true,
        sensitive: true,
        sensitiveKind: 'biometric',
      },
    ]);
    expect(e.systems).toEqual([
      { id: systemId, name: 'Login service', region: 'CN-SH', operator: 'internal' },
    ]);
    expect(e.recipients.map((r) => [r.name, r.country]).sort()).toEqual([
      ['Mail relay', 'CN'],
      ['Verification partner', 'SG'],
    ]);
    expect(e.securityMeasures).toEqual([...SECURITY_MEASURES]);
    expect(e.assessments.map((a) => a.id)).toContain(assessmentId);
  }

  function checkCsv(text: string): void {
    expect(text.endsWith('\r\n')).toBe(true);
    const [header, ...rows] = parseCsv(text);
    expect(header).toEqual([...ROPA_CSV_HEADER]);
    const col = (row: string[], name: (typeof ROPA_CSV_HEADER)[number]) =>
      row[ROPA_CSV_HEADER.indexOf(name)];
    const row = rows.find((r) => col(r, 'purpose_key') === 'face_login')!;
    expect(row).toBeDefined();
    expect(row).toHaveLength(ROPA_CSV_HEADER.length);
    // A formula-looking cell is neutralised; the rest comes back exactly as declared.
    expect(col(row, 'purpose_name_en')).toBe(`'=HYPERLINK("http://evil.example")`);
    expect(col(row, 'purpose_name_zh')).toBe('刷脸登录');
    expect(col(row, 'necessity')).toBe(necessity);
    expect(col(row, 'categories')).toBe('email; face_image');
    expect(col(row, 'sensitive_categories')).toBe('face_image (biometric)');
    expect(col(row, 'storage_regions')).toBe('CN-SH');
    expect(col(row, 'systems')).toBe('Login service [CN-SH]');
    expect(col(row, 'recipient_countries')).toBe('CN; SG');
    expect(col(row, 'cross_border')).toBe('yes');
    expect(col(row, 'retention_days')).toBe('90');
    expect(col(row, 'retention_end')).toBe('delete');
    expect(col(row, 'separate_consent')).toBe('yes');
    expect(col(row, 'impact_assessments')).toContain(`${assessmentId} (proposed)`);
    // Seeded purposes with no system abroad are not cross-border.
    const consultation = rows.find((r) => col(r, 'purpose_key') === 'consultation')!;
    expect(col(consultation, 'cross_border')).toBe('no');
    expect(col(consultation, 'legal_basis')).toBe('contract');
  }

  it('serves the records as JSON, one entry per active purpose, and audits the export', async () => {
    const res = await officer.client.get('/api/v1/datamap/ropa?format=json');
    expect(res.status, res.text).toBe(200);
    const entries = res.body.entries as RopaEntry[];
    const active = await officer.client.get('/api/v1/datamap/purposes?status=active&limit=200');
    expect(entries.map((e) => e.purposeKey).sort()).toEqual(
      active.body.items.map((p: { key: string }) => p.key).sort(),
    );
    checkEntry(entries.find((e) => e.purposeKey === 'face_login')!);
    const security = entries.find((e) => e.purposeKey === 'security_logs')!;
    expect(security).toMatchObject({ crossBorder: false, systems: [], recipients: [] });

    const events = await env.ctx.store.db
      .selectFrom('audit_events')
      .select('entry')
      .where('action', '=', 'datamap.ropa_export')
      .execute();
    expect(events).toHaveLength(1);
    expect(JSON.parse(events[0]!.entry.toString('utf8')).details).toEqual({
      format: 'json',
      entries: entries.length,
    });
  });

  it('serves the records as CSV (RFC 4180, UTF-8, formula-safe)', async () => {
    const res = await officer.client.get('/api/v1/datamap/ropa?format=csv');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect(res.headers.get('content-type')).toContain('utf-8');
    checkCsv(res.text);
    const bad = await officer.client.get('/api/v1/datamap/ropa?format=xml');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].pointer).toBe('/querystring/format');
  });

  it('a retired purpose leaves the records; a system abroad makes an entry cross-border', async () => {
    const p = await officer.client.post('/api/v1/datamap/purposes', {
      key: 'newsletter_cn',
      nameEn: 'Newsletter',
      nameZh: '新闻通讯',
      legalBasis: 'consent',
      necessity: 'Address to send to.',
      retentionDays: 30,
      retentionEnd: 'delete',
      categories: [{ key: 'email', required: true }],
    });
    expect(p.status, p.text).toBe(201);
    let ropa = (await officer.client.get('/api/v1/datamap/ropa')).body.entries as RopaEntry[];
    expect(ropa.find((e) => e.purposeKey === 'newsletter_cn')?.crossBorder).toBe(false);
    await officer.client.post('/api/v1/datamap/systems', {
      name: 'Mailer',
      region: 'CN-HK',
      operator: 'internal',
      purposeKeys: ['newsletter_cn'],
    });
    ropa = (await officer.client.get('/api/v1/datamap/ropa')).body.entries as RopaEntry[];
    expect(ropa.find((e) => e.purposeKey === 'newsletter_cn')?.crossBorder).toBe(true);

    expect((await officer.client.post('/api/v1/datamap/purposes/marketing/retire')).status).toBe(
      200,
    );
    ropa = (await officer.client.get('/api/v1/datamap/ropa')).body.entries as RopaEntry[];
    expect(ropa.map((e) => e.purposeKey)).not.toContain('marketing');
  });

  it('exports the same records from the CLI', async () => {
    const csv = await runCli(['export', 'ropa', '--format', 'csv'], { env: envFor(env) });
    expect(csv.code, csv.stderr).toBe(0);
    checkCsv(csv.stdout);

    const out = path.join(env.db.dataDir, 'ropa.json');
    const json = await runCli(['export', 'ropa', '--format', 'json', '--out', out], {
      env: envFor(env),
    });
    expect(json.code, json.stderr).toBe(0);
    expect(json.stdout).toBe('');
    const doc = JSON.parse(fs.readFileSync(out, 'utf8')) as { entries: RopaEntry[] };
    checkEntry(doc.entries.find((e) => e.purposeKey === 'face_login')!);

    const bad = await runCli(['export', 'ropa', '--format', 'xlsx'], { env: envFor(env) });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format must be one of json, csv');
    expect(bad.stdout).toBe('');

    const exports = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['actor_type'])
      .where('action', '=', 'datamap.ropa_export')
      .where('actor_type', '=', 'cli')
      .execute();
    expect(exports).toHaveLength(2);
  });
});
