// The package format on its own: file list, CSV safety, portability scope and the readmes.
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../datamap/csv.js';
import type { HeldRecord } from './gather.js';
import {
  buildPackage,
  CSV_COLUMNS,
  isPortable,
  PACKAGE_FILES,
  type PackageInput,
} from './package.js';

const record = (over: Partial<HeldRecord> = {}): HeldRecord => ({
  id: '0190a0b1-0000-7000-8000-000000000001',
  category: 'free_text',
  categoryName: { zh: '自由文本', en: 'Free text' },
  sensitive: false,
  purpose: 'consultation',
  purposeName: { zh: '咨询', en: 'Consultation' },
  legalBasis: 'contract',
  legalBasisRef: null,
  retentionDays: 365,
  retentionBasis: 'purpose',
  value: 'plain',
  source: 'web_form',
  collectedAt: '2026-11-01T00:00:00.000Z',
  expiresAt: '2027-11-01T00:00:00.000Z',
  region: 'CN',
  controllerId: 'self',
  subjectId: '0190a0b1-0000-7000-8000-000000000002',
  ...over,
});

const input = (records: HeldRecord[], over: Partial<PackageInput> = {}): PackageInput => ({
  reference: '0190a0b1-0000-7000-8000-000000000003',
  requestType: 'copy',
  generatedAt: '2026-11-28T10:00:00.000Z',
  expiresAt: '2026-12-01T10:00:00.000Z',
  controllerName: 'Custos Demo Ltd',
  contact: 'dpo@custos.test',
  records,
  excluded: 0,
  disclosures: [],
  requests: [],
  ...over,
});

describe('response packages', () => {
  it('holds every file, and the CSV neutralises formulas while keeping the values', () => {
    const dangerous = ['=1+1', '+86 138', '-5', '@SUM(A1)', '\tx', 'a,"b"\r\nc'];
    const zip = buildPackage(input(dangerous.map((value, i) => record({ id: `id-${i}`, value }))));
    const files = unzipSync(zip);
    expect(Object.keys(files)).toEqual([...PACKAGE_FILES]);
    const csv = parseCsv(strFromU8(files['data.csv']!).replace(/^\uFEFF/, ''));
    expect(csv[0]).toEqual([...CSV_COLUMNS]);
    const values = csv.slice(1).map((r) => r[CSV_COLUMNS.indexOf('value')]);
    expect(values).toEqual(["'=1+1", "'+86 138", "'-5", "'@SUM(A1)", "'\tx", 'a,"b"\r\nc']);
    const json = JSON.parse(strFromU8(files['data.json']!));
    expect(json.records.map((r: { value: string }) => r.value)).toEqual(dangerous);
  });

  it('is reproducible: the same input gives the same bytes', () => {
    const a = buildPackage(input([record()]));
    const b = buildPackage(input([record()]));
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });

  it('takes into portability only what the person provided on consent or contract', () => {
    expect(isPortable(record({ legalBasis: 'consent' }))).toBe(true);
    expect(isPortable(record({ legalBasis: 'contract' }))).toBe(true);
    expect(isPortable(record({ legalBasis: 'legal_duty' }))).toBe(false);
    expect(isPortable(record({ legalBasis: null }))).toBe(false);
    expect(isPortable(record({ source: 'derived_scoring' }))).toBe(false);
    expect(isPortable(record({ source: 'third_party:broker' }))).toBe(false);
  });

  it('writes both readmes with the scope, the rights, the contact and the expiry', () => {
    const files = unzipSync(
      buildPackage(input([record()], { requestType: 'portability', excluded: 3 })),
    );
    const zh = strFromU8(files['README.zh-CN.txt']!);
    const en = strFromU8(files['README.en.txt']!);
    for (const text of [zh, en]) {
      expect(text).toContain('dpo@custos.test');
      expect(text).toContain('2026-12-01T10:00:00.000Z');
      expect(text).toContain('data.csv');
      expect(text).toContain('requests.json');
    }
    expect(zh).toContain('其余 3 条记录');
    expect(en).toContain('3 other record(s)');
    expect(en).toContain('people’s court');
  });
});
