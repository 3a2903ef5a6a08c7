// Shared by the fulfilment test files: one Custos per database with a privacy officer, subjects
// created over HTTP, verified requests written as the workflow hands them to fulfilment, `run`
// (fulfil in one transaction as a given principal), and the store counts the tests check.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect } from 'vitest';
import { principalFromSession } from '../../src/access/authenticate.js';
import type { Principal } from '../../src/access/principal.js';
import { newId } from '../../src/db/ids.js';
import { transaction } from '../../src/db/store.js';
import type { NewRow, Row } from '../../src/db/types.js';
import { AppError } from '../../src/errors.js';
import type { RequestType } from '../../src/requests/contracts.js';
import { fulfil, type FulfilInput, type FulfilOutcome } from '../../src/requests/fulfil/fulfil.js';
import type { DbKind } from './db.js';
import { makeEnv, type TestEnv } from './env.js';
import { loginAs, type Staff } from './http.js';
import { addRecipient } from './registers.js';

export const HOUR = 3_600_000;

/** Download links name this host; `download` checks that and fetches them from the test server. */
const BASE_URL = 'https://privacy.example.test';

export interface Rec {
  category: string;
  purpose: string;
  value: string;
  source?: string;
}

/**
 * The environment and helpers of one fulfilment test file. Its fields are filled in by the hooks
 * `fulfilSuite` registers; the helpers are arrow properties so a file can destructure them, and
 * read the fields when called (a test that logs the officer in again changes who `run` acts as).
 */
export class FulfilSuite {
  env!: TestEnv;
  officer!: Staff;
  /** The officer's principal: who `run` acts as unless told otherwise. */
  caller!: Principal;

  principalOf = async (staff: Staff): Promise<Principal> => {
    const secret = decodeURIComponent(staff.client.cookie!.slice('custos_session='.length));
    return principalFromSession(this.env.ctx, secret);
  };

  makeSubject = async (records: Rec[], controllerId?: string): Promise<string> => {
    const res = await this.officer.client.post('/api/v1/subjects', {
      ...(controllerId ? { controllerId } : {}),
      records: records.map((r) => ({ source: 'web_form', ...r })),
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };

  /** A verified request as the workflow hands it to fulfilment (CORE writes these rows). */
  makeRequest = async (
    type: RequestType,
    subjectId: string | null,
    controllerId = 'self',
  ): Promise<Row<'requests'>> => {
    const now = this.env.clock.now().toISOString();
    // Only the columns that must be set: new nullable columns of the workflow stay null.
    const row: NewRow<'requests'> = {
      id: newId(),
      controller_id: controllerId,
      subject_id: subjectId,
      type,
      channel: 'api',
      lang: 'zh-CN',
      status: 'in_progress',
      status_token_hash: randomBytes(32),
      received_at: now,
      verified_at: now,
      verification_channel: 'email',
      fee_status: 'none',
      version: 1,
      created_at: now,
      updated_at: now,
    };
    await this.env.ctx.store.db.insertInto('requests').values(row).execute();
    return this.env.ctx.store.db
      .selectFrom('requests')
      .selectAll()
      .where('id', '=', row.id)
      .executeTakeFirstOrThrow();
  };

  run = (
    request: Row<'requests'>,
    input: FulfilInput = {},
    who: Principal = this.caller,
  ): Promise<FulfilOutcome> =>
    transaction(this.env.ctx.store, (trx) => fulfil(this.env.ctx, trx, request, who, input));

  count = async (
    table: 'pi_records' | 'subject_identifiers' | 'record_corrections' | 'request_files',
    subjectId: string,
  ): Promise<number> => {
    const r = await this.env.ctx.store.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('subject_id', '=', subjectId)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  };

  dataKeys = async (owner: 'subject' | 'request', id: string): Promise<number> => {
    const r = await this.env.ctx.store.db
      .selectFrom('data_keys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner_type', '=', owner)
      .where('owner_id', '=', id)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  };

  searchByEmail = async (email: string): Promise<string[]> => {
    const res = await this.officer.client.post('/api/v1/subjects/search', { email });
    expect(res.status).toBe(200);
    return res.body.items.map((s: { id: string }) => s.id);
  };

  /** Fetches a download link over HTTP; the path is taken from the link, the host is ours. */
  download = async (url: string): Promise<Response> => {
    const u = new URL(url);
    expect(u.origin).toBe(BASE_URL);
    return fetch(`${this.env.url}${u.pathname}${u.search}`);
  };

  /** Records a disclosure of the person's e-mail and name to a new recipient in China. */
  disclose = async (subjectId: string, recipientName: string): Promise<void> => {
    const entry = await this.officer.client.post('/api/v1/disclosures', {
      recipientId: await addRecipient(this.env, recipientName, 'CN'),
      purpose: 'Delivery of ordered goods by the logistics partner',
      categories: ['email', 'name'],
      legalBasis: 'contract',
      personsCount: 1,
      disclosedAt: this.env.clock.now().toISOString(),
    });
    expect(entry.status).toBe(201);
    const delivered = await this.officer.client.post(
      `/api/v1/disclosures/${entry.body.id}/deliver`,
      { subjectIds: [subjectId], reason: 'shipment of the November order' },
    );
    expect(delivered.status).toBe(200);
  };
}

/** Registers the hooks that open (and close) a Custos for the calling `describe` on `kind`. */
export function fulfilSuite(kind: DbKind): FulfilSuite {
  const suite = new FulfilSuite();
  beforeAll(async () => {
    suite.env = await makeEnv(kind, { CUSTOS_BASE_URL: BASE_URL });
    suite.officer = await loginAs(suite.env, 'privacy_officer');
    suite.caller = await suite.principalOf(suite.officer);
  });
  afterAll(async () => suite.env.close());
  return suite;
}

/** The AppError a call is refused with (fails the test if it succeeds or throws anything else). */
export async function rejection(p: Promise<unknown>): Promise<AppError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}
