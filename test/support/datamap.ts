// Helpers shared by the data map test files (entries and versions, checks and refusals): a purpose
// body, row counts of everything a data-map write touches, and the problem of a refused write.
import { expect } from 'vitest';
import type { TestEnv } from './env.js';
import type { Res } from './http.js';

/** A valid purpose declaration under `key`, with `extra` fields merged over it. */
export const purpose = (key: string, extra: Record<string, unknown> = {}) => ({
  key,
  nameEn: 'Answering support tickets',
  nameZh: '处理客服工单',
  legalBasis: 'contract',
  legalBasisRef: 'support terms, clause 3',
  necessity: 'The e-mail address is where the answer goes.',
  retentionDays: 365,
  retentionEnd: 'delete',
  categories: [{ key: 'email', required: true }],
  ...extra,
});

/** Row counts of everything a data-map write touches. */
export async function datamapCounts(env: TestEnv) {
  const db = env.ctx.store.db;
  const n = async (
    table:
      | 'purposes'
      | 'data_categories'
      | 'recipients'
      | 'systems'
      | 'datamap_history'
      | 'audit_events'
      | 'assessments'
      | 'purpose_categories',
  ) =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    purposes: await n('purposes'),
    categories: await n('data_categories'),
    recipients: await n('recipients'),
    systems: await n('systems'),
    history: await n('datamap_history'),
    audit: await n('audit_events'),
    assessments: await n('assessments'),
    links: await n('purpose_categories'),
  };
}

/** A refused write: a 400 naming `pointer`, or a 409 conflict (pointer unused). */
export function expectProblem(res: Res, status: number, pointer: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body.type).toBe(
    status === 400 ? 'urn:custos:problem:validation' : 'urn:custos:problem:conflict',
  );
  if (status === 400)
    expect(res.body.errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
}
