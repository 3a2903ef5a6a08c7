// Periodic work inside the server process. Each job is small and idempotent; on PostgreSQL a job
// first takes a transaction-scoped advisory lock, so with many instances only one runs it at a
// time and a crashed holder releases it automatically.
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from '../db/store.js';

export interface Job {
  name: string;
  everySeconds: number;
  run: () => Promise<void>;
}

const lockKey = (name: string): bigint =>
  createHash('sha256').update(`custos job ${name}`).digest().readBigInt64BE(0);

/** Runs `job` unless another instance holds its lock; returns whether it ran. */
export async function runExclusive(store: Store, job: Job): Promise<boolean> {
  if (store.dialect === 'sqlite') {
    await job.run();
    return true;
  }
  // A session-level lock on one pinned connection: held for the job's run, released after.
  const conn = await store.db.connection().execute(async (db) => {
    const got = await sql<{
      ok: boolean;
    }>`select pg_try_advisory_lock(${lockKey(job.name).toString()}::bigint) as ok`.execute(db);
    if (got.rows[0]?.ok !== true) return false;
    try {
      await job.run();
    } finally {
      await sql`select pg_advisory_unlock(${lockKey(job.name).toString()}::bigint)`.execute(db);
    }
    return true;
  });
  return conn;
}

export interface Scheduler {
  stop(): Promise<void>;
}

/** Starts every job on its interval; `stop` waits for running jobs to finish. */
export function startScheduler(store: Store, jobs: readonly Job[], log: Logger): Scheduler {
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  let stopped = false;
  for (const job of jobs) {
    if (job.everySeconds <= 0) continue;
    let busy = false;
    const tick = () => {
      if (busy || stopped) return;
      busy = true;
      const p = runExclusive(store, job)
        .then(() => undefined)
        .catch((error: unknown) =>
          log.error(
            {
              job: job.name,
              err: {
                type: error instanceof Error ? error.name : 'unknown',
                message: error instanceof Error ? error.message : '',
              },
            },
            'job failed',
          ),
        )
        .finally(() => {
          busy = false;
          running.delete(p);
        });
      running.add(p);
    };
    const timer = setInterval(tick, job.everySeconds * 1000);
    timer.unref();
    timers.push(timer);
  }
  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearInterval(t);
      await Promise.allSettled([...running]);
    },
  };
}
