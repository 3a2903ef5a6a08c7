// The thresholds of the 2024 Provisions at their edges, with realistic (large) volumes.
import { describe, expect, it } from 'vitest';
import {
  mechanismShortfall,
  requiredMechanisms,
  thresholdStates,
  transferYear,
} from './volumes.js';

const at = (nonSensitive: number, sensitive = 0) => ({ nonSensitive, sensitive });
const fits = (
  mechanism: Parameters<typeof mechanismShortfall>[0],
  ground: Parameters<typeof mechanismShortfall>[1],
  volume: { nonSensitive: number; sensitive: number },
  options: { ciio?: boolean; sensitive?: boolean } = {},
) =>
  mechanismShortfall(mechanism, ground, {
    ciio: options.ciio ?? false,
    sensitive: options.sensitive ?? false,
    volume,
  }) === null;

describe('mechanismShortfall', () => {
  it('lets the small-volume exemption cover fewer than 100,000 persons and no more', () => {
    expect(fits('exemption', 'small_volume', at(99_999))).toBe(true);
    expect(fits('exemption', 'small_volume', at(100_000))).toBe(false);
    expect(
      mechanismShortfall('exemption', 'small_volume', {
        ciio: false,
        sensitive: false,
        volume: at(100_000),
      }),
    ).toMatch(/100000/);
  });

  it('never lets the small-volume exemption cover sensitive PI or a CIIO', () => {
    expect(fits('exemption', 'small_volume', at(1, 1), { sensitive: true })).toBe(false);
    expect(fits('exemption', 'small_volume', at(1), { ciio: true })).toBe(false);
  });

  it('stops a standard contract or certification at 1,000,000 non-sensitive / 10,000 sensitive', () => {
    for (const m of ['standard_contract', 'certification'] as const) {
      expect(fits(m, null, at(999_999))).toBe(true);
      expect(fits(m, null, at(1_000_000))).toBe(false);
      expect(fits(m, null, at(5, 9_999), { sensitive: true })).toBe(true);
      expect(fits(m, null, at(5, 10_000), { sensitive: true })).toBe(false);
      // Sensitive volume does not stop the contract for non-sensitive categories.
      expect(fits(m, null, at(5, 50_000), { sensitive: false })).toBe(true);
      expect(fits(m, null, at(5), { ciio: true })).toBe(false);
    }
  });

  it('lets a security assessment cover any volume, CIIO included', () => {
    expect(fits('security_assessment', null, at(50_000_000, 5_000_000), { ciio: true })).toBe(true);
  });

  it('keeps the volume-independent exemptions regardless of volume', () => {
    for (const g of [
      'contract_necessity',
      'hr_management',
      'emergency',
      'collected_abroad',
    ] as const)
      expect(fits('exemption', g, at(5_000_000, 500_000), { sensitive: true })).toBe(true);
    expect(fits('exemption', null, at(0))).toBe(false);
  });
});

describe('requiredMechanisms', () => {
  it('follows the volume bands and the CIIO rule', () => {
    expect(requiredMechanisms(at(99_999), false)).toContain('exemption');
    expect(requiredMechanisms(at(100_000), false)).not.toContain('exemption');
    expect(requiredMechanisms(at(10, 1), false)).not.toContain('exemption');
    expect(requiredMechanisms(at(1_000_000), false)).toEqual(['security_assessment']);
    expect(requiredMechanisms(at(0, 10_000), false)).toEqual(['security_assessment']);
    expect(requiredMechanisms(at(1), true)).toEqual(['security_assessment']);
  });
});

describe('thresholdStates', () => {
  it('warns exactly at the configured share of each threshold', () => {
    const below = thresholdStates(at(79_999, 7_999), 80);
    expect(below.filter((t) => t.warning)).toEqual([]);
    const on = thresholdStates(at(80_000, 8_000), 80);
    expect(on.filter((t) => t.warning).map((t) => t.key)).toEqual([
      'non_sensitive_100k',
      'sensitive_10k',
    ]);
    const big = thresholdStates(at(800_000), 80);
    expect(big.find((t) => t.key === 'non_sensitive_1m')).toMatchObject({
      warning: true,
      reached: false,
      percent: 80,
    });
    expect(big.find((t) => t.key === 'non_sensitive_100k')?.reached).toBe(true);
  });
});

describe('transferYear', () => {
  it('counts from 1 January in China (UTC+8)', () => {
    expect(transferYear(new Date('2026-12-31T15:59:59.999Z'))).toBe(2026);
    expect(transferYear(new Date('2026-12-31T16:00:00.000Z'))).toBe(2027);
  });
});
