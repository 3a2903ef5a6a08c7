// The vocabulary of the consent ledger, shared by the banner API, the collection forms, rights
// requests, the guardian flow and marketing. research/consent-standards.md §5.

/** What a ledger record says. `acknowledge`: a notice was shown for a purpose not based on consent. */
export const CONSENT_DECISIONS = ['grant', 'deny', 'withdraw', 'acknowledge'] as const;
export type ConsentDecision = (typeof CONSENT_DECISIONS)[number];

/** How the decision was made. `gpc`/`dnt`: a browser signal denied without showing a banner. */
export const CONSENT_METHODS = [
  'form',
  'banner',
  'gpc',
  'dnt',
  'guardian',
  'api',
  'request',
  'unsubscribe',
] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/** The current state of one purpose for one person or visitor, derived from the ledger. */
export type ConsentState = 'granted' | 'denied' | 'withdrawn' | 'acknowledged' | 'none';

export const stateOf = (decision: ConsentDecision | undefined): ConsentState =>
  decision === undefined
    ? 'none'
    : decision === 'grant'
      ? 'granted'
      : decision === 'deny'
        ? 'denied'
        : decision === 'withdraw'
          ? 'withdrawn'
          : 'acknowledged';
