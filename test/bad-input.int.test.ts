// Bad input over HTTP, on SQLite and PostgreSQL. Every refusal must be a clear RFC 9457 problem
// (the right 4xx, never a 500, no stack trace, no echo of a value sent) and must write nothing:
// row counts are compared before and after each request. Free text that is accepted must come
// back verbatim as JSON data. The session tests move the clock, so they run last.
import { randomBytes, randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEntry } from '../src/audit/events.js';
import { DB_KINDS } from './support/db.js';
import { makeEnv, type TestEnv } from './support/env.js';
import { Client, loginAs, type Res, type Staff } from './support/http.js';

const TABLES = [
  'subjects',
  'pi_records',
  'subject_identifiers',
  'controllers',
  'users',
  'api_tokens',
  'sessions',
  'audit_events',
] as const;
type Counts = Record<(typeof TABLES)[number], number>;

interface ProblemDoc {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: Array<{ pointer: string; detail: string }>;
}
interface Expect {
  /** Fields that must be named: `?x` is `/querystring/x`, `a/0/b` is `/body/a/0/b` (or `/a/0/b`). */
  field?: string | string[];
  detail?: RegExp;
  /** Values sent that must not come back (nor, when they look personal, reach the logs). */
  secrets?: string[];
}
type Who = 'officer' | 'admin' | 'auditor' | 'security' | 'handler' | 'anon';
/** label, caller, "METHOD /path" (`:handler`, `:officer`, `:subject` are filled in), body, field. */
type Case = [string, Who, string, unknown, string | string[]];

