// The request state machine: one table (from × action → to), the only place that says which moves a
// request may make. Anything missing from the table is forbidden. Issue 4 / workflow:
// received → verifying → open → in progress → fulfilled | refused | forwarded | withdrawn | expired,
// with extension and appeal.
import { REQUEST_STATES, type RequestState } from './contracts.js';

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

type Table = Readonly<Record<RequestState, Readonly<Partial<Record<RequestAction, RequestState>>>>>;

/**
 * Every allowed transition. Notes on the less obvious rows:
 *  - `extend` keeps the state: it moves the due date, not the request.
 *  - a verifying request is refused with the ground identity_not_verified; one never asked to
 *    verify (received) can only be verified, forwarded, withdrawn or left to expire.
 *  - a forwarded request is closed by the controller's answer (fulfil / refuse) or withdrawn.
 *  - `appeal` reopens a fulfilled or refused request (PIPL art. 50: a refusal must be reasoned and
 *    open to challenge); withdrawn and expired requests stay closed.
 *  - `open` is part of the vocabulary but has no row: a request becomes open by `verify`.
 */
export const TRANSITIONS: Table = Object.freeze({
  received: Object.freeze({
    start_verification: 'verifying',
    verify: 'open',
    expire: 'expired',
    forward: 'forwarded',
    withdraw: 'withdrawn',
  }),
  verifying: Object.freeze({
    verify: 'open',
    expire: 'expired',
    refuse: 'refused',
    forward: 'forwarded',
    withdraw: 'withdrawn',
  }),
  open: Object.freeze({
    start: 'in_progress',
    extend: 'open',
    fulfil: 'fulfilled',
    refuse: 'refused',
    forward: 'forwarded',
    withdraw: 'withdrawn',
  }),
  in_progress: Object.freeze({
    extend: 'in_progress',
    fulfil: 'fulfilled',
    refuse: 'refused',
    forward: 'forwarded',
    withdraw: 'withdrawn',
  }),
  forwarded: Object.freeze({
    fulfil: 'fulfilled',
    refuse: 'refused',
    withdraw: 'withdrawn',
  }),
  fulfilled: Object.freeze({ appeal: 'in_progress' }),
  refused: Object.freeze({ appeal: 'in_progress' }),
  withdrawn: Object.freeze({}),
  expired: Object.freeze({}),
} satisfies Table);

const FINAL: ReadonlySet<RequestState> = new Set<RequestState>([
  'fulfilled',
  'refused',
  'withdrawn',
  'expired',
]);

/** True when `value` is one of the workflow actions. */
export function isRequestAction(value: unknown): value is RequestAction {
  return typeof value === 'string' && (REQUEST_ACTIONS as readonly string[]).includes(value);
}

/** The state `action` leads to from `from`, or null when the machine forbids it. */
export function nextState(from: RequestState, action: RequestAction): RequestState | null {
  return TRANSITIONS[from][action] ?? null;
}

/** The actions the machine allows from `state`, in REQUEST_ACTIONS order (for the console). */
export function allowedActions(state: RequestState): RequestAction[] {
  return REQUEST_ACTIONS.filter((a) => nextState(state, a) !== null);
}

/** Final states: nothing but `appeal` leaves them. */
export function isFinal(state: RequestState): boolean {
  return FINAL.has(state);
}

/** Every state that is not final, e.g. for the queue's "still to do" filter. */
export const OPEN_STATES: readonly RequestState[] = Object.freeze(
  REQUEST_STATES.filter((s) => !FINAL.has(s)),
);
