// Intake of rights requests from every channel (placeholder until the module lands).
import type { AppContext } from '../context.js';
import { unavailable } from '../errors.js';
import type { SubmitInput, SubmitResult } from './contracts.js';

/** Creates (or finds the duplicate of) a request and starts identity verification. */
export async function submitRequest(
  _ctx: AppContext,
  _input: SubmitInput,
  _meta: { ip?: string | undefined } = {},
): Promise<SubmitResult> {
  throw unavailable('Rights requests are not available yet.');
}
