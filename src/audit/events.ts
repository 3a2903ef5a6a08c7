// The audit vocabulary and the canonical bytes of an event. An event says who did what to which
// object with what outcome; it never carries a personal value (P-A4 in research/reliability.md):
// subjects are named by id, identifiers never appear, and `assertNoPersonalData` enforces it.

/** Every action Custos records. A new action is added here, so the vocabulary stays closed. */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'auth.locked',
  'authz.denied',
  'user.create',
  'user.update',
  'user.unlock',
  'token.create',
  'token.revoke',
  'controller.create',
  'controller.update',
  'controller.archive',
  'subject.create',
  'subject.read',
  'subject.list',
  'subject.search',
  'subject.record_add',
  'subject.reveal',
  'subject.erase',
  'keys.rotate_started',
  'keys.rotate_completed',
  'keys.auto_rotate',
  'audit.checkpoint',
  'audit.verify',
  'system.start',
  // data map
  'datamap.create',
  'datamap.update',
  'datamap.retire',
  'datamap.ropa_export',
  // retention
  'retention.hold_create',
  'retention.hold_release',
  'retention.run',
  'retention.subject_shred',
  // disclosure, law-enforcement and transfer-of-control registers
  'disclosure.create',
  'disclosure.update',
  'disclosure.deliver',
  'le_request.create',
  'le_request.update',
  'le_request.decide',
  'control_transfer.create',
  'control_transfer.update',
  // cross-border transfers and the export guard
  'transfer.create',
  'transfer.update',
  'transfer.approve',
  'transfer.revoke',
  'transfer.refused',
  'transfer.threshold_warning',
  // outbound messages
  'outbox.failed',
  // incidents
  'incident.create',
  'incident.update',
  'incident.contain',
  'incident.regulator_report',
  'incident.notice_decision',
  'incident.notify_persons',
  'incident.close',
  'incident.post_report',
  // impact assessments and the policy flags they raise
  'assessment.propose',
  'assessment.create',
  'assessment.update',
  'assessment.complete',
  'assessment.delete',
  'policy.flag_raise',
  // rights requests
  'request.submit',
  'request.verification_sent',
  'request.verify',
  'request.verify_failed',
  'request.transition',
  'request.assign',
  'request.note',
  'request.extend',
  'request.refuse',
  'request.fee',
  'request.fulfil',
  'request.forward',
  'request.controller_response',
  'request.download',
  'request.expire',
  // consent, collection, minors and marketing
  'consent.record',
  'consent.batch',
  'consent.verify',
  'consent.read',
  'consent.list',
  'consent.receipt',
  'consent.config_update',
  'policy.publish',
  'inquiry.submit',
  'inquiry.read',
  'inquiry.delete',
  'guardian.code_sent',
  'guardian.verify',
  'guardian.verify_failed',
  'guardian.decide',
  'guardian.expire',
  'marketing.send',
  'marketing.suppressed',
  'marketing.unsubscribe',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

export type ActorType = 'user' | 'token' | 'system' | 'cli' | 'anonymous';
export interface Actor {
  type: ActorType;
  id: string | null;
}

export type DetailValue = string | number | boolean | null | readonly string[];

export interface AuditEvent {
  actor: Actor;
  action: AuditAction;
  target?: { type: string; id: string | null } | undefined;
  controllerId?: string | null | undefined;
  outcome: 'success' | 'failure' | 'denied';
  details?: Record<string, DetailValue> | undefined;
}

/** A personal value found where none may be; a programming error, so it is thrown loudly. */
export class PersonalDataInAuditError extends Error {}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const EMAIL = /[^\s@]+@[^\s@]+\.[^\s@]+/;
// 11+ digits in a row: a mainland mobile number, a resident ID, a card number.
const LONG_DIGITS = /\d[\d\s-]{9,}\d/;

/** Does free text look like it carries an e-mail address, phone number or ID number? */
export function looksPersonal(value: string): boolean {
  if (UUID.test(value)) return false;
  return EMAIL.test(value) || (LONG_DIGITS.test(value) && value.replace(/\D/g, '').length >= 11);
}

/** Refuses details that look like e-mail addresses, phone numbers or ID numbers. */
export function assertNoPersonalData(event: AuditEvent): void {
  const strings: string[] = [
    event.target?.id ?? '',
    event.actor.id ?? '',
    event.controllerId ?? '',
  ];
  for (const value of Object.values(event.details ?? {})) {
    if (typeof value === 'string') strings.push(value);
    else if (Array.isArray(value)) strings.push(...(value as readonly string[]));
  }
  for (const s of strings) {
    if (looksPersonal(s))
      throw new PersonalDataInAuditError(
        `audit event ${event.action} carries what looks like personal data`,
      );
  }
}

/**
 * The canonical bytes of an event (the Merkle leaf): JSON with a fixed key order and sorted detail
 * keys, so the same event always hashes the same on every platform.
 */
export function canonicalEntry(at: string, event: AuditEvent): Buffer {
  const details: Record<string, DetailValue> = {};
  for (const key of Object.keys(event.details ?? {}).sort()) {
    const v = event.details?.[key];
    if (v !== undefined) details[key] = v;
  }
  return Buffer.from(
    JSON.stringify({
      v: 1,
      at,
      actor: { type: event.actor.type, id: event.actor.id },
      action: event.action,
      target: event.target ? { type: event.target.type, id: event.target.id } : null,
      controller: event.controllerId ?? null,
      outcome: event.outcome,
      details,
    }),
    'utf8',
  );
}

/** The parsed form of canonical entry bytes, as presented by the API. */
export interface StoredEntry {
  v: 1;
  at: string;
  actor: Actor;
  action: AuditAction;
  target: { type: string; id: string | null } | null;
  controller: string | null;
  outcome: AuditEvent['outcome'];
  details: Record<string, DetailValue>;
}

export function parseEntry(entry: Buffer): StoredEntry {
  return JSON.parse(entry.toString('utf8')) as StoredEntry;
}
