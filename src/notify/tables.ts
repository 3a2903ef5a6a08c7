// Row types of the outbox (created by migrations/2026-11-28T01-30_notify_incidents.ts; the webhook
// channel and its signers by migrations/2026-11-28T02-20_forwarding.ts).

export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** How a message leaves: a mail over SMTP, or a signed JSON POST to a controller's webhook. */
export const OUTBOX_CHANNELS = ['email', 'webhook'] as const;
export type OutboxChannel = (typeof OUTBOX_CHANNELS)[number];

/** Languages of every message and public text (DESIGN.md: Simplified Chinese and English). */
export const LANGS = ['zh-CN', 'en'] as const;
export type Lang = (typeof LANGS)[number];

export interface OutboxTable {
  id: string;
  channel: OutboxChannel;
  /** The mail template, or for a webhook the event name it carries (e.g. `request.forwarded`). */
  template: string;
  lang: Lang;
  /** The person the message is about, whose data key seals it; null for a per-message key. */
  subject_id: string | null;
  /** Recipient address or webhook URL, sealed; wiped once sent. */
  to_enc: Buffer | null;
  /** Template parameters or the webhook's JSON body, sealed; wiped once sent. */
  params_enc: Buffer | null;
  /** The same key never queues a second message: repeating the causing action is harmless. */
  dedupe_key: string;
  status: OutboxStatus;
  attempts: number;
  next_attempt_at: string;
  /** A sender's claim; once it passes, another sender may take the message again. */
  lease_until: string | null;
  /** An SMTP reply code, HTTP status or error class only, never a server's text or a URL. */
  last_error: string | null;
  message_id: string | null;
  created_at: string;
  sent_at: string | null;
  /** Webhooks: the signer whose current secret signs the body at delivery time. */
  signer_id: string | null;
}

/**
 * A secret that signs outbound webhooks, sealed with a data key of its own (owner `outbox`, id =
 * the signer's id). Kept apart from the messages so a rotation also re-signs messages still queued.
 */
export interface WebhookSignersTable {
  id: string;
  secret_enc: Buffer;
  created_at: string;
  rotated_at: string | null;
}

export interface NotifyTables {
  outbox: OutboxTable;
  webhook_signers: WebhookSignersTable;
}
