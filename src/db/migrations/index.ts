// The ordered list of migrations. Listed statically (not read from the folder) so the compiled
// build and the TypeScript sources behave the same. Append only.
import type { Migration } from 'kysely';
import * as foundation from './2026-11-28T00-00_foundation.js';
import * as datamap from './2026-11-28T01-00_datamap.js';
import * as retention from './2026-11-28T01-10_retention.js';
import * as registers from './2026-11-28T01-20_registers.js';
import * as notifyIncidents from './2026-11-28T01-30_notify_incidents.js';
import * as assessments from './2026-11-28T01-40_assessments.js';
import * as requests from './2026-11-28T02-00_requests.js';
import * as fulfilment from './2026-11-28T02-10_fulfilment.js';
import * as forwarding from './2026-11-28T02-20_forwarding.js';
import * as consent from './2026-11-28T03-00_consent.js';
import * as disclosureConsent from './2026-11-28T03-10_disclosure_consent.js';
import * as consentAuditSeq from './2026-11-28T23-00_consent_audit_seq.js';

export const MIGRATIONS: Record<string, Migration> = {
  '2026-11-28T00-00_foundation': foundation,
  '2026-11-28T01-00_datamap': datamap,
  '2026-11-28T01-10_retention': retention,
  '2026-11-28T01-20_registers': registers,
  '2026-11-28T01-30_notify_incidents': notifyIncidents,
  '2026-11-28T01-40_assessments': assessments,
  '2026-11-28T02-00_requests': requests,
  '2026-11-28T02-10_fulfilment': fulfilment,
  '2026-11-28T02-20_forwarding': forwarding,
  '2026-11-28T03-00_consent': consent,
  '2026-11-28T03-10_disclosure_consent': disclosureConsent,
  '2026-11-28T23-00_consent_audit_seq': consentAuditSeq,
};
