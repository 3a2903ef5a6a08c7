// Row types of the outbox (created by migrations/2026-11-28T01-30_notify_incidents.ts).

export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** Languages of every message and public text (DESIGN.md: Simplified Chinese and English). */
export const LANGS = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGS)[number];

export interface OutboxTable {
  id: string;
  channel: 'email';
  template: string;
  lang: Lang;
  /** The person the message is about, whose data key seals it; null for a per-message key. */
  subject_id: string | null;
  /** Recipient address, sealed; wiped once sent. */
  to_enc: Buffer | null;
  /** Template parameters (JSON), sealed; wiped once sent. */
  params_enc: Buffer | null;
  /** The same key never queues a second message: repeating the causing action is harmless. */
  dedupe_key: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  /** A sender's claim; once it passes, another sender may take the message again. */
  lease_until: string | null;
  /** An SMTP reply code or error class only, never the server's text (it may echo the address). */
  last_error: string | null;
  message_id: string | null;
  created_at: string;
  sent_at: string | null;
}

export interface NotifyTables {
  outbox: OutboxTable;
}
