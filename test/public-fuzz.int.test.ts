// Every route anyone may call without logging in, fed malformed input of every shape: wrong JSON
// types, NULs, huge and odd strings, wrong content types, odd ids and tokens in the path and the
// query. None may answer 5xx, and a JSON answer to bad input is an RFC 9457 problem. The routes
// come from the app's own route table, so a new public route is covered without editing this file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from './support/db.js';
import { makeEnv, type TestEnv } from './support/env.js';
import { Client } from './support/http.js';

const ID_LIKE = [
  '00000000-0000-7000-8000-000000000000',
  'x',
  '%00',
  '..%2F..%2Fetc',
  'a'.repeat(190),
];
const QUERIES = [
  '',
  '?token=',
  '?token=%00',
  `?token=${'t'.repeat(5000)}`,
  '?lang=xx&visitor=1',
  '?visitor=%E0%A4%A',
];
const JSON_BODIES: unknown[] = [
  null,
  [],
  0,
  'text',
  {},
  { token: null, code: {}, visitorId: 7, decisions: 'all', fields: [] },
  { fields: { email: '\u0000', phone: '+'.repeat(300) }, policyVersion: '\u0000' },
  { decisions: [{ category: 'analytics', granted: 'yes' }], visitorId: 'x', policyVersion: '' },
  { token: 'x'.repeat(10_000), consent: 'maybe', purposes: [1, 2] },
  { __proto__: { admin: true }, constructor: { prototype: { x: 1 } } },
];

describe.each(DB_KINDS)('public routes under malformed input on %s', (kind) => {
  let env: TestEnv;
  beforeAll(async () => {
    env = await makeEnv(kind);
  });
  afterAll(() => env.close());

  it('never answer 5xx, and answer problems as RFC 9457', async () => {
    const routes = env.app.routeTable.filter(
      (r) =>
        r.access !== undefined &&
        'public' in r.access &&
        r.method !== 'HEAD' &&
        !r.url.startsWith('/docs'),
    );
    expect(routes.length).toBeGreaterThan(30);
    const client = new Client(env.url);
    const failures: string[] = [];
    const check = async (
      label: string,
      send: () => Promise<{ status: number; headers: Headers; text: string }>,
    ) => {
      const res = await send();
      const type = res.headers.get('content-type') ?? '';
      if (res.status >= 500) failures.push(`${label} → ${res.status}`);
      else if (res.status >= 400 && type.startsWith('application/json'))
        failures.push(`${label} → ${res.status} as plain JSON, not a problem document`);
      if (/at \S+ \(.*:\d+:\d+\)/.test(res.text)) failures.push(`${label} → stack trace in body`);
    };
    for (const route of routes) {
      const paths = route.url.includes(':')
        ? ID_LIKE.map((id) => route.url.replace(/:[A-Za-z]+/g, id))
        : [route.url];
      for (const path of paths)
        for (const query of QUERIES) {
          const target = `${path}${query}`;
          if (route.method === 'GET' || route.method === 'OPTIONS') {
            await check(`${route.method} ${target}`, () => client.send(route.method, target));
            continue;
          }
          for (const body of JSON_BODIES)
            await check(`${route.method} ${target} ${JSON.stringify(body)?.slice(0, 60)}`, () =>
              client.send(route.method, target, {
                raw: JSON.stringify(body),
                headers: { 'content-type': 'application/json' },
              }),
            );
          for (const [type, raw] of [
            ['application/x-www-form-urlencoded', 'token=%00&code=%ZZ&lang=en&email=a%00b&x=1&x=2'],
            ['application/x-www-form-urlencoded', `${'a'.repeat(3000)}=${'b'.repeat(3000)}`],
            ['text/plain', 'hello'],
            ['application/json', '{"unterminated": '],
            ['application/xml', '<a/>'],
          ] as const)
            await check(`${route.method} ${target} as ${type}`, () =>
              client.send(route.method, target, { raw, headers: { 'content-type': type } }),
            );
        }
    }
    expect(failures).toEqual([]);
  });
});