const S = '/api/v1/subjects';
const C = '/api/v1/controllers';
const LOGIN = '/api/v1/auth/login';
const SEARCH = '/api/v1/subjects/search';
const TOKENS = '/api/v1/users/:handler/tokens';
const REVEAL = '/api/v1/subjects/:subject/reveal';
const STACK = /\n\s+at |\bat [\w.<>$]+ \(|\/work\/|node_modules|file:\/\/|\.[jt]s:\d+:\d+/;
const PASSWORD = 'Long-enough-passw0rd';

const json = <T>(res: Res): T => res.body as T;
const hex = () => randomBytes(4).toString('hex');
const q = encodeURIComponent;
const personal = (s: string) => /@|\d{5}/.test(s);
const rec = (over: object = {}) => ({
  category: 'free_text',
  purpose: 'consultation',
  value: 'prefers contact in the afternoon',
  source: 'web_form',
  ...over,
});
const spellings = (f: string): string[] =>
  f.startsWith('?') ? [`/querystring/${f.slice(1)}`] : f ? [`/body/${f}`, `/${f}`] : ['/body', '/'];
/** Every string of six or more characters in a request body: none may be echoed back. */
function leaves(v: unknown): string[] {
  if (typeof v === 'string') return v.length >= 6 ? [v] : [];
  return v !== null && typeof v === 'object' ? Object.values(v).flatMap(leaves) : [];
}

// Case builders: a caller and route, with a base body the case's fields are merged into.
const to =
  (who: Who, route: string, base: object = {}) =>
  (label: string, body: object, field: string | string[]): Case => [
    label,
    who,
    route,
    { ...base, ...body },
    field,
  ];
const subj = to('officer', `POST ${S}`, { records: [rec()] });
const ctl = to('admin', `POST ${C}`, { slug: 'c-x', name: 'Acme' });
const find = to('officer', `POST ${SEARCH}`);
const reveal = to('officer', `POST ${REVEAL}`);
const patchUser = to('admin', 'PATCH /api/v1/users/:handler');
const token = to('handler', `POST ${TOKENS}`, { name: 'ci', scopes: ['self'], expiresInDays: 1 });
const login = to('anon', `POST ${LOGIN}`, { email: 'x.y@example.org', password: 'pw' });
/** A subject whose one record has `over`, refused at `records/0/<field>`. */
const sub = (label: string, over: object, field: string): Case =>
  subj(label, { records: [rec(over)] }, `records/0/${field}`);
const get = (w: Who, r: string, f: string): Case => [r, w, `GET ${r}`, undefined, f];

const INJECTIONS: Array<[string, string]> = [
  ['SQL tautology', "' OR 1=1 --"],
  ['SQL drop', "'; DROP TABLE subjects; --"],
  ['script tag', '<script>alert(1)</script>'],
  ['attribute break-out', '"><img src=x onerror=alert(1)>'],
  ['JNDI lookup', '${jndi:ldap://x}'],
  ['template', '{{7*7}}'],
  ['long unicode', '名😀\u202e'.repeat(30)],
];
const CONTROLS: Array<[string, string]> = [
  ['NUL', 'a\u0000b'],
  ['ANSI escape', '\u001b[31mred'],
  ['bell', 'ring\u0007'],
  ['DEL', 'x\u007f'],
  ['lone surrogate', 'half \ud83d pair'],
];

describe.each(DB_KINDS)('bad input on %s', (kind) => {
  let env: TestEnv;
  let staff: Record<Exclude<Who, 'anon'>, Staff>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    env = await makeEnv(kind);
    staff = {
      officer: await loginAs(env, 'privacy_officer'),
      admin: await loginAs(env, 'admin'),
      auditor: await loginAs(env, 'auditor'),
      security: await loginAs(env, 'security_officer'),
      handler: await loginAs(env, 'request_handler'),
    };
    ids.officer = staff.officer.id;
    ids.handler = staff.handler.id;
    ids.subject = json<{ id: string }>(await staff.officer.client.post(S, { records: [rec()] })).id;
  });
  afterAll(async () => env.close());

  const client = (who: Who): Client => (who === 'anon' ? new Client(env.url) : staff[who].client);
  /** A deferred request: `send('admin', 'PATCH /api/v1/controllers/self', { name: 'x' })`. */
  const send =
    (who: Who | Client, route: string, body?: unknown, o: { raw?: string; csrf?: boolean } = {}) =>
    (): Promise<Res> => {
      const [method = 'GET', target = '/'] = route.split(' ');
      const path = target.replace(/:(\w+)/g, (m, name: string) => ids[name] ?? m);
      const c = typeof who === 'string' ? client(who) : who;
      return c.send(method, path, { ...o, ...(body === undefined ? {} : { body }) });
    };

  async function snapshot(): Promise<Counts> {
    const counts = {} as Counts;
    for (const table of TABLES) {
      const query = sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`;
      counts[table] = Number((await query.execute(env.ctx.store.db)).rows[0]?.n);
    }
    return counts;
  }

  /** Sends a request and checks the row counts moved by exactly `delta` (nothing by default). */
  async function changes(request: () => Promise<Res>, delta: Partial<Counts> = {}): Promise<Res> {
    const before = await snapshot();
    const res = await request();
    const expected = { ...before };
    for (const table of TABLES) expected[table] += delta[table] ?? 0;
    const after = await snapshot();
    expect(after, `rows after ${res.status} ${res.text.slice(0, 200)}`).toEqual(expected);
    return res;
  }

  function expectSafeHeaders(res: Res): void {
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  }

  function expectJsonData(res: Res, status: number): void {
    expect(res.status, res.text.slice(0, 300)).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expectSafeHeaders(res);
  }

  function expectProblem(res: Res, status: number, codes: string | string[], o: Expect = {}) {
    expect(res.status, res.text.slice(0, 300)).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expectSafeHeaders(res);
    const p = json<ProblemDoc>(res);
    expect([codes].flat().map((c) => `urn:custos:problem:${c}`)).toContain(p.type);
    expect(p.title).toMatch(/\S/);
    expect(p.status).toBe(status);
    expect(p.detail).toMatch(/\S/);
    const named = (p.errors ?? []).map((e) => e.pointer);
    for (const field of o.field === undefined ? [] : [o.field].flat()) {
      const ok = spellings(field);
      expect(
        named.some((n) => ok.includes(n)),
        `no error names ${ok[0]}: ${res.text}`,
      ).toBe(true);
      expect(named.some((n) => p.detail.includes(n))).toBe(true);
    }
    if (o.detail) expect(p.detail).toMatch(o.detail);
    expect(res.text).not.toMatch(STACK);
    for (const secret of o.secrets ?? []) {
      expect(res.text).not.toContain(secret);
      expect(res.text).not.toContain(JSON.stringify(secret).slice(1, -1));
      if (personal(secret)) expect(env.logs.join('')).not.toContain(secret);
    }
    return p;
  }

  /** A request that must be refused with a problem and must write nothing. */
  const bad = async (request: () => Promise<Res>, status: number, code: string, o: Expect = {}) =>
    expectProblem(await changes(request), status, code, o);

  /** A refusal for a missing permission: exactly one `authz.denied` event, nothing else. */
  async function denied(request: () => Promise<Res>, permission: string): Promise<void> {
    const res = await changes(request, { audit_events: 1 });
    expectProblem(res, 403, 'forbidden', {
      detail: new RegExp(`"${permission.replace('.', '\\.')}"`),
    });
    const last = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'entry'])
      .orderBy('seq', 'desc')
      .executeTakeFirstOrThrow();
    expect(last.action).toBe('authz.denied');
    expect(parseEntry(last.entry).details.permission).toBe(permission);
  }

  function invalid(cases: Case[]): void {
    for (const [label, who, route, body, field] of cases) {
      it(`${label} → 400 naming ${[field].flat().join(', ') || '/body'}`, async () => {
        const o = { field, secrets: leaves(body) };
        await bad(send(who, route, body), 400, 'validation', o);
      });
    }
  }

  describe('malformed JSON', () => {
    const bodies: Array<[string, string, string, string?]> = [
      ['truncated', '{"records":[{"category":"email"', 'malformed-json'],
      ['not JSON', '{bad', 'malformed-json'],
      ['__proto__', '{"__proto__":{"polluted":true},"records":[]}', 'malformed-json'],
      ['constructor.prototype', '{"constructor":{"prototype":{"polluted":1}}}', 'malformed-json'],
      ['empty', '', 'malformed-json'],
      ['an array', '[{"records":[]}]', 'validation', ''],
      ['null', 'null', 'validation', ''],
      ['a syntax error right after a phone number', '{"value":"13812345678"', 'malformed-json'],
    ];
    const routes: Array<[string, Who]> = [
      [S, 'officer'],
      [C, 'admin'],
      [LOGIN, 'anon'],
    ];
    for (const [target, who] of routes) {
      for (const [label, raw, code, field] of bodies) {
        it(`${target}: ${label} → 400 ${code}`, async () => {
          const o = { secrets: ['13812345678'], ...(field === undefined ? {} : { field }) };
          await bad(send(who, `POST ${target}`, undefined, { raw }), 400, code, o);
          expect(Object.prototype).not.toHaveProperty('polluted');
        });
      }
    }
    it('deeply nested arrays → 400, not a stack overflow', async () => {
      const raw = `{"records":${'['.repeat(60_000)}${']'.repeat(60_000)}}`;
      await bad(send('officer', `POST ${S}`, undefined, { raw }), 400, 'validation');
    });
  });

  describe('content type', () => {
    const types: Array<[string, string]> = [
      ['text/plain', JSON.stringify({ records: [rec()] })],
      ['application/x-www-form-urlencoded', 'records=1&category=email'],
      ['application/xml', '<records/>'],
    ];
    for (const [type, raw] of types) {
      it(`${type} → 415 on a write and on login`, async () => {
        const o = { raw, headers: { 'content-type': type } };
        for (const [who, path] of [['officer', S] as const, ['anon', LOGIN] as const])
          await bad(() => client(who).send('POST', path, o), 415, 'unsupported-media-type');
      });
    }
  });

  describe('wrong types', () => {
    const nested = { records: [{ category: 1, purpose: [], value: {}, source: null }] };
    const fields = ['category', 'purpose', 'value', 'source'].map((f) => `records/0/${f}`);
    invalid([
      sub('number for a string', { value: 13900001111 }, 'value'),
      ctl('number for controller name', { name: 42 }, 'name'),
      get('officer', `${S}?limit=abc`, '?limit'),
      get('officer', `${S}?limit=0`, '?limit'),
      get('admin', `${C}?limit=2.5`, '?limit'),
      get('officer', `${S}?limit=1&limit=2`, '?limit'),
      get('officer', `${S}?status=deleted`, '?status'),
      get('auditor', '/api/v1/audit/proof/inclusion?event=-1', '?event'),
      token('string for integer in a body', { expiresInDays: '30' }, 'expiresInDays'),
      subj('boolean for array', { records: true }, 'records'),
      subj('null records', { records: null }, 'records'),
      ctl('null slug', { slug: null }, 'slug'),
      login('null login e-mail', { email: null }, 'email'),
      subj('nested wrong types', nested, fields),
      patchUser('string for role list', { roles: 'admin' }, 'roles'),
      find('number for search e-mail', { email: 12345 }, 'email'),
      reveal('string for recordIds', { reason: 'request R-1', recordIds: 'all' }, 'recordIds'),
    ]);
  });

  describe('unknown fields and mass assignment', () => {
    const user = 'PATCH /api/v1/users/:handler';
    invalid([
      subj('unknown top-level field', { unknownField: 1 }, 'unknownField'),
      sub('unknown field in records[]', { extra: 'x' }, 'extra'),
      subj('subject id', { id: randomUUID() }, 'id'),
      subj('subject status', { status: 'erased' }, 'status'),
      subj('subject controller_id', { controller_id: 'self' }, 'controller_id'),
      patchUser('user password', { password: 'Another-passw0rd-42' }, 'password'),
      patchUser('user email', { email: 'boss.mail@example.org' }, 'email'),
      ctl('controller builtin', { builtin: true }, 'builtin'),
      ctl('controller status', { status: 'archived' }, 'status'),
      login('roles at login', { roles: ['admin'] }, 'roles'),
      token('token owner', { userId: randomUUID() }, 'userId'),
      get('officer', `${S}?foo=bar`, '?foo'),
    ]);
    it('leaves the staff row untouched after refused PATCHes', async () => {
      const row = () =>
        env.ctx.store.db
          .selectFrom('users')
          .selectAll()
          .where('id', '=', staff.handler.id)
          .executeTakeFirstOrThrow();
      const before = await row();
      const bodies = [{ password: 'Another-passw0rd-42' }, { roles: ['admin'], hard_locked: 0 }];
      for (const body of bodies) await bad(send('admin', user, body), 400, 'validation');
      expect(await row()).toEqual(before);
    });
  });

  describe('oversized input', () => {
    it('a body above CUSTOS_BODY_LIMIT → 413', async () => {
      const big = 'x'.repeat(env.ctx.config.bodyLimitBytes + 1);
      const subject = { records: [rec({ value: big })] };
      await bad(send('officer', `POST ${S}`, subject), 413, 'payload-too-large');
      await bad(send('anon', `POST ${LOGIN}`, { password: big }), 413, 'payload-too-large');
    });
    invalid([
      sub('value of 8193 characters', { value: 'v'.repeat(8193) }, 'value'),
      ctl('name of 201 characters', { name: 'n'.repeat(201) }, 'name'),
      ctl('name of 201 emoji', { name: '😀'.repeat(201) }, 'name'),
      subj('101 records', { records: Array(101).fill(rec()) }, 'records'),
      reveal('reason of 501 characters', { reason: 'r'.repeat(501) }, 'reason'),
      token('token name of 101 characters', { name: 't'.repeat(101) }, 'name'),
      find('search e-mail of 255 characters', { email: `${'e'.repeat(243)}@example.com` }, 'email'),
    ]);
  });

  describe('invalid personal values', () => {
    const value = (category: string, v: string): Case =>
      sub(`${category} ${JSON.stringify(v)}`, { category, value: v }, 'value');
    const mixed = [
      rec({ category: 'email', value: 'wang.wu@example.com' }),
      rec({ category: 'phone', value: '+86 000' }),
    ];
    const staffer = {
      email: '<script>@x.com',
      roles: ['auditor'],
      controllers: 'all',
      password: PASSWORD,
    };
    const more = to('officer', `POST ${S}/:subject/records`);
    const stranger = { records: [rec({ category: 'email', value: 'zhao@liu' })] };
    invalid([
      value('email', 'not-an-email'),
      value('email', 'a@b'),
      value('email', '<script>@x.com'),
      value('phone', '12345'),
      value('phone', '+86 000'),
      value('phone', 'phone: 138-abc'),
      value('cn_resident_id', '110105194912310021'),
      subj('a bad value after a good one', { records: mixed }, 'records/1/value'),
      more('a bad value for an existing subject', stranger, 'records/0/value'),
      sub('collectedAt in the future', { collectedAt: '2999-01-01T00:00:00Z' }, 'collectedAt'),
      sub('collectedAt on a leap second', { collectedAt: '2016-12-31T23:59:60Z' }, 'collectedAt'),
      sub('unknown category', { category: 'genome' }, 'category'),
      sub('purpose not in the data map', { purpose: 'account' }, 'purpose'),
      sub(
        'category not declared for the purpose',
        { category: 'ip_address', value: '203.0.113.7' },
        'category',
      ),
      more(
        'an undeclared purpose for an existing subject',
        { records: [rec({ purpose: 'lottery' })] },
        'records/0/purpose',
      ),
      sub('bad purpose code', { purpose: 'Marketing!' }, 'purpose'),
      sub('bad source code', { source: 'web form' }, 'source'),
      sub('bad region code', { region: 'china' }, 'region'),
      subj('bad controllerId', { controllerId: 'acme' }, 'controllerId'),
      find('search by invalid e-mail', { email: 'not-an-email' }, 'email'),
      find('search by invalid phone', { phone: '+86 000' }, 'phone'),
      find('search by invalid ID number', { idNumber: '!!!!' }, 'idNumber'),
      find('search by two identifiers', { email: 'li.si@example.net', phone: '13900001111' }, ''),
      find('search by nothing', {}, ''),
      login('login with an invalid e-mail', { email: 'not-an-email' }, 'email'),
      ['new staff with an invalid e-mail', 'admin', 'POST /api/v1/users', staffer, 'email'],
      ctl('controller contact e-mail', { contactEmail: 'not-an-email' }, 'contactEmail'),
      reveal('reason with an e-mail', { reason: 'customer zhou.qi@example.com asked' }, 'reason'),
    ]);
    it('names a field the same way whether the schema or the service rejects it', async () => {
      const tooLong = { records: [rec({ category: 'email', value: 'e'.repeat(8193) })] };
      const notEmail = { records: [rec({ category: 'email', value: 'not-an-email' })] };
      const schema = await bad(send('officer', `POST ${S}`, tooLong), 400, 'validation');
      const service = await bad(send('officer', `POST ${S}`, notEmail), 400, 'validation');
      expect(schema.errors?.[0]?.pointer).toBe('/body/records/0/value');
      expect(service.errors?.[0]?.pointer).toBe('/body/records/0/value');
    });
  });

  describe('injection strings', () => {
    for (const [label, payload] of INJECTIONS) {
      it(`controller name: ${label} is stored and returned verbatim`, async () => {
        const body = { slug: `inj-${hex()}`, name: payload };
        const one = { controllers: 1, audit_events: 1 };
        const res = await changes(send('admin', `POST ${C}`, body), one);
        expectJsonData(res, 201);
        const created = json<{ id: string; name: string }>(res);
        expect(created.name).toBe(payload);
        const got = await staff.admin.client.get(`${C}/${created.id}`);
        expectJsonData(got, 200);
        expect(json<{ name: string }>(got).name).toBe(payload);
      });
      it(`free_text value, reveal reason and token name: ${label} round-trip`, async () => {
        const body = { records: [rec({ value: payload })] };
        const one = { subjects: 1, pi_records: 1, audit_events: 1 };
        const made = await changes(send('officer', `POST ${S}`, body), one);
        expectJsonData(made, 201);
        const id = json<{ id: string }>(made).id;
        const reason = `ticket 7: ${payload}`;
        const reveal = send('officer', `POST ${S}/${id}/reveal`, { reason });
        const shown = await changes(reveal, { audit_events: 1 });
        expectJsonData(shown, 200);
        expect(json<{ records: Array<{ value: string }> }>(shown).records[0]?.value).toBe(payload);
        const event = await env.ctx.store.db
          .selectFrom('audit_events')
          .select('entry')
          .where('action', '=', 'subject.reveal')
          .where('target_id', '=', id)
          .executeTakeFirstOrThrow();
        expect(parseEntry(event.entry).details.reason).toBe(reason);
        const mint = send('handler', `POST ${TOKENS}`, {
          name: payload,
          scopes: ['self'],
          expiresInDays: 1,
        });
        const minted = await changes(mint, { api_tokens: 1, audit_events: 1 });
        expectJsonData(minted, 201);
        expect(json<{ name: string }>(minted).name).toBe(payload);
      });
      it(`fields with a pattern or format refuse ${label}`, async () => {
        const p = payload;
        const cases: Case[] = [
          ctl('slug', { slug: p }, 'slug'),
          ctl('region', { region: p }, 'region'),
          ctl('contact', { contactEmail: p }, 'contactEmail'),
          sub('purpose', { purpose: p }, 'purpose'),
          sub('source', { source: p }, 'source'),
          subj('controllerId', { controllerId: p }, 'controllerId'),
          find('email', { email: p }, 'email'),
          find('phone', { phone: p }, 'phone'),
          find('idNumber', { idNumber: p }, 'idNumber'),
          login('login', { email: p }, 'email'),
          get('auditor', `/api/v1/audit?action=${q(p)}`, '?action'),
          get('auditor', `/api/v1/audit?targetId=${q(p)}`, '?targetId'),
          get('officer', `${S}?after=${q(p)}`, '?after'),
        ];
        for (const [, who, route, body, field] of cases)
          await bad(send(who, route, body), 400, 'validation', { field });
      });
    }
    it('an injection in a login password is just a wrong password', async () => {
      const body = { email: 'nobody.here@example.org', password: "' OR 1=1 --" };
      const res = await changes(send('anon', `POST ${LOGIN}`, body), { audit_events: 1 });
      expectProblem(res, 401, 'unauthenticated');
    });
    it('erasure with an injection in its reason erases exactly one subject', async () => {
      const id = json<{ id: string }>(await staff.officer.client.post(S, { records: [rec()] })).id;
      const reason = "ticket 9: '; DROP TABLE subjects; --";
      const erase = send('officer', `POST ${S}/${id}/erase`, { reason });
      const res = await changes(erase, { pi_records: -1, audit_events: 1 });
      expectJsonData(res, 200);
      expect(json<{ status: string }>(res).status).toBe('erased');
    });
    it('tab and newline are allowed in free text', async () => {
      const name = 'line one\nline two\tend';
      const create = send('admin', `POST ${C}`, { slug: `tab-${hex()}`, name });
      const res = await changes(create, { controllers: 1, audit_events: 1 });
      expectJsonData(res, 201);
      expect(json<{ name: string }>(res).name).toBe(name);
    });
    for (const [label, c] of CONTROLS) {
      it(`${label} in any free-text field → 400`, async () => {
        const cases: Case[] = [
          ctl('name', { slug: `c-${hex()}`, name: `Acme ${c}` }, 'name'),
          ['rename', 'admin', `PATCH ${C}/self`, { name: `Self ${c}` }, 'name'],
          sub('value', { value: `note ${c}` }, 'value'),
          reveal('reveal', { reason: `ticket 7 ${c}` }, 'reason'),
          ['erase', 'officer', `POST ${S}/:subject/erase`, { reason: `ticket 7 ${c}` }, 'reason'],
          token('token', { name: `ci ${c}` }, 'name'),
          find('search', { email: `a${c}@example.com` }, 'email'),
        ];
        for (const [, who, route, body, field] of cases)
          await bad(send(who, route, body), 400, 'validation', { field });
      });
    }
    it('a NUL in a list cursor → 400', async () => {
      await bad(send('admin', `GET ${C}?after=%00`), 400, 'validation', { field: '?after' });
    });
    it('a NUL in a staff member’s controller list → 400', async () => {
      const body = {
        email: `nul.${hex()}@example.org`,
        roles: ['auditor'],
        controllers: ['\u0000'],
        password: PASSWORD,
      };
      const create = send('admin', 'POST /api/v1/users', body);
      await bad(create, 400, 'validation', { field: 'controllers' });
    });
    it('an injected X-Request-Id is replaced, not echoed', async () => {
      const evil = '<script>alert(1)</script>';
      const headers = { 'x-request-id': evil };
      const res = await changes(() => client('anon').get('/api/v1/nope', { headers }));
      expectProblem(res, 404, 'not-found', { secrets: [evil] });
      expect(res.headers.get('x-request-id')).not.toBe(evil);
    });
  });

  describe('another controller’s ids', () => {
    let a: string;
    let b: string;
    let inB: string;
    let recordInB: string;
    let handlerA: Staff;
    let officerA: Staff;
    let adminA: Staff;
    beforeAll(async () => {
      const make = async (slug: string) =>
        json<{ id: string }>(await staff.admin.client.post(C, { slug, name: slug })).id;
      a = await make(`scope-a-${hex()}`);
      b = await make(`scope-b-${hex()}`);
      const made = await staff.officer.client.post(S, { controllerId: b, records: [rec()] });
      const subject = json<{ id: string; records: Array<{ id: string }> }>(made);
      inB = subject.id;
      recordInB = subject.records[0]?.id ?? '';
      handlerA = await loginAs(env, 'request_handler', { controllers: [a] });
      officerA = await loginAs(env, 'privacy_officer', { controllers: [a] });
      adminA = await loginAs(env, 'admin', { controllers: [a] });
    });
    const notFound = (who: Staff, route: string, body?: unknown) =>
      bad(send(who.client, route, body), 404, 'not-found');
    const reason = { reason: 'trying the other client' };
    it('GET and POST on a subject of controller B → 404', async () => {
      await notFound(handlerA, `GET ${S}/${inB}`);
      await notFound(handlerA, `POST ${S}/${inB}/records`, { records: [rec()] });
    });
    it('reveal and erase of B’s subject, or of B’s records → 404', async () => {
      await notFound(handlerA, `POST ${S}/${inB}/reveal`, reason);
      await notFound(officerA, `POST ${S}/${inB}/erase`, reason);
      await notFound(staff.officer, `POST ${REVEAL}`, { ...reason, recordIds: [recordInB] });
    });
    it('GET, PATCH, archive and DELETE of controller B → 404', async () => {
      await notFound(handlerA, `GET ${C}/${b}`);
      await notFound(adminA, `PATCH ${C}/${b}`, { name: 'Taken over' });
      await notFound(adminA, `POST ${C}/${b}/archive`);
      await notFound(adminA, `DELETE ${C}/${b}`);
    });
    it('creating a subject under controller B or an unknown controller → 404', async () => {
      for (const controllerId of [b, randomUUID()])
        await notFound(handlerA, `POST ${S}`, { controllerId, records: [rec()] });
    });
    it('another person’s tokens → 404', async () => {
      const body = { name: 'x', scopes: ['self'], expiresInDays: 1 };
      await notFound(handlerA, 'POST /api/v1/users/:officer/tokens', body);
      await notFound(handlerA, `POST /api/v1/users/:officer/tokens/${randomUUID()}/revoke`);
    });
    // Path parameters the router or the schema must refuse: [path, statuses, problem types].
    const odd: Array<[string, number[], string[]]> = [
      [`${S}/1%20OR%201=1`, [400], ['validation']],
      [`${S}/..%2F..%2Fetc%2Fpasswd`, [400], ['validation']],
      [`${S}/../../etc/passwd`, [404], ['not-found']], // fetch normalises it to /api/etc/passwd
      [`${S}/${'-'.repeat(36)}`, [404], ['not-found']],
      [`${C}/%27%20OR%201=1%20--`, [400], ['validation']],
      ['/api/v1/users/not-a-uuid', [400], ['validation']],
      [`${S}/%E0%A4%A`, [400, 404], ['validation', 'not-found']],
      [`${S}/${'13812345678'.repeat(20)}`, [400, 404, 414], ['validation', 'not-found']],
    ];
    for (const [target, statuses, codes] of odd) {
      it(`GET ${target.slice(0, 50)} → ${statuses.join(' or ')}, never 500`, async () => {
        const res = await changes(send('admin', `GET ${target}`));
        expect(statuses).toContain(res.status);
        expectProblem(res, res.status, codes, { secrets: ['13812345678'] });
      });
    }
  });

  describe('a role without the permission', () => {
    const staffer = { email: 'new.one@example.org', roles: ['admin'], controllers: 'all' };
    const denials: Array<[Who, string, unknown, string]> = [
      ['auditor', `POST ${S}`, { records: [rec()] }, 'subjects.write'],
      ['admin', `POST ${REVEAL}`, { reason: 'just curious, ticket 1' }, 'pi.reveal'],
      ['handler', 'POST /api/v1/users', { ...staffer, password: PASSWORD }, 'users.manage'],
      ['security', `GET ${S}`, undefined, 'subjects.read'],
    ];
    for (const [who, route, body, permission] of denials) {
      it(`${who}: ${route} → 403 naming ${permission}`, async () => {
        await denied(send(who, route, body), permission);
      });
    }
    it('is checked before the body is even parsed', async () => {
      await denied(send('auditor', `POST ${S}`, undefined, { raw: '{bad' }), 'subjects.write');
    });
    it('an API token without the scope → 403, and a token cannot mint tokens', async () => {
      const body = { name: 'reader', scopes: ['self', 'subjects.read'], expiresInDays: 5 };
      const minted = await send('officer', 'POST /api/v1/users/:officer/tokens', body)();
      const bot = new Client(env.url);
      bot.bearer = json<{ token: string }>(minted).token;
      expect((await bot.get(S)).status).toBe(200);
      await denied(send(bot, `POST ${S}`, { records: [rec()] }), 'subjects.write');
      const again = send(bot, 'POST /api/v1/users/:officer/tokens', { ...body, name: 'again' });
      await bad(again, 403, 'forbidden');
    });
    it('a token asking for permissions its owner lacks → 400', async () => {
      const body = { name: 'greedy', scopes: ['users.manage'], expiresInDays: 1 };
      await bad(send('handler', `POST ${TOKENS}`, body), 400, 'validation', { field: 'scopes' });
    });
  });

  describe('CSRF', () => {
    const o = { detail: /X-CSRF-Token/ };
    const forged: Array<[string, () => Record<string, string>]> = [
      ['a wrong token', () => ({ 'x-csrf-token': randomBytes(32).toString('base64url') })],
      [
        'a token from another session',
        () => ({ 'x-csrf-token': staff.admin.client.csrfToken ?? '' }),
      ],
      ['a foreign Origin with the right token', () => ({ origin: 'https://evil.example' })],
    ];
    for (const [label, headers] of forged) {
      it(`${label} → 403`, async () => {
        const write = () =>
          staff.officer.client.post(S, { records: [rec()] }, { headers: headers() });
        await bad(write, 403, 'csrf', o);
      });
    }
    it('a cookie-authenticated write without X-CSRF-Token → 403, logout included', async () => {
      await bad(
        send('officer', `POST ${S}`, { records: [rec()] }, { csrf: false }),
        403,
        'csrf',
        o,
      );
      await bad(send('admin', `DELETE ${C}/self`, undefined, { csrf: false }), 403, 'csrf', o);
      const logout = send('auditor', 'POST /api/v1/auth/logout', undefined, { csrf: false });
      await bad(logout, 403, 'csrf', o);
      expect((await staff.auditor.client.get('/api/v1/me')).status).toBe(200);
    });
  });

  describe('routes', () => {
    it('an unknown route → 404 problem, with or without a session', async () => {
      await bad(send('anon', 'GET /api/v1/nope'), 404, 'not-found');
      await bad(send('officer', 'POST /api/v2/subjects', { records: [rec()] }), 404, 'not-found');
    });
    it('a wrong method on a known path → 404 or 405 problem', async () => {
      for (const route of [`PUT ${S}`, `DELETE ${S}/:subject`, `GET ${LOGIN}`]) {
        const res = await changes(send('officer', route, route.startsWith('PUT') ? {} : undefined));
        expect([404, 405]).toContain(res.status);
        expectProblem(res, res.status, ['not-found', 'method-not-allowed']);
      }
    });
  });

  // Moves the clock: every earlier session ends here, so this block runs last.
  describe('sessions and API tokens', () => {
    const either = ['unauthenticated', 'session-expired'];
    /** A read and a write with these credentials are both refused and write nothing. */
    const probe = async (
      c: Client,
      codes: string | string[],
      headers: Record<string, string> = {},
    ) => {
      const read = () => c.get(S, { headers });
      const write = () => c.post(S, { records: [rec()] }, { headers, csrf: false });
      for (const request of [read, write]) {
        const res = await changes(request);
        expectProblem(res, 401, codes);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    };
    const mint = async (s: Staff, days: number) => {
      const body = { name: 'bot', scopes: ['self', 'subjects.read'], expiresInDays: days };
      return json<{ id: string; token: string }>(
        await s.client.post(`/api/v1/users/${s.id}/tokens`, body),
      );
    };
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const anon = () => client('anon');
    it('no cookie → 401', async () => {
      await probe(anon(), 'unauthenticated');
    });
    it('a forged cookie → 401', async () => {
      await probe(anon(), either, {
        cookie: `custos_session=${randomBytes(32).toString('base64url')}`,
      });
      await probe(anon(), either, { cookie: 'custos_session=%%%;%00' });
    });
    it('a malformed Authorization header → 401', async () => {
      for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer x', 'Bearer a b'])
        await probe(anon(), 'unauthenticated', { authorization });
    });
    it('a forged API token → 401', async () => {
      const forged = `cst_${randomUUID()}_${randomBytes(32).toString('base64url')}`;
      await probe(anon(), 'unauthenticated', bearer(forged));
    });
    it('a revoked API token → 401', async () => {
      const minted = await mint(staff.officer, 5);
      const revoke = `POST /api/v1/users/:officer/tokens/${minted.id}/revoke`;
      expect((await send('officer', revoke)()).status).toBe(204);
      await probe(anon(), 'unauthenticated', bearer(minted.token));
    });
    it('a logged-out session reused → 401', async () => {
      const s = await loginAs(env, 'request_handler');
      const cookie = s.client.cookie ?? '';
      expect((await s.client.post('/api/v1/auth/logout')).status).toBe(204);
      await probe(anon(), 'session-expired', { cookie });
    });
    it('an idle session → 401 session-expired', async () => {
      const s = await loginAs(env, 'request_handler');
      env.clock.advance((env.ctx.config.sessionIdleMinutes + 1) * 60_000);
      await probe(s.client, 'session-expired');
    });
    it('a session past its absolute lifetime, though active → 401 session-expired', async () => {
      const s = await loginAs(env, 'request_handler');
      const end = env.clock.now().getTime() + env.ctx.config.sessionAbsoluteHours * 3_600_000;
      while (env.clock.now().getTime() < end) {
        expect((await s.client.get('/api/v1/me')).status).toBe(200);
        env.clock.advance((env.ctx.config.sessionIdleMinutes - 5) * 60_000);
      }
      await probe(s.client, 'session-expired');
    });
    it('an expired API token → 401', async () => {
      const minted = await mint(await loginAs(env, 'request_handler'), 1);
      env.clock.advance(24 * 3_600_000 + 60_000);
      await probe(anon(), 'unauthenticated', bearer(minted.token));
    });
  });
});
