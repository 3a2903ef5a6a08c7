// Processor mode (PIPL art. 21; research/pipl-requirements.md §10.3): when the person's data is held
// for a business client, that client is the handler who decides the request, and Custos, its
// processor, passes the request on without delay and tells the person whom to deal with.
//
// Called by intake inside the verification transaction, once the person's identity is confirmed:
//   - nobody but `self` holds data               → nothing happens here; the request is worked here
//   - one business client holds it (or the person
//     named one that holds nothing of theirs)     → this request is forwarded to that client
//   - several holders (clients, or self + clients) → one child request per holder, the parent stays
//                                                   open as the umbrella; self's child is worked
//                                                   here, each client's child is forwarded
// A client with no mailbox, no contact e-mail and no webhook cannot be reached: its request stays
// open for staff, with an event saying so.
import { createHash, randomBytes } from 'node:crypto';
import type { AppContext } from '../../context.js';
import { forUpdate, type Trx } from '../../db/store.js';
import { newId } from '../../db/ids.js';
import type { Row } from '../../db/types.js';
import { enqueueMail, enqueueWebhook } from '../../notify/outbox.js';
import { appendEvent, SYSTEM, transition } from '../events.js';
import { mailPerson, referenceOf } from '../notices.js';
import { openRequest, sealContact, sealDetails, type OpenedRequest } from '../seal.js';

export interface Routing {
  /** True when the request itself was forwarded (status `forwarded`). */
  forwarded: boolean;
  /** Ids of per-controller child requests created for a request spanning several controllers. */
  children: string[];
}

/** The event name of the webhook that carries a forwarded request. */
export const FORWARD_EVENT = 'request.forwarded';

/** Where a controller answers a forwarded request (token-authenticated; see respond.ts). */
export const respondUrlOf = (ctx: AppContext, requestId: string): string =>
  `${ctx.config.baseUrl.replace(/\/$/, '')}/api/v1/requests/${requestId}/controller-response`;

/**
 * The controllers holding data on the person, each with the matching subjects: found through the
 * blind indexes of the e-mail and phone the person gave (nothing is decrypted). A person who named
 * a business client is matched within that client's data only, as intake does.
 */
async function holdersOf(trx: Trx, row: Row<'requests'>): Promise<Map<string, string[]>> {
  const keys: Array<{ kind: string; digest: Buffer }> = [];
  if (row.email_digest !== null) keys.push({ kind: 'email', digest: row.email_digest });
  if (row.phone_digest !== null) keys.push({ kind: 'phone', digest: row.phone_digest });
  const holders = new Map<string, string[]>();
  if (keys.length === 0) return holders;
  let q = trx
    .selectFrom('subject_identifiers')
    .innerJoin('subjects', 'subjects.id', 'subject_identifiers.subject_id')
    .select(['subjects.controller_id', 'subjects.id'])
    .distinct()
    .where('subjects.status', '=', 'active')
    .where((eb) =>
      eb.or(
        keys.map((k) =>
          eb.and([
            eb('subject_identifiers.kind', '=', k.kind),
            eb('subject_identifiers.digest', '=', k.digest),
          ]),
        ),
      ),
    )
    .orderBy('subjects.controller_id')
    .orderBy('subjects.id');
  if (row.controller_id !== 'self') q = q.where('subjects.controller_id', '=', row.controller_id);
  for (const r of await q.execute()) {
    const list = holders.get(r.controller_id) ?? [];
    list.push(r.id);
    holders.set(r.controller_id, list);
  }
  return holders;
}

/** One subject is named on the request only when the match is unambiguous. */
const soleSubject = (subjects: readonly string[] | undefined): string | null =>
  subjects?.length === 1 ? subjects[0]! : null;

interface Holder {
  controller: Row<'controllers'>;
  endpoint: Row<'controller_endpoints'> | undefined;
}

async function holderOf(trx: Trx, controllerId: string): Promise<Holder> {
  const controller = await trx
    .selectFrom('controllers')
    .selectAll()
    .where('id', '=', controllerId)
    .executeTakeFirstOrThrow();
  const endpoint = await trx
    .selectFrom('controller_endpoints')
    .selectAll()
    .where('controller_id', '=', controllerId)
    .executeTakeFirst();
  return { controller, endpoint };
}

