// Allow-lists of what leaves the server about register entries. Entries hold no personal values:
// people appear only as subject ids.
import type { Row } from '../../db/types.js';

const list = (json: string | null): string[] =>
  json === null ? [] : (JSON.parse(json) as string[]);

export function presentDisclosure(
  row: Row<'disclosures'>,
  recipient?: Pick<Row<'recipients'>, 'name' | 'kind' | 'country'>,
) {
  return {
    id: row.id,
    controllerId: row.controller_id,
    recipientId: row.recipient_id,
    recipient: recipient
      ? { name: recipient.name, kind: recipient.kind, country: recipient.country }
      : undefined,
    purpose: row.purpose,
    categories: list(row.categories),
    legalBasis: row.legal_basis,
    separateConsentRef: row.separate_consent_ref,
    consentPurpose: row.consent_purpose,
    personsCount: row.persons_count,
    disclosedAt: row.disclosed_at,
    leRequestId: row.le_request_id,
    transferId: row.transfer_id,
    note: row.note,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function presentLeRequest(row: Row<'le_requests'>) {
  return {
    id: row.id,
    controllerId: row.controller_id,
    authority: row.authority,
    authorityCountry: row.authority_country,
    foreign: row.authority_country !== 'CN',
    instrumentRef: row.instrument_ref,
    receivedAt: row.received_at,
    scopeRequested: row.scope_requested,
    subjectIds: list(row.subject_ids),
    status: row.status,
    decisionReason: row.decision_reason,
    disclosedCategories: row.disclosed_categories === null ? null : list(row.disclosed_categories),
    disclosedSummary: row.disclosed_summary,
    competentApprovalRef: row.competent_approval_ref,
    decidedAt: row.decided_at,
    disclosureId: row.disclosure_id,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function presentControlTransfer(row: Row<'control_transfers'>) {
  return {
    id: row.id,
    controllerId: row.controller_id,
    kind: row.kind,
    counterparty: row.counterparty,
    counterpartyCountry: row.counterparty_country,
    effectiveAt: row.effective_at,
    categories: list(row.categories),
    personsCount: row.persons_count,
    systems: list(row.systems),
    obligationsNote: row.obligations_note,
    notificationRef: row.notification_ref,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
