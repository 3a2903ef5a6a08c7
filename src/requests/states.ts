// The request state machine (placeholder until the module lands).
import type { RequestState } from './contracts.js';

export const REQUEST_ACTIONS = [
  'start_verification',
  'verify',
  'open',
  'start',
  'extend',
  'fulfil',
  'refuse',
  'forward',
  'withdraw',
  'expire',
  'appeal',
] as const;
export type RequestAction = (typeof REQUEST_ACTIONS)[number];

/** The state `action` leads to from `from`, or null when the machine forbids it. */
export function nextState(_from: RequestState, _action: RequestAction): RequestState | null {
  throw new Error('state machine not built yet');
}

/** Final states: nothing but `appeal` leaves them. */
export function isFinal(_state: RequestState): boolean {
  throw new Error('state machine not built yet');
}
