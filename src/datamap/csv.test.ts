import { describe, expect, it } from 'vitest';
import { COUNTRY_CODES, isCountryCode, isOutsideMainland, isRegionCode } from './countries.js';
import { csvCell, parseCsv, toCsv } from './csv.js';

describe('CSV writer', () => {
  it('quotes per RFC 4180 and ends every record with CRLF', () => {
    expect(
      toCsv(
        ['a', 'b'],
        [
          ['x,y', 'say "hi"'],
          ['line\nbreak', ''],
        ],
      ),
    ).toBe('a,b\r\n"x,y","say ""hi"""\r\n"line\nbreak",\r\n');
  });

  it('neutralises cells that a spreadsheet would run as formulas', () => {
    for (const v of ['=1+1', '+CMD', '-2+3', '@SUM(A1)', '\tx', '\rx'])
      expect(csvCell(v).replace(/^"/, '').startsWith(`'`)).toBe(true);
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a=b')).toBe('a=b');
  });

  it('parses back what it wrote', () => {
    const rows = [
      ['中文, with comma', 'quote " inside', 'multi\r\nline'],
      ['', 'x', 'y'],
    ];
    expect(parseCsv(toCsv(['h1', 'h2', 'h3'], rows))).toEqual([['h1', 'h2', 'h3'], ...rows]);
  });
});

describe('country codes', () => {
  it('holds exactly the 249 assigned ISO 3166-1 alpha-2 codes', () => {
    expect(COUNTRY_CODES.size).toBe(249);
    for (const c of ['CN', 'SG', 'US', 'DE', 'HK', 'MO', 'TW', 'AX', 'SS', 'BQ'])
      expect(isCountryCode(c)).toBe(true);
    for (const c of ['UK', 'EU', 'XK', 'ZZ', 'AN', 'cn', 'CHN', ''])
      expect(isCountryCode(c)).toBe(false);
  });

  it('reads regions and the mainland boundary', () => {
    expect(isRegionCode('CN-BJ')).toBe(true);
    expect(isRegionCode('XX-BJ')).toBe(false);
    expect(isOutsideMainland('CN')).toBe(false);
    expect(isOutsideMainland('CN-SH')).toBe(false);
    for (const r of ['CN-HK', 'CN-MO', 'CN-TW', 'HK', 'SG', 'US'])
      expect(isOutsideMainland(r)).toBe(true);
  });
});
