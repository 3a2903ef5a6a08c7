// Lawful grounds for refusing a request (placeholder until the module lands).
export const REFUSAL_GROUNDS = [
  'legal_obligation',
  'national_security',
  'public_interest',
  'criminal_justice',
  'malice_or_abuse',
  'protect_life_property',
  'harm_to_others',
  'trade_secret',
  'identity_not_verified',
  'statutory_retention',
] as const;
export type RefusalGround = (typeof REFUSAL_GROUNDS)[number];

export interface GroundInfo {
  /** 1–8 for the policy's eight exceptions; null for the two procedural grounds. */
  number: number | null;
  label: { 'zh-CN': string; en: string };
  /** Grounds 5, 7, 8: a second approver with the privacy-officer role and attached evidence. */
  needsSecondApprover: boolean;
}

export function groundInfo(_ground: RefusalGround): GroundInfo {
  throw new Error('grounds not built yet');
}
