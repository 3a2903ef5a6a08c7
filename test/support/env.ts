// A complete Custos for one test: fresh database, fixed master key, controllable clock, captured
// logs (tests assert that no personal data reaches them), and a real HTTP server on a free port.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { AppContext, Clock } from '../../src/context.js';
import { createLogger } from '../../src/logger.js';
import { openContext } from '../../src/server.js';
import { freshDb, type DbKind, type FreshDb } from './db.js';

export class TestClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface TestEnv {
  kind: DbKind;
  db: FreshDb;
  ctx: AppContext;
  clock: TestClock;
  masterKey: string;
  /** Every log line written so far. */
  logs: string[];
  app: FastifyInstance;
  url: string;
  close(): Promise<void>;
}

export async function makeEnv(
  kind: DbKind,
  settings: Record<string, string> = {},
): Promise<TestEnv> {
  const db = await freshDb(kind);
  const masterKey = randomBytes(32).toString('base64');
  const config = loadConfig({
    CUSTOS_ENV: 'test',
    CUSTOS_DATA_DIR: db.dataDir,
    CUSTOS_MASTER_KEY: masterKey,
    CUSTOS_PORT: '0',
    CUSTOS_AUDIT_CHECKPOINT_SECONDS: '0',
    CUSTOS_AUDIT_ORIGIN: 'custos.test/audit',
    CUSTOS_LOG_LEVEL: 'info',
    ...settings,
  });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  const clock = new TestClock();
  const ctx = await openContext(config, createLogger('info', sink), { clock, store: db.options });
  const app = await buildApp(ctx);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    kind,
    db,
    ctx,
    clock,
    masterKey,
    logs,
    app,
    url,
    async close() {
      await app.close();
      await ctx.store.close();
      await db.cleanup();
    },
  };
}
