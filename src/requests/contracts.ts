// The vocabulary of rights requests, shared by intake, workflow, channels and fulfilment.
// PIPL arts. 44–50; research/pipl-requirements.md §1.

export const REQUEST_TYPES = [
  'access',
  'copy',
  'portability',
  'correction',
  'deletion',
  'withdraw_consent',
  'restrict',
  'explain',
  'account_cancellation',
  'deceased_relative',
  'complaint',
] as const;
export type RequestType = (typeof REQUEST_TYPES)[number];

export const REQUEST_STATES = [
  'received',
  'verifying',
  'open',
  'in_progress',
  'fulfilled',
  'refused',
  'forwarded',
  'withdrawn',
  'expired',
] as const;
export type RequestState = (typeof REQUEST_STATES)[number];

export const REQUEST_CHANNELS = ['web', 'api', 'email'] as const;
export type RequestChannel = (typeof REQUEST_CHANNELS)[number];

export const LANGS = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGS)[number];

/** What a person submits, from any channel. Personal values here are sealed at rest. */
export interface SubmitInput {
  type: RequestType;
  channel: RequestChannel;
  lang: Lang;
  name?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  /** The request in the person's own words. */
  details?: string | undefined;
  /** A business client's slug, when the person says whose product the request is about. */
  controller?: string | undefined;
}

export interface SubmitResult {
  id: string;
  /** Shown once to the person; only its hash is stored. */
  statusToken: string;
  status: RequestState;
  /** Where the verification code went (`email` / `sms`), or null when none was needed. */
  verification: 'email' | 'sms' | null;
  /** True when the same request was already open: the existing one is returned. */
  duplicate: boolean;
}
