// What leaves the server about a request, for staff: an allow-list. Contact values are masked
// unless revealed (pi.reveal, with a reason, audited); the person's own words only when revealed.
import type { Row } from '../db/types.js';
import { maskValue } from '../desensitize/mask.js';
import { groundInfo, type RefusalGround } from './grounds.js';
import type { FulfilOutcome } from './fulfil/fulfil.js';
import type { Contact } from './seal.js';

const FINAL = new Set(['fulfilled', 'refused', 'withdrawn', 'expired']);

/** Past its due date (or its hard alarm) and not answered. */
export const isOverdue = (
  row: Pick<Row<'requests'>, 'status' | 'due_at' | 'alarm_at'>,
  now: string,
) =>
  !FINAL.has(row.status) &&
  row.status !== 'forwarded' &&
  ((row.due_at !== null && row.due_at < now) || (row.alarm_at !== null && row.alarm_at < now));

/** One row of the queue. */
export function presentSummary(row: Row<'requests'>, now: string) {
  return {
    id: row.id,
    parentId: row.parent_id,
    controllerId: row.controller_id,
    type: row.type,
    channel: row.channel,
    status: row.status,
    receivedAt: row.received_at,
    verifiedAt: row.verified_at,
    dueAt: row.due_at,
    alarmAt: row.alarm_at,
    overdue: isOverdue(row, now),
    assignedTo: row.assigned_to,
    feeStatus: row.fee_status,
    refusalPending: row.refusal_ground !== null && row.status !== 'refused',
  };
}

const maskContact = (c: Contact): Contact => ({
  name: c.name === null ? null : maskValue('name', c.name),
  email: c.email === null ? null : maskValue('email', c.email),
  phone: c.phone === null ? null : maskValue('phone', c.phone),
});

/** One request in full; `reveal` shows the contact and the person's words in clear. */
export function presentRequest(
  row: Row<'requests'>,
  opened: { contact: Contact; details: string | null },
  now: string,
  options: { reveal: boolean },
) {
  const ground = row.refusal_ground as RefusalGround | null;
  return {
    ...presentSummary(row, now),
    subjectId: row.subject_id,
    lang: row.lang,
    contact: options.reveal ? opened.contact : maskContact(opened.contact),
    hasDetails: opened.details !== null,
    ...(options.reveal ? { details: opened.details } : {}),
    verificationChannel: row.verification_channel,
    extension:
      row.extended_at === null ? null : { at: row.extended_at, reason: row.extension_reason },
    refusal:
      ground === null
        ? null
        : {
            ground,
            number: groundInfo(ground).number,
            label: groundInfo(ground).label,
            reason: row.refusal_reason,
            evidenceRef: row.refusal_evidence_ref,
            pending: row.status !== 'refused',
            needsSecondApprover: groundInfo(ground).needsSecondApprover,
            proposedBy: row.refusal_proposed_by,
            proposedAt: row.refusal_proposed_at,
            approvedBy: row.refusal_approved_by,
          },
    fee: {
      status: row.fee_status,
      amountCents: row.fee_amount_cents,
      costBasis: row.fee_cost_basis,
      approvedBy: row.fee_approved_by,
    },
    forwardedAt: row.forwarded_at,
    controllerResponseAt: row.controller_response_at,
    outcome: row.outcome === null ? null : (JSON.parse(row.outcome) as FulfilOutcome),
    closedAt: row.closed_at,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function presentEvent(row: Row<'request_events'>) {
  return {
    id: row.id,
    at: row.at,
    actor: { type: row.actor_type, id: row.actor_id },
    action: row.action,
    from: row.from_status,
    to: row.to_status,
    reason: row.reason,
    details: row.details === null ? null : (JSON.parse(row.details) as Record<string, unknown>),
  };
}
