// Start-up and shutdown. Opening Custos means: open the database, migrate it, find the master key
// (refusing loudly when it is missing but data exists), open the keyring, and create the audit
// writer. `serve` then listens, runs periodic jobs, and on SIGTERM/SIGINT stops accepting, lets
// in-flight requests finish, signs a final checkpoint and closes the database.
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { createAuditLog } from './audit/log.js';
import { checkpointAt, currentSize } from './audit/tree.js';
import type { Config } from './config.js';
import { systemClock, type AppContext, type Clock } from './context.js';
import { Keyring, keyringExists } from './crypto/keyring.js';
import { resolveMasterKey } from './crypto/master-key.js';
import { rotateKeks } from './crypto/rotate.js';
import { migrateToLatest } from './db/migrate.js';
import { openStore, storeOptions, type Store, type StoreOptions } from './db/store.js';
import { startScheduler, type Job } from './jobs/scheduler.js';
import { consentJobs } from './consent/jobs.js';
import { notifyJobs } from './notify/jobs.js';
import { incidentJobs } from './registers/incidents/jobs.js';
import { requestJobs } from './requests/jobs.js';
import { startMailIn } from './requests/mail-in.js';
import { retentionJobs } from './retention/jobs.js';

/** Opens everything a command needs; the caller closes `ctx.store` when done. */
export async function openContext(
  config: Config,
  log: Logger,
  options: { clock?: Clock; store?: StoreOptions; migrate?: boolean } = {},
): Promise<AppContext> {
  const store: Store = openStore(options.store ?? storeOptions(config));
  try {
    if (options.migrate !== false) await migrateToLatest(store);
    const master = resolveMasterKey({
      configured: config.masterKey,
      dataDir: config.dataDir,
      encryptedDataExists: await keyringExists(store.db),
    });
    if (master.source === 'created')
      log.warn(
        { dataDir: config.dataDir },
        'created a new master key file (mode 0600): back it up, without it the data cannot be read',
      );
    const keyring = await Keyring.open(store, master.key);
    const clock = options.clock ?? systemClock;
    return { config, store, keyring, clock, log, audit: createAuditLog(store, keyring, clock) };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Signs a checkpoint when the log has grown since the last one. */
export async function checkpointIfGrown(ctx: AppContext): Promise<void> {
  const size = await currentSize(ctx.store.db);
  const last = await ctx.store.db
    .selectFrom('audit_checkpoints')
    .select('size')
    .orderBy('size', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (size > 0 && (last === undefined || Number(last.size) < size)) {
    await checkpointAt(ctx.store.db, ctx.keyring, ctx.config.auditOrigin, ctx.clock.now(), size);
  }
}

/** Persists key-usage counters and rotates the KEK before it reaches its encryption budget. */
export async function keyUsageJob(ctx: AppContext): Promise<void> {
  const usage = await ctx.keyring.flushUsage(ctx.store.db);
  if (usage.encryptions >= ctx.config.kekMaxEncryptions) {
    ctx.log.warn(
      { version: usage.activeVersion, encryptions: usage.encryptions },
      'key-encryption key reached its budget: rotating',
    );
    await rotateKeks(ctx.store, ctx.keyring, ctx.audit, { type: 'system', id: null });
  }
}

export function serverJobs(ctx: AppContext): Job[] {
  return [
    {
      name: 'audit.checkpoint',
      everySeconds: ctx.config.auditCheckpointSeconds,
      run: () => checkpointIfGrown(ctx),
    },
    { name: 'keys.usage', everySeconds: 30, run: () => keyUsageJob(ctx) },
    ...retentionJobs(ctx),
    ...notifyJobs(ctx),
    ...incidentJobs(ctx),
    ...requestJobs(ctx),
    ...consentJobs(ctx),
  ];
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
  stop(): Promise<void>;
}

/** Listens on the configured address and installs graceful shutdown on SIGTERM/SIGINT. */
export async function serve(
  ctx: AppContext,
  options: { handleSignals?: boolean } = {},
): Promise<RunningServer> {
  const app = await buildApp(ctx);
  const url = await app.listen({ host: ctx.config.host, port: ctx.config.port });
  const scheduler = startScheduler(ctx.store, serverJobs(ctx), ctx.log);
  const mailIn = await startMailIn(ctx);
  let stopping: Promise<void> | null = null;
  const stop = () => {
    stopping ??= (async () => {
      const grace = setTimeout(() => {
        ctx.log.error('shutdown grace period over: exiting with requests still open');
        process.exit(1);
      }, ctx.config.shutdownGraceSeconds * 1000);
      grace.unref();
      await app.close();
      await mailIn?.close();
      await scheduler.stop();
      await checkpointIfGrown(ctx).catch(() => undefined);
      await ctx.keyring.flushUsage(ctx.store.db).catch(() => undefined);
      await ctx.store.close();
      clearTimeout(grace);
      ctx.log.info('stopped');
    })();
    return stopping;
  };
  if (options.handleSignals !== false) {
    const onSignal = (signal: string) => {
      ctx.log.info({ signal }, 'shutting down');
      void stop().then(() => process.exit(0));
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  ctx.log.info({ url, database: ctx.store.dialect }, 'Custos is listening');
  return { app, url, stop };
}
