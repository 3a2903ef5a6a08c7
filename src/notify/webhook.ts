// Webhook delivery on its own: the signature scheme a receiver implements, and one signed HTTPS
// POST per claimed outbox row. The outbox loop in deliver.ts claims webhooks with mail and hands
// each one here; the sent/retry/failed bookkeeping is shared with mail in attempts.ts.
//
// WEBHOOK SIGNATURES — how a receiver checks that a POST comes from Custos:
//   headers   content-type: application/json
//             x-custos-delivery: <outbox id>   (the same on every retry of one message: dedupe on it)
//             x-custos-event: <event name>     (also in the body as `event`)
//             x-custos-signature: t=<unix seconds>, v1=<hex>
//   v1        = lower-case hex of HMAC-SHA256(key, `${t}.${rawBody}`), where key is the UTF-8 bytes
//               of the whole secret string as it was shown once (`whsec_…`) and rawBody the exact
//               bytes received (verify before parsing: re-serialised JSON may differ).
//   receiver  recomputes v1 and compares in constant time (e.g. crypto.timingSafeEqual), and
//             rejects a timestamp more than 5 minutes from its own clock, so a captured delivery
//             cannot be replayed later. Several `v1=` values may appear while a secret rotates;
//             accept the message when any one matches. Answer 2xx once the message is stored;
//             anything else (or no answer within 10 s) is retried with back-off.
import { createHmac } from 'node:crypto';
import type { AppContext } from '../context.js';
import { constantTimeEqual } from '../crypto/primitives.js';
import {
  errorClass,
  markFailed,
  markSent,
  openClaimed,
  retryOrFail,
  type Claimed,
  type Outcome,
} from './attempts.js';
import { openWebhookSecret } from './outbox.js';

/** One webhook POST may take this long, connection included. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** How far a receiver should let a signature's timestamp be from its own clock. */
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/**
 * The `x-custos-signature` value for a body sent at unix time `t` (scheme at the top of this file).
 */
export function signWebhook(secret: string, t: number, body: string): string {
  const v1 = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${t}.${body}`).digest('hex');
  return `t=${t}, v1=${v1}`;
}

/**
 * What a receiver does with `x-custos-signature` (kept here as the reference implementation of the
 * scheme): true when one `v1` matches and `t` is within `toleranceSeconds` of `nowSeconds`.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  nowSeconds: number,
  toleranceSeconds = WEBHOOK_TOLERANCE_SECONDS,
): boolean {
  const parts = header.split(',').map((p) => p.trim());
  const t = Number(parts.find((p) => p.startsWith('t='))?.slice(2));
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, t, body).split('v1=')[1]!, 'hex');
  return parts
    .filter((p) => p.startsWith('v1='))
    .some((p) => {
      const given = Buffer.from(p.slice(3), 'hex');
      return given.length === expected.length && constantTimeEqual(given, expected);
    });
}

/** A failed POST reduced to what may be stored and logged: an HTTP status or an error class. */
function webhookErrorClass(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return 'timeout';
  if (error instanceof Error && error.cause !== undefined) {
    const cause = errorClass(error.cause);
    if (cause !== 'error') return cause;
  }
  return errorClass(error);
}

/** Sends one claimed webhook row as a signed POST and records the outcome. */
export async function deliverWebhook(ctx: AppContext, row: Claimed): Promise<Outcome> {
  const hook = await openClaimed(ctx, row);
  if (hook === null) {
    await markFailed(ctx, row, 'key_destroyed', { wipe: true });
    return 'failed';
  }
  const secret =
    row.signer_id === null ? null : await openWebhookSecret(ctx, ctx.store.db, row.signer_id);
  if (secret === null) {
    // The receiver's webhook was removed: nobody could check a signature any more.
    await markFailed(ctx, row, 'no_signer', { wipe: true });
    return 'failed';
  }
  const body = JSON.stringify(hook.params);
  const t = Math.floor(ctx.clock.now().getTime() / 1000);
  let error: string;
  try {
    const res = await fetch(hook.to, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Custos-Webhook/1',
        'x-custos-delivery': row.id,
        'x-custos-event': row.template,
        'x-custos-signature': signWebhook(secret, t, body),
      },
      body,
      // A redirect would send the signed body somewhere nobody configured: it counts as a failure.
      redirect: 'manual',
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) {
      await markSent(ctx, row, row.id);
      return 'sent';
    }
    error = `http ${res.status}`;
  } catch (e) {
    error = webhookErrorClass(e);
  }
  return retryOrFail(ctx, row, error);
}
