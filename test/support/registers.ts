// Helpers shared by the register tests (disclosures, transfers): a recipient written straight into
// the data map, and the shape of a validation problem naming one field.
import { expect } from 'vitest';
import { newId } from '../../src/db/ids.js';
import type { RecipientKind } from '../../src/datamap/tables.js';
import type { TestEnv } from './env.js';

/** Adds an active recipient of `kind` processing data in `country`; returns its id. */
export async function addRecipient(
  env: TestEnv,
  name: string,
  country: string,
  kind: RecipientKind = 'third_party',
): Promise<string> {
  const now = new Date().toISOString();
  const id = newId();
  await env.ctx.store.db
    .insertInto('recipients')
    .values({
      id,
      name,
      kind,
      country,
      contact: null,
      status: 'active',
      version: 1,
      created_at: now,
      updated_at: now,
    })
    .execute();
  return id;
}

/** A 400 validation problem whose field errors include `pointer`. */
export function expectProblem(
  res: { status: number; body: { type: string; errors?: Array<{ pointer: string }> } },
  pointer: string,
): void {
  expect(res.status).toBe(400);
  expect(res.body.type).toBe('urn:custos:problem:validation');
  expect(res.body.errors?.map((e) => e.pointer)).toContain(pointer);
}
