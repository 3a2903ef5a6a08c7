// What every domain receives: settings, storage, keys, the audit writer, a clock and a logger.
// Built once at start (src/server.ts) and handed down explicitly; there are no module singletons.
import type { Logger } from 'pino';
import type { AuditLog } from './audit/log.js';
import type { Config } from './config.js';
import type { Keyring } from './crypto/keyring.js';
import type { Store } from './db/store.js';

/** Time as the application sees it; tests substitute a controllable clock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface AppContext {
  config: Config;
  store: Store;
  keyring: Keyring;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
}
