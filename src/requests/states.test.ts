// The request state machine, exhaustively: every (state, action) pair is either one of the rules of
// issue 4 or forbidden.
import { describe, expect, it } from 'vitest';
import { REQUEST_STATES, type RequestState } from './contracts.js';
import {
  OPEN_STATES,
  REQUEST_ACTIONS,
  type RequestAction,
  TRANSITIONS,
  allowedActions,
  isFinal,
  isRequestAction,
  nextState,
} from './states.js';

// The rules, written out independently of the module's table.
const RULES: [RequestState[], RequestAction, RequestState | 'same'][] = [
  [['received'], 'start_verification', 'verifying'],
  [['received', 'verifying'], 'verify', 'open'],
  [['verifying', 'received'], 'expire', 'expired'],
  [['open'], 'start', 'in_progress'],
  [['open', 'in_progress'], 'extend', 'same'],
  [['open', 'in_progress'], 'fulfil', 'fulfilled'],
  [['verifying', 'open', 'in_progress'], 'refuse', 'refused'],
  [['received', 'verifying', 'open', 'in_progress'], 'forward', 'forwarded'],
  [['forwarded'], 'fulfil', 'fulfilled'],
  [['forwarded'], 'refuse', 'refused'],
  [['received', 'verifying', 'open', 'in_progress', 'forwarded'], 'withdraw', 'withdrawn'],
  [['fulfilled', 'refused'], 'appeal', 'in_progress'],
];

const expected = new Map<string, RequestState>();
for (const [froms, action, to] of RULES) {
  for (const from of froms) expected.set(`${from} ${action}`, to === 'same' ? from : to);
}

describe('nextState', () => {
  const pairs = REQUEST_STATES.flatMap((s) => REQUEST_ACTIONS.map((a) => [s, a] as const));

  it.each(pairs)('%s --%s--> as the rules say', (from, action) => {
    expect(nextState(from, action)).toBe(expected.get(`${from} ${action}`) ?? null);
  });

  it('allows exactly the rules and forbids the other pairs', () => {
    const allowed = pairs.filter(([s, a]) => nextState(s, a) !== null);
    expect(allowed).toHaveLength(expected.size);
    expect(expected.size).toBe(26);
    expect(pairs).toHaveLength(REQUEST_STATES.length * REQUEST_ACTIONS.length);
  });

  it('exports the same table as data', () => {
    for (const [from, row] of Object.entries(TRANSITIONS)) {
      for (const [action, to] of Object.entries(row)) {
        expect(expected.get(`${from} ${action}`)).toBe(to);
      }
    }
    expect(Object.isFrozen(TRANSITIONS)).toBe(true);
    expect(Object.isFrozen(TRANSITIONS.open)).toBe(true);
  });

  it('lists the allowed actions per state', () => {
    expect(allowedActions('received')).toEqual([
      'start_verification',
      'verify',
      'forward',
      'withdraw',
      'expire',
    ]);
    expect(allowedActions('refused')).toEqual(['appeal']);
    expect(allowedActions('withdrawn')).toEqual([]);
    expect(allowedActions('expired')).toEqual([]);
  });
});

describe('final states', () => {
  it('are exactly fulfilled, refused, withdrawn and expired', () => {
    expect(REQUEST_STATES.filter(isFinal)).toEqual([
      'fulfilled',
      'refused',
      'withdrawn',
      'expired',
    ]);
    expect(OPEN_STATES).toEqual(['received', 'verifying', 'open', 'in_progress', 'forwarded']);
  });

  it('are left only by appeal', () => {
    for (const s of REQUEST_STATES.filter(isFinal)) {
      for (const a of allowedActions(s)) expect(a).toBe('appeal');
    }
  });

  it('are reached from every open state, and every state is reachable from received', () => {
    const reach = (from: RequestState): Set<RequestState> => {
      const seen = new Set<RequestState>([from]);
      const frontier = [from];
      for (let s = frontier.pop(); s !== undefined; s = frontier.pop()) {
        for (const a of REQUEST_ACTIONS) {
          const to = nextState(s, a);
          if (to !== null && !seen.has(to)) {
            seen.add(to);
            frontier.push(to);
          }
        }
      }
      return seen;
    };
    expect([...reach('received')].sort()).toEqual([...REQUEST_STATES].sort());
    for (const s of OPEN_STATES) expect([...reach(s)].some(isFinal)).toBe(true);
  });
});

describe('isRequestAction', () => {
  it('recognises only the vocabulary', () => {
    for (const a of REQUEST_ACTIONS) expect(isRequestAction(a)).toBe(true);
    for (const bad of ['Verify', 'close', '', 'constructor', 3, null]) {
      expect(isRequestAction(bad)).toBe(false);
    }
  });
});
