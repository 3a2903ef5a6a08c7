// Row types of the processor-mode forwarding tables (migration 2026-11-28T02-20_forwarding.ts).

/**
 * Where a business client (controller) receives the requests forwarded to it, and the token it
 * answers them with. The built-in controller `self` has none: its requests are worked here.
 */
export interface ControllerEndpointsTable {
  controller_id: string;
  /** Mailbox for forwarded requests; when null, the controller's contact e-mail is used. */
  forward_email: string | null;
  /** HTTPS endpoint receiving signed JSON notices; null when the controller takes mail only. */
  webhook_url: string | null;
  /** The outbox signer whose secret signs this controller's webhooks (sealed there, never here). */
  webhook_signer_id: string | null;
  /** SHA-256 of the controller's response token; the token itself is shown once. */
  response_token_hash: Buffer | null;
  created_at: string;
  updated_at: string;
}

export interface ForwardTables {
  controller_endpoints: ControllerEndpointsTable;
}
