// Processor mode: routing a verified request to the controllers holding the person's data
// (placeholder until the module lands).
import type { AppContext } from '../../context.js';
import type { Trx } from '../../db/store.js';
import type { Row } from '../../db/types.js';

export interface Routing {
  /** True when the request itself was forwarded (status `forwarded`). */
  forwarded: boolean;
  /** Ids of per-controller child requests created for a request spanning several controllers. */
  children: string[];
}

/** Decides, inside the verification transaction, where a verified request goes. */
export async function routeToControllers(
  _ctx: AppContext,
  _trx: Trx,
  _request: Row<'requests'>,
): Promise<Routing> {
  return { forwarded: false, children: [] };
}
