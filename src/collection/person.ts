// Who a submission is about: an existing person found through the blind index of an identifier
// they gave (e-mail first, then phone), or a new subject with a data key of its own. Nothing is
// decrypted to find them. Inside the caller's transaction.
import type { Actor } from '../audit/events.js';
import type { AppContext } from '../context.js';
import { newId } from '../db/ids.js';
import { forUpdate, type Trx } from '../db/store.js';
import type { Row } from '../db/types.js';

/** Collection forms collect for the organisation itself (processor data arrives by import). */
export const OWN_CONTROLLER = 'self';

/** What caused the subject to be created: a form submission or a guardian's consent. */
export interface Origin {
  kind: 'inquiry' | 'guardian_hold';
  id: string;
}

export interface Person {
  subject: Pick<Row<'subjects'>, 'id' | 'controller_id'>;
  /** The subject's data key, to seal the new values with. */
  dek: Buffer;
  created: boolean;
}

/**
 * The one active adult subject of the controller with this identifier, locked against a
 * concurrent erasure; null when none or several have it (no guessing between people). A minor's
 * subject is never a match: its data may still be held for a guardian's decision.
 */
async function findByIdentifier(
  ctx: AppContext,
  trx: Trx,
  controllerId: string,
  kind: 'email' | 'phone',
  normalised: string,
): Promise<string | null> {
  const ids = await trx
    .selectFrom('subject_identifiers')
    .innerJoin('subjects', 'subjects.id', 'subject_identifiers.subject_id')
    .select('subject_identifiers.subject_id')
    .distinct()
    .where('subject_identifiers.kind', '=', kind)
    .where('subject_identifiers.digest', '=', ctx.keyring.blindIndex(kind, normalised))
    .where('subject_identifiers.controller_id', '=', controllerId)
    .where('subjects.status', '=', 'active')
    .where('subjects.minor', '=', 0)
    .limit(2)
    .execute();
  if (ids.length !== 1) return null;
  const locked = await forUpdate(
    ctx.store,
    trx
      .selectFrom('subjects')
      .select('id')
      .where('id', '=', ids[0]!.subject_id)
      .where('status', '=', 'active'),
  ).executeTakeFirst();
  return locked?.id ?? null;
}

/** Creates a subject and its data key; a minor's is flagged (their PI is sensitive, PIPL art. 28). */
export async function createPerson(
  ctx: AppContext,
  trx: Trx,
  controllerId: string,
  options: { minor: boolean; actor: Actor; origin: Origin },
): Promise<Person> {
  const now = ctx.clock.now().toISOString();
  const id = newId();
  const subject: Row<'subjects'> = {
    id,
    controller_id: controllerId,
    status: 'active',
    created_at: now,
    updated_at: now,
    erased_at: null,
    minor: options.minor ? 1 : 0,
  };
  await trx.insertInto('subjects').values(subject).execute();
  const dek = await ctx.keyring.createDataKey(ctx.store, trx, 'subject', id);
  await ctx.audit.record(trx, {
    actor: options.actor,
    action: 'subject.create',
    target: { type: 'subject', id },
    controllerId,
    outcome: 'success',
    // Ids as whole values: an id inside a longer string could read as a phone number to the
    // audit log's personal-data guard.
    details: { origin: options.origin.kind, originId: options.origin.id, minor: options.minor },
  });
  return { subject, dek, created: true };
}

/**
 * The person with one of these identifiers (tried in order), or a new subject. `email` and
 * `phone` are normalised values.
 */
export async function findOrCreatePerson(
  ctx: AppContext,
  trx: Trx,
  identifiers: { email: string | null; phone: string | null },
  options: { actor: Actor; origin: Origin },
): Promise<Person> {
  const keys = [
    ...(identifiers.email !== null ? [['email', identifiers.email] as const] : []),
    ...(identifiers.phone !== null ? [['phone', identifiers.phone] as const] : []),
  ];
  for (const [kind, value] of keys) {
    const id = await findByIdentifier(ctx, trx, OWN_CONTROLLER, kind, value);
    if (id === null) continue;
    const dek = await ctx.keyring.dataKey(trx, 'subject', id);
    if (dek === null) continue;
    await trx
      .updateTable('subjects')
      .set({ updated_at: ctx.clock.now().toISOString() })
      .where('id', '=', id)
      .execute();
    return { subject: { id, controller_id: OWN_CONTROLLER }, dek, created: false };
  }
  return createPerson(ctx, trx, OWN_CONTROLLER, { minor: false, ...options });
}
