// Shared by the processor-mode test files: a real local HTTP receiver for webhooks that checks
// signatures with its own HMAC code, and one Custos per database with an SMTP sink, an admin and a
// privacy officer, controllers and their endpoints set over HTTP, and rows the tests read back.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, expect } from 'vitest';
import type { DbKind } from './db.js';
import { makeEnv, type TestEnv } from './env.js';
import { loginAs, type Staff } from './http.js';
import { startSmtpSink, type SmtpSink } from './smtp-sink.js';

export interface Hit {
  headers: IncomingHttpHeaders;
  body: string;
  /** The signature's timestamp (unix seconds). */
  t: number;
  /** Whether some v1 matched HMAC-SHA256(secret, `${t}.${body}`) for the receiver's secret then. */
  valid: boolean;
}

export interface Receiver {
  url: string;
  hits: Hit[];
  /** The secret the receiver checks with (what the controller stored). */
  secret: string | null;
  /** The status it answers with. */
  status: number;
  close(): Promise<void>;
}

/** Verifies `x-custos-signature` independently of the code under test. */
function checkSignature(secret: string | null, header: string, body: string) {
  const parts = header.split(',').map((p) => p.trim());
  const t = Number(parts.find((p) => p.startsWith('t='))?.slice(2) ?? NaN);
  if (secret === null) return { t, valid: false };
  const want = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  const valid = parts
    .filter((p) => p.startsWith('v1='))
    .some((p) => {
      const got = Buffer.from(p.slice(3), 'hex');
      return got.length === want.length && timingSafeEqual(got, want);
    });
  return { t, valid };
}

/** Starts a webhook receiver on 127.0.0.1; its URL carries a query secret of its own. */
export async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    hits: [],
    secret: null,
    status: 204,
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = String(req.headers['x-custos-signature'] ?? '');
      receiver.hits.push({
        headers: req.headers,
        body,
        ...checkSignature(receiver.secret, header, body),
      });
      res.statusCode = receiver.status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('receiver has no port');
  receiver.url = `http://127.0.0.1:${address.port}/hooks/custos?key=receiver-query-secret`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** A name no other test in the run has used (controller slugs, e-mail addresses). */
let seq = 0;
export const unique = (prefix: string) => `${prefix}${++seq}${Date.now().toString(36)}`;

export const requestRow = (env: TestEnv, id: string) =>
  env.ctx.store.db
    .selectFrom('requests')
    .selectAll()
    .where('id', '=', id)
    .executeTakeFirstOrThrow();

export const auditOf = (env: TestEnv, action: string, targetId: string) =>
  env.ctx.store.db
    .selectFrom('audit_events')
    .select(['entry', 'outcome', 'controller_id'])
    .where('action', '=', action)
    .where('target_id', '=', targetId)
    .execute();

/**
 * The environment and helpers of one processor-mode test file. Its fields are filled in by the
 * hooks `forwardSuite` registers; the helpers are arrow properties so a file can destructure them.
 */
export class ForwardSuite {
  env!: TestEnv;
  sink!: SmtpSink;
  receiver!: Receiver;
  admin!: Staff;
  officer!: Staff;

  /** A new client controller (an admin's call), reachable at `contactEmail` when given. */
  controller = async (contactEmail: string | null) => {
    const slug = unique('client-');
    const res = await this.admin.client.post('/api/v1/controllers', {
      slug,
      name: `Client ${slug}`,
      contactEmail,
    });
    expect(res.status).toBe(201);
    return res.body as { id: string; slug: string; name: string };
  };

  putEndpoints = (id: string, body: unknown, who: Staff = this.admin) =>
    who.client.send('PUT', `/api/v1/controllers/${id}/endpoints`, { body });

  /** A person `controllerId` holds an e-mail address of; returns the subject id. */
  subjectOf = async (controllerId: string, email: string) => {
    const res = await this.officer.client.post('/api/v1/subjects', {
      controllerId,
      records: [{ category: 'email', purpose: 'consultation', value: email, source: 'web_form' }],
    });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
}

/** Registers the hooks that open (and close) a sink, a receiver and a Custos on `kind`. */
export function forwardSuite(kind: DbKind): ForwardSuite {
  const suite = new ForwardSuite();
  beforeAll(async () => {
    suite.sink = await startSmtpSink();
    suite.receiver = await startReceiver();
    suite.env = await makeEnv(kind, {
      CUSTOS_SMTP_URL: suite.sink.url,
      CUSTOS_OUTBOX_POLL_SECONDS: '0',
      CUSTOS_OUTBOX_MAX_ATTEMPTS: '3',
      CUSTOS_BASE_URL: 'http://custos.test',
      CUSTOS_MAIL_FROM: 'Privacy Office <privacy@custos.test>',
    });
    suite.admin = await loginAs(suite.env, 'admin');
    suite.officer = await loginAs(suite.env, 'privacy_officer');
  });
  afterAll(async () => {
    await suite.env.close();
    await suite.sink.close();
    await suite.receiver.close();
  });
  return suite;
}
