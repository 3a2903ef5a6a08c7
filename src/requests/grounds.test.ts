// The refusal-ground catalogue: the policy's eight exceptions numbered in order, two procedural
// grounds, labels in both languages, and exactly grounds 5, 7 and 8 needing a second approver.
import { describe, expect, it } from 'vitest';
import { REFUSAL_GROUNDS, groundInfo, isRefusalGround, needsSecondApprover } from './grounds.js';

describe('refusal grounds', () => {
  it('numbers the eight exceptions 1–8 in the order of the policy, procedural grounds null', () => {
    expect(REFUSAL_GROUNDS.map((g) => [g, groundInfo(g).number])).toEqual([
      ['legal_obligation', 1],
      ['national_security', 2],
      ['public_interest', 3],
      ['criminal_justice', 4],
      ['malice_or_abuse', 5],
      ['protect_life_property', 6],
      ['harm_to_others', 7],
      ['trade_secret', 8],
      ['identity_not_verified', null],
      ['statutory_retention', null],
    ]);
  });

  it('needs a second approver for exactly grounds 5, 7 and 8', () => {
    const needing = REFUSAL_GROUNDS.filter((g) => groundInfo(g).needsSecondApprover);
    expect(needing).toEqual(['malice_or_abuse', 'harm_to_others', 'trade_secret']);
    expect(needing.map((g) => groundInfo(g).number)).toEqual([5, 7, 8]);
    for (const g of REFUSAL_GROUNDS) {
      expect(needsSecondApprover(g)).toBe(groundInfo(g).needsSecondApprover);
    }
  });

  it('labels every ground in Chinese and English, all distinct', () => {
    const zh = REFUSAL_GROUNDS.map((g) => groundInfo(g).label['zh-CN']);
    const en = REFUSAL_GROUNDS.map((g) => groundInfo(g).label.en);
    for (const label of zh) expect(label).toMatch(/^[\u4e00-\u9fff][^A-Za-z]{3,}$/u);
    for (const label of en) expect(label).toMatch(/^[A-Z][A-Za-z ,'-]{10,}[a-z]$/);
    expect(new Set(zh).size).toBe(REFUSAL_GROUNDS.length);
    expect(new Set(en).size).toBe(REFUSAL_GROUNDS.length);
  });

  it('hands out catalogue entries that cannot be altered', () => {
    const info = groundInfo('trade_secret');
    expect(() => {
      (info as { needsSecondApprover: boolean }).needsSecondApprover = false;
    }).toThrow(TypeError);
    expect(() => {
      (info.label as { en: string }).en = 'x';
    }).toThrow(TypeError);
    expect(groundInfo('trade_secret').needsSecondApprover).toBe(true);
  });

  it('recognises only the coded grounds', () => {
    for (const g of REFUSAL_GROUNDS) expect(isRefusalGround(g)).toBe(true);
    for (const bad of ['LEGAL_OBLIGATION', 'other', '', ' trade_secret', 'toString', '__proto__']) {
      expect(isRefusalGround(bad)).toBe(false);
    }
    for (const bad of [5, null, undefined, {}, ['trade_secret']]) {
      expect(isRefusalGround(bad)).toBe(false);
    }
  });
});
