// Fulfilment of a rights request against the encrypted store (PIPL arts. 44–49). One entry point,
// `fulfil`, dispatches on the request type inside the caller's transaction and returns what was
// done as kinds and counts, never personal values; it audits `request.fulfil` in that transaction,
// so a failed audit write undoes the fulfilment too.
import { actorOf, inScope, type Principal } from '../../access/principal.js';
import type { AppContext } from '../../context.js';
import type { Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { conflict, invalidField, notFound } from '../../errors.js';
import { loadSubject } from '../../subjects/service.js';
import type { RequestType } from '../contracts.js';
import { fulfilAccess } from './access.js';
import { fulfilCorrection } from './correct.js';
import { fulfilDeletion, fulfilWithdrawal } from './erase.js';
import { fulfilExplain, fulfilRestrict } from './explain.js';
import { purgeExpiredFiles } from './files.js';

/** What a handler may add when fulfilling. */
export interface FulfilInput {
  /** correction: the new value of each record to correct (PIPL art. 46). */
  corrections?: Array<{ recordId: string; value: string }> | undefined;
  /**
   * deceased_relative: which right the close relative exercises over the deceased's information
   * (PIPL art. 49: access/copy, correction, deletion); this build acts on `access` and `deletion`.
   * Required for that type, refused for every other.
   */
  act?: 'access' | 'deletion' | undefined;
  /** restrict: the purposes to stop (omitted: every purpose; storage continues, art. 47 ¶2). */
  purposes?: string[] | undefined;
}

/** One disclosure recipient, so the person knows who else received their information. */
export interface OutcomeRecipient {
  name: string;
  kind: string;
  country: string;
  categories: string[];
}

/** One purpose as it applies to the person (explain, PIPL art. 48). */
export interface OutcomePurpose {
  key: string;
  name: { zh: string; en: string };
  legalBasis: string | null;
  legalBasisRef: string | null;
  categories: Array<{ key: string; zh: string; en: string }>;
  retentionDays: number | null;
  retentionBasis: string | null;
  storageRegions: string[];
  recipients: Array<{ name: string; kind: string; country: string }>;
}

/** What was done, listed in the reply to the person: kinds and counts, never personal values. */
export interface FulfilOutcome {
  /** One line per thing done, e.g. { kind: 'erased_records', count: 4 }. */
  done: Array<{ kind: string; count?: number; detail?: string }>;
  /** Set when only part could be done (e.g. records under a legal hold kept). */
  partial: boolean;
  /**
   * A short-lived download link for access/copy/portability packages. The token in it exists
   * nowhere else: mail it, do not store the outcome with it in clear.
   */
  download: { url: string; expiresAt: string } | null;
  /** deletion, correction, withdrawal, explain: who received the person's information. */
  recipients?: OutcomeRecipient[];
  /** deletion/withdrawal under a legal hold: what was kept, by category and hold kind. */
  kept?: { records: number; categories: string[]; holds: string[] };
  /** explain: the records of processing restricted to this person. */
  processing?: OutcomePurpose[];
}

/** Everything a type-specific fulfilment needs. */
export interface Job {
  ctx: AppContext;
  trx: Trx;
  request: Row<'requests'>;
  caller: Principal;
  /** The matched subject, or null when nothing is held about the person. */
  subject: Row<'subjects'> | null;
  now: Date;
}

/** The answer when nothing is held: the person was never matched, or was erased before. */
const nothingHeld = (erasedBefore: boolean): FulfilOutcome => ({
  done: [{ kind: 'no_data_held', count: 0, ...(erasedBefore ? { detail: 'erased_earlier' } : {}) }],
  partial: false,
  download: null,
});

async function dispatch(job: Job, type: RequestType, input: FulfilInput): Promise<FulfilOutcome> {
  switch (type) {
    case 'access':
    case 'copy':
    case 'portability':
      return fulfilAccess(job, type);
    case 'correction':
      return fulfilCorrection(job, input.corrections);
    case 'deletion':
      return fulfilDeletion(job, 'deletion_request');
    case 'account_cancellation':
      return fulfilDeletion(job, 'account_cancellation');
    case 'withdraw_consent':
      return fulfilWithdrawal(job);
    case 'explain':
      return fulfilExplain(job);
    case 'restrict':
      return fulfilRestrict(job, input.purposes);
    case 'complaint':
      // The complaint itself is answered in the reply; nothing in the store changes.
      return { done: [{ kind: 'complaint_handled' }], partial: false, download: null };
    case 'deceased_relative': {
      // PIPL art. 49: the relative exercises the deceased's rights for their own interest; the
      // proofs of death, relationship and interest are checked by the handler before this call.
      const outcome =
        input.act === 'access'
          ? await fulfilAccess(job, 'access')
          : await fulfilDeletion(job, 'deceased_relative');
      return {
        ...outcome,
        done: [{ kind: 'relative_request_handled', detail: input.act }, ...outcome.done],
      };
    }
    default:
      return type satisfies never;
  }
}

function checkInput(type: RequestType, input: FulfilInput): void {
  if (type === 'deceased_relative') {
    if (input.act !== 'access' && input.act !== 'deletion')
      throw invalidField(
        '/act',
        'must be "access" or "deletion" for a deceased relative’s request',
      );
  } else if (input.act !== undefined)
    throw invalidField('/act', 'applies only to a deceased relative’s request');
  if (type !== 'correction' && input.corrections !== undefined)
    throw invalidField('/corrections', 'applies only to a correction request');
  if (type !== 'restrict' && input.purposes !== undefined)
    throw invalidField('/purposes', 'applies only to a restriction request');
}

/** Carries out `request` (already verified and matched to `request.subject_id`) in `trx`. */
export async function fulfil(
  ctx: AppContext,
  trx: Trx,
  request: Row<'requests'>,
  caller: Principal,
  input: FulfilInput,
): Promise<FulfilOutcome> {
  if (!inScope(caller, request.controller_id)) throw notFound('request');
  checkInput(request.type, input);
  const now = ctx.clock.now();
  let subject: Row<'subjects'> | null = null;
  let erasedBefore = false;
  if (request.subject_id !== null) {
    // Locked: a retention sweep must not shred the subject between our reads and writes.
    subject = await loadSubject(trx, caller, request.subject_id, ctx.store);
    if (subject.controller_id !== request.controller_id)
      throw conflict('The matched person belongs to another controller than this request.');
    if (subject.status === 'erased') {
      subject = null;
      erasedBefore = true;
    }
  }
  // A request about someone we hold nothing on is answered truthfully rather than refused;
  // only a correction needs something to correct.
  const needsData = request.type === 'correction';
  if (subject === null && needsData) throw conflict('No data is held for this person.');
  const job: Job = { ctx, trx, request, caller, subject, now };
  const act = request.type === 'deceased_relative' ? input.act : undefined;
  const outcome =
    subject === null && request.type !== 'complaint'
      ? nothingHeld(erasedBefore)
      : await dispatch(job, request.type, input);
  // Packages past their link's life are dropped whenever fulfilment runs (the download route
  // drops them too); kept here so they do not outlive their purpose even if never fetched.
  const purged = await purgeExpiredFiles(ctx, trx);
  await ctx.audit.record(trx, {
    actor: actorOf(caller),
    action: 'request.fulfil',
    target: { type: 'request', id: request.id },
    controllerId: request.controller_id,
    outcome: 'success',
    details: {
      type: request.type,
      ...(act !== undefined ? { act } : {}),
      subject: subject?.id ?? null,
      kinds: outcome.done.map((d) => d.kind),
      counts: outcome.done.map((d) => `${d.kind}:${d.count ?? 1}`),
      partial: outcome.partial,
      download: outcome.download !== null,
      ...(outcome.kept ? { keptCategories: outcome.kept.categories } : {}),
      ...(purged > 0 ? { expiredFilesPurged: purged } : {}),
    },
  });
  return outcome;
}
