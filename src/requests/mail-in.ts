// Requests by e-mail: the inbound SMTP listener (placeholder until the module lands).
import type { AppContext } from '../context.js';

export interface MailIn {
  port: number;
  close(): Promise<void>;
}

/** Starts the listener on `ctx.config.mailInPort`; null when that setting is unset. */
export async function startMailIn(_ctx: AppContext): Promise<MailIn | null> {
  return null;
}
