// Where each business client receives forwarded requests: a mailbox, a webhook (signed with a
// secret only the client and Custos know), and the response token the client answers with. The
// secret and the token are shown once, when created or rotated; the database keeps the secret
// sealed and the token as a SHA-256 digest only. Scoped like every controller read.
import { createHash, randomBytes } from 'node:crypto';
import { actorOf, type Principal } from '../../access/principal.js';
import type { Config } from '../../config.js';
import type { AppContext } from '../../context.js';
import { getController } from '../../controllers/service.js';
import { forUpdate, transaction, type Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { conflict, invalidField } from '../../errors.js';
import {
  createWebhookSigner,
  destroyWebhookSigner,
  rotateWebhookSigner,
} from '../../notify/outbox.js';
import { presentEndpoints, type EndpointsView } from './present.js';
import type { EndpointsBody } from './schema.js';

/** Response tokens read `crt_<43 base64url chars>`: 256 bits from the CSPRNG. */
export const newResponseToken = (): string => `crt_${randomBytes(32).toString('base64url')}`;

/** SHA-256 of a response token; with 256 random bits a plain hash suffices at rest. */
export const responseTokenHash = (token: string): Buffer =>
  createHash('sha256').update(token, 'utf8').digest();

/**
 * A webhook URL Custos may POST personal data to: absolute, https (plain http only outside
 * production, for local receivers), no credentials (the signature authenticates us, and a password
 * in a URL ends up in proxies' logs), no fragment.
 */
export function checkWebhookUrl(raw: string, env: Config['env']): string {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw invalidField('/webhookUrl', 'must be an absolute URL');
  }
  const httpAllowed = env === 'test' || env === 'development';
  if (url.protocol !== 'https:' && !(httpAllowed && url.protocol === 'http:'))
    throw invalidField(
      '/webhookUrl',
      httpAllowed ? 'must use https (or http outside production)' : 'must use https',
    );
  if (url.username !== '' || url.password !== '')
    throw invalidField('/webhookUrl', 'must not carry a user name or password');
  if (url.hash !== '') throw invalidField('/webhookUrl', 'must not have a fragment');
  return url.toString();
}

async function loadEndpoint(
  ctx: AppContext,
  trx: Trx,
  controllerId: string,
): Promise<Row<'controller_endpoints'> | undefined> {
  return forUpdate(
    ctx.store,
    trx.selectFrom('controller_endpoints').selectAll().where('controller_id', '=', controllerId),
  ).executeTakeFirst();
}

/** The endpoints of a controller the caller may see (404 otherwise); never a secret. */
export async function getEndpoints(
  ctx: AppContext,
  caller: Principal,
  controllerId: string,
): Promise<EndpointsView> {
  const controller = await getController(ctx.store.db, caller, controllerId);
  const row = await ctx.store.db
    .selectFrom('controller_endpoints')
    .selectAll()
    .where('controller_id', '=', controllerId)
    .executeTakeFirst();
  // `self` never forwards: there is no mailbox to show for it.
  return presentEndpoints(
    controller.builtin === 1 ? { ...controller, contact_email: null } : controller,
    row,
  );
}

export interface EndpointsResult extends EndpointsView {
  /** Present only when created or rotated by this call: store it now, it is not shown again. */
  webhookSecret?: string;
  responseToken?: string;
}

/**
 * Sets where a controller receives forwarded requests. The first call also issues its response
 * token; setting a webhook the first time issues its signing secret. The built-in `self` has none.
 */
export async function putEndpoints(
  ctx: AppContext,
  caller: Principal,
  controllerId: string,
  input: EndpointsBody,
): Promise<EndpointsResult> {
  const webhookUrl =
    input.webhookUrl === undefined || input.webhookUrl === null
      ? input.webhookUrl
      : checkWebhookUrl(input.webhookUrl, ctx.config.env);
  const forwardEmail =
    input.forwardEmail === undefined || input.forwardEmail === null
      ? input.forwardEmail
      : input.forwardEmail.trim();
  return transaction(ctx.store, async (trx) => {
    const controller = await getController(trx, caller, controllerId);
    if (controller.builtin === 1)
      throw conflict('The built-in controller "self" works its own requests and has no endpoints.');
    const existing = await loadEndpoint(ctx, trx, controllerId);
    const now = ctx.clock.now().toISOString();
    const nextUrl = webhookUrl === undefined ? (existing?.webhook_url ?? null) : webhookUrl;
    if (input.rotateSecret === true && nextUrl === null)
      throw invalidField('/rotateSecret', 'needs a webhook URL to sign for');

    const changed: string[] = [];
    const issued: string[] = [];
    const result: { webhookSecret?: string; responseToken?: string } = {};

    let signerId = existing?.webhook_signer_id ?? null;
    let dropSigner: string | null = null;
    if (nextUrl !== null && signerId === null) {
      const signer = await createWebhookSigner(ctx, trx);
      signerId = signer.id;
      result.webhookSecret = signer.secret;
      issued.push('webhook_secret');
    } else if (nextUrl !== null && signerId !== null && input.rotateSecret === true) {
      result.webhookSecret = await rotateWebhookSigner(ctx, trx, signerId);
      issued.push('webhook_secret');
    } else if (nextUrl === null && signerId !== null) {
      // Without a webhook nobody verifies signatures: the secret is destroyed, not kept around.
      dropSigner = signerId;
      signerId = null;
    }

    let tokenHash = existing?.response_token_hash ?? null;
    if (tokenHash === null || input.rotateResponseToken === true) {
      const token = newResponseToken();
      tokenHash = responseTokenHash(token);
      result.responseToken = token;
      issued.push('response_token');
    }

    const row: Row<'controller_endpoints'> = {
      controller_id: controllerId,
      forward_email: forwardEmail === undefined ? (existing?.forward_email ?? null) : forwardEmail,
      webhook_url: nextUrl,
      webhook_signer_id: signerId,
      response_token_hash: tokenHash,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    if (row.forward_email !== (existing?.forward_email ?? null)) changed.push('forward_email');
    if (row.webhook_url !== (existing?.webhook_url ?? null)) changed.push('webhook_url');

    if (existing === undefined) {
      await trx.insertInto('controller_endpoints').values(row).execute();
    } else {
      await trx
        .updateTable('controller_endpoints')
        .set({
          forward_email: row.forward_email,
          webhook_url: row.webhook_url,
          webhook_signer_id: row.webhook_signer_id,
          response_token_hash: row.response_token_hash,
          updated_at: now,
        })
        .where('controller_id', '=', controllerId)
        .execute();
    }
    if (dropSigner !== null) await destroyWebhookSigner(ctx, trx, dropSigner);

    await ctx.audit.record(trx, {
      actor: actorOf(caller),
      action: 'controller.update',
      target: { type: 'controller', id: controllerId },
      controllerId,
      outcome: 'success',
      details: {
        kind: 'endpoints',
        created: existing === undefined,
        fields: changed,
        issued,
        webhookRemoved: dropSigner !== null,
      },
    });
    return { ...presentEndpoints(controller, row), ...result };
  });
}
