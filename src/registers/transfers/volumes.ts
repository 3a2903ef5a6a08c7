// Cross-border volumes and the mechanism they require, after the CAC's 2024 Provisions on
// Promoting and Regulating Cross-Border Data Flows: persons are counted from 1 January of the
// current year, distinct, split into non-sensitive and sensitive PI.
//   - fewer than 100,000 persons, no sensitive PI, not a CIIO: exempt (small_volume);
//   - 100,000 to under 1,000,000 non-sensitive, or under 10,000 sensitive: standard contract or
//     certification;
//   - 1,000,000 non-sensitive or 10,000 sensitive and above, or any PI from a CIIO: security
//     assessment.
// The other exemptions (contract necessity, HR management, emergency, PI collected abroad) do
// not depend on volume and apply to every handler (Provisions arts. 4–5).
import { sql } from 'kysely';
import type { Db, Trx } from '../../db/store.js';
import type { ExemptionGround, TransferMechanism } from '../tables.js';

export const SMALL_VOLUME_LIMIT = 100_000;
export const NON_SENSITIVE_ASSESSMENT_LIMIT = 1_000_000;
export const SENSITIVE_ASSESSMENT_LIMIT = 10_000;

export interface Volume {
  nonSensitive: number;
  sensitive: number;
}

export interface Threshold {
  key: 'non_sensitive_100k' | 'non_sensitive_1m' | 'sensitive_10k';
  population: 'non_sensitive' | 'sensitive';
  limit: number;
  /** What the handler needs once this many persons have gone abroad this year. */
  requires: readonly TransferMechanism[];
  rule: string;
}

export const THRESHOLDS: readonly Threshold[] = [
  {
    key: 'non_sensitive_100k',
    population: 'non_sensitive',
    limit: SMALL_VOLUME_LIMIT,
    requires: ['standard_contract', 'certification', 'security_assessment'],
    rule: 'From 100,000 persons (non-sensitive PI) a year the small-volume exemption ends: a standard contract or certification is needed.',
  },
  {
    key: 'non_sensitive_1m',
    population: 'non_sensitive',
    limit: NON_SENSITIVE_ASSESSMENT_LIMIT,
    requires: ['security_assessment'],
    rule: 'From 1,000,000 persons (non-sensitive PI) a year a CAC security assessment is needed.',
  },
  {
    key: 'sensitive_10k',
    population: 'sensitive',
    limit: SENSITIVE_ASSESSMENT_LIMIT,
    requires: ['security_assessment'],
    rule: 'From 10,000 persons (sensitive PI) a year a CAC security assessment is needed.',
  },
];

const BEIJING_OFFSET_MS = 8 * 3_600_000;

/** The calendar year in China (UTC+8, no daylight saving): counting restarts on 1 January there. */
export function transferYear(at: Date): number {
  return new Date(at.getTime() + BEIJING_OFFSET_MS).getUTCFullYear();
}

/** Why a mechanism does not cover a category at a volume, or null when it does. */
export function mechanismShortfall(
  mechanism: TransferMechanism,
  ground: ExemptionGround | null,
  options: { ciio: boolean; sensitive: boolean; volume: Volume },
): string | null {
  const { ciio, sensitive, volume } = options;
  switch (mechanism) {
    case 'security_assessment':
      return null;
    case 'standard_contract':
    case 'certification': {
      const name = mechanism === 'standard_contract' ? 'a standard contract' : 'certification';
      if (ciio) return `a CIIO needs a security assessment, not ${name}`;
      if (sensitive && volume.sensitive >= SENSITIVE_ASSESSMENT_LIMIT)
        return `${volume.sensitive} persons' sensitive PI this year needs a security assessment, not ${name}`;
      if (!sensitive && volume.nonSensitive >= NON_SENSITIVE_ASSESSMENT_LIMIT)
        return `${volume.nonSensitive} persons' PI this year needs a security assessment, not ${name}`;
      return null;
    }
    case 'exemption':
      switch (ground) {
        case 'small_volume':
          if (ciio) return 'the small-volume exemption does not apply to a CIIO';
          if (sensitive) return 'the small-volume exemption never covers sensitive PI';
          if (volume.nonSensitive >= SMALL_VOLUME_LIMIT)
            return `the small-volume exemption stops below ${SMALL_VOLUME_LIMIT} persons a year (${volume.nonSensitive} this year)`;
          return null;
        case 'contract_necessity':
        case 'hr_management':
        case 'emergency':
        case 'collected_abroad':
          return null;
        case null:
          return 'an exemption needs a ground';
        default:
          return ground satisfies never;
      }
    default:
      return mechanism satisfies never;
  }
}

/** The mechanisms a handler needs at a volume (for the volumes report). */
export function requiredMechanisms(volume: Volume, ciio: boolean): readonly TransferMechanism[] {
  if (
    ciio ||
    volume.nonSensitive >= NON_SENSITIVE_ASSESSMENT_LIMIT ||
    volume.sensitive >= SENSITIVE_ASSESSMENT_LIMIT
  )
    return ['security_assessment'];
  if (volume.nonSensitive >= SMALL_VOLUME_LIMIT || volume.sensitive > 0)
    return ['standard_contract', 'certification', 'security_assessment'];
  return ['exemption', 'standard_contract', 'certification', 'security_assessment'];
}

export interface ThresholdState {
  key: Threshold['key'];
  population: Threshold['population'];
  limit: number;
  persons: number;
  /** Share of the limit reached, in percent (one decimal). */
  percent: number;
  reached: boolean;
  warning: boolean;
  requires: readonly TransferMechanism[];
  rule: string;
}

/** Each threshold at a volume; `warning` once `warnPercent` of it is reached. */
export function thresholdStates(volume: Volume, warnPercent: number): ThresholdState[] {
  return THRESHOLDS.map((t) => {
    const persons = t.population === 'sensitive' ? volume.sensitive : volume.nonSensitive;
    return {
      key: t.key,
      population: t.population,
      limit: t.limit,
      persons,
      percent: Math.floor((persons * 1000) / t.limit) / 10,
      reached: persons >= t.limit,
      // Integer arithmetic: 80 % of 10,000 is exactly 8,000, with no floating-point edge.
      warning: persons * 100 >= t.limit * warnPercent,
      requires: t.requires,
      rule: t.rule,
    };
  });
}

/** Distinct persons sent abroad in a year, handler-wide or for one transfer. */
export async function countPersons(
  db: Db | Trx,
  year: number,
  transferId?: string,
): Promise<Volume> {
  let q = db
    .selectFrom('transfer_persons')
    .select(['sensitive', sql<number>`count(distinct subject_id)`.as('n')])
    .where('year', '=', year)
    .groupBy('sensitive');
  if (transferId !== undefined) q = q.where('transfer_id', '=', transferId);
  const rows = await q.execute();
  const volume: Volume = { nonSensitive: 0, sensitive: 0 };
  for (const r of rows) {
    if (Number(r.sensitive) === 1) volume.sensitive = Number(r.n);
    else volume.nonSensitive = Number(r.n);
  }
  return volume;
}
