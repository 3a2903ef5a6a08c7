// Fulfilment of a rights request against the encrypted store (placeholder until the module lands).
import type { Principal } from '../../access/principal.js';
import type { AppContext } from '../../context.js';
import type { Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';
import { unavailable } from '../../errors.js';

/** What a handler may add when fulfilling: corrections for a correction request. */
export interface FulfilInput {
  corrections?: Array<{ recordId: string; value: string }> | undefined;
}

/** What was done, listed in the reply to the person: kinds and counts, never personal values. */
export interface FulfilOutcome {
  /** One line per thing done, e.g. { kind: 'erased_records', count: 4 }. */
  done: Array<{ kind: string; count?: number; detail?: string }>;
  /** Set when only part could be done (e.g. records under a legal hold kept). */
  partial: boolean;
  /** A short-lived download link for access/copy/portability packages. */
  download: { url: string; expiresAt: string } | null;
}

/** Carries out `request` (already verified and matched to `request.subject_id`) in `trx`. */
export async function fulfil(
  _ctx: AppContext,
  _trx: Trx,
  _request: Row<'requests'>,
  _caller: Principal,
  _input: FulfilInput,
): Promise<FulfilOutcome> {
  throw unavailable('Fulfilment is not available yet.');
}