/** What the person is told and under which reference (the umbrella's, for a child). */
interface PersonNotice {
  row: Pick<Row<'requests'>, 'id' | 'lang'>;
  reference: string;
}

/**
 * Forwards one request (status → forwarded) to its controller by mail and/or webhook and tells the
 * person whom to contact. False, with an event for staff, when the controller cannot be reached.
 */
async function forwardOne(
  ctx: AppContext,
  trx: Trx,
  row: Row<'requests'>,
  holder: Holder,
  opened: OpenedRequest,
  notice: PersonNotice,
): Promise<boolean> {
  const { controller, endpoint } = holder;
  const mailTo = endpoint?.forward_email ?? controller.contact_email;
  const hook =
    endpoint?.webhook_url != null && endpoint.webhook_signer_id !== null
      ? { url: endpoint.webhook_url, signerId: endpoint.webhook_signer_id }
      : null;
  if (mailTo === null && hook === null) {
    await appendEvent(ctx, trx, row.id, SYSTEM, {
      action: 'forward_blocked',
      from: row.status,
      to: row.status,
      reason: 'cannot forward: no contact',
      details: { controller: controller.id },
    });
    await ctx.audit.record(trx, {
      actor: { type: 'system', id: null },
      action: 'request.forward',
      target: { type: 'request', id: row.id },
      controllerId: controller.id,
      outcome: 'failure',
      details: { reason: 'no_contact', parent: row.parent_id },
    });
    return false;
  }

  const now = ctx.clock.now().toISOString();
  const forwarded = await transition(ctx, trx, row, 'forward', SYSTEM, {
    set: { forwarded_at: now },
    audit: 'request.forward',
    details: { email: mailTo !== null, webhook: hook !== null, parent: row.parent_id },
  });
  const reference = referenceOf(row.id);
  const respondUrl = respondUrlOf(ctx, row.id);
  if (mailTo !== null) {
    await enqueueMail(ctx, trx, {
      to: mailTo,
      template: 'request_forward_controller',
      lang: row.lang,
      params: {
        reference,
        type: row.type,
        controllerName: controller.name,
        respondUrl,
        personName: opened.contact.name,
        personEmail: opened.contact.email,
        personPhone: opened.contact.phone,
        details: opened.details,
        receivedAt: row.received_at,
      },
      dedupeKey: `request:${row.id}:forward:mail`,
    });
  }
  if (hook !== null) {
    await enqueueWebhook(ctx, trx, {
      url: hook.url,
      signerId: hook.signerId,
      event: FORWARD_EVENT,
      lang: row.lang,
      body: {
        event: FORWARD_EVENT,
        version: 1,
        controller: { id: controller.id, slug: controller.slug },
        request: {
          id: row.id,
          reference,
          type: row.type,
          lang: row.lang,
          channel: row.channel,
          receivedAt: row.received_at,
          verifiedAt: row.verified_at,
          forwardedAt: forwarded.forwarded_at,
          dueAt: row.due_at,
          person: opened.contact,
          details: opened.details,
        },
        respond: {
          url: respondUrl,
          method: 'POST',
          authorization: 'Bearer <your response token>',
          outcomes: ['fulfilled', 'refused'],
        },
      },
      dedupeKey: `request:${row.id}:forward:webhook`,
    });
  }
  // PIPL §10.3: tell the person who the handler is, and how to reach it.
  await mailPerson(
    ctx,
    trx,
    notice.row,
    opened.contact,
    'request_forwarded',
    {
      reference: notice.reference,
      controllerName: controller.name,
      controllerContact: controller.contact_email ?? endpoint?.forward_email ?? null,
    },
    `forwarded:${row.id}`,
  );
  return true;
}

