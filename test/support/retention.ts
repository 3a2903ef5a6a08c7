// Helpers shared by the retention test files (legal holds, sweeps): a Custos with staff and two
// client controllers, subjects with records, holds placed over HTTP, and row counts.
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { DbKind } from './db.js';
import { makeEnv, type TestEnv } from './env.js';
import { loginAs, type Staff } from './http.js';

export const DAY = 86_400_000;
export const HOLDS = '/api/v1/retention/holds';
export const RUNS = '/api/v1/retention/runs';

export type Rec = { category: string; purpose: string; value: string };
export const rec = (category: string, purpose: string, value: string): Rec => ({
  category,
  purpose,
  value,
});

export interface RetentionEnv {
  env: TestEnv;
  officer: Staff;
  admin: Staff;
  auditor: Staff;
  /** Two client controllers (slugs `ra-<kind>` and `rb-<kind>`). */
  clientA: string;
  clientB: string;
}

export async function startRetentionEnv(kind: DbKind): Promise<RetentionEnv> {
  const env = await makeEnv(kind);
  const officer = await loginAs(env, 'privacy_officer');
  const admin = await loginAs(env, 'admin');
  const auditor = await loginAs(env, 'auditor');
  const clientA = (
    await admin.client.post('/api/v1/controllers', { slug: `ra-${kind}`, name: 'A' })
  ).body.id;
  const clientB = (
    await admin.client.post('/api/v1/controllers', { slug: `rb-${kind}`, name: 'B' })
  ).body.id;
  return { env, officer, admin, auditor, clientA, clientB };
}

export const countRows = async (
  env: TestEnv,
  table: 'pi_records' | 'legal_holds' | 'audit_events' | 'data_keys',
) =>
  Number(
    (
      await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(
        env.ctx.store.db,
      )
    ).rows[0]?.n,
  );

/** A subject with `records` (source web_form), optionally of one controller; returns its id. */
export const createSubject = async (
  who: Staff,
  records: Rec[],
  controllerId?: string,
): Promise<string> => {
  const res = await who.client.post('/api/v1/subjects', {
    ...(controllerId ? { controllerId } : {}),
    records: records.map((r) => ({ ...r, source: 'web_form' })),
  });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
};

/** A legal hold placed by `who` for `days` from the env's clock time; returns its id. */
export const placeHold = async (
  env: TestEnv,
  who: Staff,
  scope: string,
  targetId: string,
  days: number,
) => {
  const res = await who.client.post(HOLDS, {
    scope,
    targetId,
    reason: 'litigation hold for case 2026-41',
    endsAt: new Date(env.clock.now().getTime() + days * DAY).toISOString(),
  });
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
};