/** A per-controller copy of a verified request: same type, language, contact and deadlines. */
async function createChild(
  ctx: AppContext,
  trx: Trx,
  parent: Row<'requests'>,
  controllerId: string,
  subjectId: string | null,
  opened: OpenedRequest,
): Promise<Row<'requests'>> {
  const id = newId();
  const now = ctx.clock.now().toISOString();
  // The child's personal values are sealed again under its own key, so each can be shredded alone.
  const key = await ctx.keyring.createDataKey(ctx.store, trx, 'request', id);
  const child: Row<'requests'> = {
    ...parent,
    id,
    parent_id: parent.id,
    controller_id: controllerId,
    subject_id: subjectId,
    status: 'open',
    // The person follows the umbrella with their token; a child has no usable token of its own.
    status_token_hash: createHash('sha256').update(randomBytes(32)).digest(),
    contact_enc: parent.contact_enc === null ? null : sealContact(key, id, opened.contact),
    details_enc: opened.details === null ? null : sealDetails(key, id, opened.details),
    // Duplicate detection is the umbrella's; a child never matches a new submission.
    dedupe_digest: null,
    assigned_to: null,
    fee_status: 'none',
    fee_amount_cents: null,
    fee_cost_basis: null,
    fee_approved_by: null,
    forwarded_at: null,
    controller_response_at: null,
    controller_response_enc: null,
    outcome: null,
    closed_at: null,
    version: 1,
    created_at: now,
    updated_at: now,
  };
  await trx.insertInto('requests').values(child).execute();
  await appendEvent(ctx, trx, id, SYSTEM, {
    action: 'split',
    to: 'open',
    details: { parent: parent.id, controller: controllerId },
  });
  return child;
}

/** Decides, inside the verification transaction, where a verified request goes. */
export async function routeToControllers(
  ctx: AppContext,
  trx: Trx,
  request: Row<'requests'>,
): Promise<Routing> {
  // The caller's copy may be stale by a column or two; the row is read again, locked.
  const row = await forUpdate(
    ctx.store,
    trx.selectFrom('requests').selectAll().where('id', '=', request.id),
  ).executeTakeFirstOrThrow();
  const holders = await holdersOf(trx, row);
  // A person who named a business client meant that client, even if nothing of theirs is found
  // here: only the client can tell (the processor does not decide, §10.3).
  if (holders.size === 0 && row.controller_id !== 'self') holders.set(row.controller_id, []);
  if ([...holders.keys()].every((c) => c === 'self')) return { forwarded: false, children: [] };

  const opened = await openRequest(ctx, trx, row);
  if (holders.size === 1) {
    const [controllerId, subjects] = [...holders][0]!;
    const subjectId = soleSubject(subjects) ?? row.subject_id;
    let current = row;
    if (row.controller_id !== controllerId || row.subject_id !== subjectId) {
      await trx
        .updateTable('requests')
        .set({ controller_id: controllerId, subject_id: subjectId })
        .where('id', '=', row.id)
        .execute();
      current = { ...row, controller_id: controllerId, subject_id: subjectId };
    }
    const forwarded = await forwardOne(
      ctx,
      trx,
      current,
      await holderOf(trx, controllerId),
      opened,
      {
        row: current,
        reference: referenceOf(row.id),
      },
    );
    return { forwarded, children: [] };
  }

  // Several holders: self first (worked here), then each client in id order.
  const order = [...holders.keys()].sort((a, b) =>
    a === 'self' ? -1 : b === 'self' ? 1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const children: string[] = [];
  const reached: string[] = [];
  for (const controllerId of order) {
    const child = await createChild(
      ctx,
      trx,
      row,
      controllerId,
      soleSubject(holders.get(controllerId)),
      opened,
    );
    children.push(child.id);
    if (controllerId === 'self') continue;
    const ok = await forwardOne(ctx, trx, child, await holderOf(trx, controllerId), opened, {
      row,
      reference: referenceOf(row.id),
    });
    if (ok) reached.push(controllerId);
  }
  await appendEvent(ctx, trx, row.id, SYSTEM, {
    action: 'split',
    from: row.status,
    to: row.status,
    details: { children, controllers: order },
  });
  await ctx.audit.record(trx, {
    actor: { type: 'system', id: null },
    action: 'request.forward',
    target: { type: 'request', id: row.id },
    controllerId: row.controller_id,
    outcome: 'success',
    details: { split: true, children, controllers: order, forwardedTo: reached },
  });
  return { forwarded: false, children };
}
