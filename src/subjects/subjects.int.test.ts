// Controllers and data subjects through HTTP, on SQLite and PostgreSQL: encrypted records, masked
// reads, lookup by blind index, reveal with reason, controller scoping, erasure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { loginAs, type Staff } from '../../test/support/http.js';

describe.each(DB_KINDS)('subjects on %s', (kind) => {
  let env: TestEnv;
  let officer: Staff;
  let admin: Staff;

  beforeAll(async () => {
    env = await makeEnv(kind);
    officer = await loginAs(env, 'privacy_officer');
    admin = await loginAs(env, 'admin');
  });
  afterAll(async () => env.close());

  const person = {
    records: [
      {
        category: 'email',
        purpose: 'consultation',
        value: 'Zhang.San@Example.com',
        source: 'web_form',
      },
      { category: 'phone', purpose: 'consultation', value: '138 1234 5678', source: 'web_form' },
      { category: 'name', purpose: 'consultation', value: '张三丰', source: 'web_form' },
      {
        category: 'cn_resident_id',
        purpose: 'contract',
        value: '11010519491231002X',
        source: 'api',
      },
    ],
  };

  it('stores encrypted values and returns them masked', async () => {
    const res = await officer.client.post('/api/v1/subjects', person);
    expect(res.status).toBe(201);
    const values = res.body.records.map((r: { value: string }) => r.value);
    expect(values).toEqual(['z***@example.com', '+86 138****5678', '张**', '110105********002X']);
    expect(res.body.records.every((r: { masked: boolean }) => r.masked)).toBe(true);

    const raw = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('value_enc')
      .where('subject_id', '=', res.body.id)
      .execute();
    for (const r of raw) {
      const bytes = r.value_enc!.toString('latin1');
      expect(bytes).not.toContain('example.com');
      expect(bytes).not.toContain('5678');
    }
    const got = await officer.client.get(`/api/v1/subjects/${res.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.records[0].value).toBe('z***@example.com');
  });

  it('finds a subject by e-mail or phone through the blind index, in any spelling', async () => {
    const created = await officer.client.post('/api/v1/subjects', {
      records: [
        {
          category: 'email',
          purpose: 'consultation',
          value: 'li.si@example.net',
          source: 'web_form',
        },
        {
          category: 'phone',
          purpose: 'consultation',
          value: '+86 139-0000-1111',
          source: 'web_form',
        },
      ],
    });
    const byEmail = await officer.client.post('/api/v1/subjects/search', {
      email: '  LI.SI@EXAMPLE.NET ',
    });
    expect(byEmail.status).toBe(200);
    expect(byEmail.body.items.map((s: { id: string }) => s.id)).toEqual([created.body.id]);
    const byPhone = await officer.client.post('/api/v1/subjects/search', { phone: '13900001111' });
    expect(byPhone.body.items.map((s: { id: string }) => s.id)).toEqual([created.body.id]);
    const none = await officer.client.post('/api/v1/subjects/search', {
      email: 'nobody@example.net',
    });
    expect(none.body.items).toEqual([]);
  });

  it('reveals clear values only with pi.reveal and a reason, and audits it', async () => {
    const created = await officer.client.post('/api/v1/subjects', person);
    const id = created.body.id as string;
    const denied = await admin.client.post(`/api/v1/subjects/${id}/reveal`, {
      reason: 'checking the address for a request',
    });
    expect(denied.status).toBe(403);
    const noReason = await officer.client.post(`/api/v1/subjects/${id}/reveal`, {});
    expect(noReason.status).toBe(400);
    const ok = await officer.client.post(`/api/v1/subjects/${id}/reveal`, {
      reason: 'answering access request R-1001',
    });
    expect(ok.status).toBe(200);
    expect(ok.body.records.map((r: { value: string }) => r.value)).toEqual([
      'zhang.san@example.com',
      '+8613812345678',
      '张三丰',
      '11010519491231002X',
    ]);
    const events = await env.ctx.store.db
      .selectFrom('audit_events')
      .select(['action', 'entry'])
      .where('target_id', '=', id)
      .execute();
    const reveal = events.find((e) => e.action === 'subject.reveal');
    expect(reveal).toBeDefined();
    const entry = reveal!.entry.toString('utf8');
    expect(entry).toContain('answering access request R-1001');
    for (const e of events) {
      const text = e.entry.toString('utf8');
      expect(text).not.toContain('zhang.san');
      expect(text).not.toContain('13812345678');
      expect(text).not.toContain('11010519491231002X');
    }
  });

  it('refuses a reveal reason that itself carries personal data', async () => {
    const created = await officer.client.post('/api/v1/subjects', person);
    const res = await officer.client.post(`/api/v1/subjects/${created.body.id}/reveal`, {
      reason: 'customer zhang.san@example.com asked',
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].pointer).toBe('/body/reason');
  });

  it('scopes staff to their controllers: another controller’s subject is a 404', async () => {
    const a = await admin.client.post('/api/v1/controllers', {
      slug: `client-a-${kind}`,
      name: 'Client A',
    });
    const b = await admin.client.post('/api/v1/controllers', {
      slug: `client-b-${kind}`,
      name: 'Client B',
    });
    expect(a.status).toBe(201);
    const handlerA = await loginAs(env, 'request_handler', { controllers: [a.body.id] });
    const inA = await handlerA.client.post('/api/v1/subjects', {
      controllerId: a.body.id,
      ...person,
    });
    expect(inA.status).toBe(201);
    const inB = await officer.client.post('/api/v1/subjects', {
      controllerId: b.body.id,
      ...person,
    });
    expect(inB.status).toBe(201);

    expect((await handlerA.client.get(`/api/v1/subjects/${inA.body.id}`)).status).toBe(200);
    expect((await handlerA.client.get(`/api/v1/subjects/${inB.body.id}`)).status).toBe(404);
    expect(
      (
        await handlerA.client.post(`/api/v1/subjects/${inB.body.id}/reveal`, {
          reason: 'trying the other client',
        })
      ).status,
    ).toBe(404);
    expect(
      (
        await handlerA.client.post(`/api/v1/subjects/${inB.body.id}/records`, {
          records: person.records,
        })
      ).status,
    ).toBe(404);
    expect((await handlerA.client.get(`/api/v1/controllers/${b.body.id}`)).status).toBe(404);
    expect(
      (await handlerA.client.post('/api/v1/subjects', { controllerId: b.body.id, ...person }))
        .status,
    ).toBe(404);
    const search = await handlerA.client.post('/api/v1/subjects/search', {
      email: 'zhang.san@example.com',
    });
    expect(search.body.items.map((s: { id: string }) => s.id)).toEqual([inA.body.id]);
    const list = await handlerA.client.get('/api/v1/subjects?limit=200');
    expect(
      list.body.items.every((s: { controllerId: string }) => s.controllerId === a.body.id),
    ).toBe(true);
    const controllers = await handlerA.client.get('/api/v1/controllers');
    expect(controllers.body.items.map((c: { id: string }) => c.id)).toEqual([a.body.id]);
  });

  it('erases a subject by destroying its data key', async () => {
    const created = await officer.client.post('/api/v1/subjects', person);
    const id = created.body.id as string;
    const erased = await officer.client.post(`/api/v1/subjects/${id}/erase`, {
      reason: 'deletion request R-2002 fulfilled',
    });
    expect(erased.status).toBe(200);
    expect(erased.body).toMatchObject({ status: 'erased', keyDestroyed: true, records: 4 });
    const after = await officer.client.get(`/api/v1/subjects/${id}`);
    expect(after.body).toMatchObject({ status: 'erased', records: [] });
    expect(await env.ctx.keyring.dataKey(env.ctx.store.db, 'subject', id)).toBeNull();
    const again = await officer.client.post(`/api/v1/subjects/${id}/erase`, {
      reason: 'deletion request R-2002 fulfilled',
    });
    expect(again.status).toBe(409);
  });

  it('sets each record’s expiry from its purpose’s retention period', async () => {
    const collectedAt = '2026-01-10T08:00:00.000Z';
    const res = await officer.client.post('/api/v1/subjects', {
      records: [
        {
          category: 'email',
          purpose: 'consultation',
          value: 'wu.liu@example.com',
          source: 'api',
          collectedAt,
        },
        { category: 'name', purpose: 'contract', value: '吴六', source: 'api', collectedAt },
      ],
    });
    expect(res.status).toBe(201);
    // consultation keeps 365 days, contract 1825 days (the data map's seed).
    expect(res.body.records.map((r: { expiresAt: string }) => r.expiresAt)).toEqual([
      '2027-01-10T08:00:00.000Z',
      '2031-01-09T08:00:00.000Z',
    ]);
    const added = await officer.client.post(`/api/v1/subjects/${res.body.id}/records`, {
      records: [
        { category: 'ip_address', purpose: 'security_logs', value: '203.0.113.9', source: 'api' },
      ],
    });
    expect(added.status).toBe(201);
    const got = await officer.client.get(`/api/v1/subjects/${res.body.id}`);
    const ip = got.body.records.find((r: { category: string }) => r.category === 'ip_address');
    const expected = Date.parse(ip.collectedAt) + 183 * 86_400_000;
    expect(Date.parse(ip.expiresAt)).toBe(expected);
    const stored = await env.ctx.store.db
      .selectFrom('pi_records')
      .select('expires_at')
      .where('subject_id', '=', res.body.id)
      .execute();
    expect(stored.every((r) => r.expires_at !== null)).toBe(true);
  });

  it('accepts any taxonomy category its purpose declares, masked as text', async () => {
    const res = await officer.client.post('/api/v1/subjects', {
      records: [
        {
          category: 'cookie_id',
          purpose: 'website_analytics',
          value: 'c0ffee-4242-abcdef',
          source: 'web_form',
        },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.records[0]).toMatchObject({ category: 'cookie_id', masked: true });
    expect(res.body.records[0].value).not.toBe('c0ffee-4242-abcdef');
  });

  it('refuses a record whose purpose or category the data map does not declare, writing nothing', async () => {
    const count = async () => {
      const [s, r, a] = await Promise.all(
        (['subjects', 'pi_records', 'audit_events'] as const).map((t) =>
          env.ctx.store.db
            .selectFrom(t)
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .executeTakeFirstOrThrow(),
        ),
      );
      return [Number(s!.n), Number(r!.n), Number(a!.n)];
    };
    const existing = await officer.client.post('/api/v1/subjects', person);
    const before = await count();
    const good = {
      category: 'email',
      purpose: 'consultation',
      value: 'qian.qi@example.com',
      source: 'api',
    };
    const cases: Array<[unknown[], string, RegExp]> = [
      [[good, { ...good, purpose: 'account' }], '/body/records/1/purpose', /not an active purpose/],
      [
        [{ ...good, category: 'bank_card', value: '6222020200112233445' }],
        '/body/records/0/category',
        /not declared/,
      ],
      [[{ ...good, category: 'genome' }], '/body/records/0/category', /not declared/],
      [[{ ...good, purpose: 'security_logs' }], '/body/records/0/category', /not declared/],
    ];
    for (const [records, pointer, detail] of cases) {
      for (const path of ['/api/v1/subjects', `/api/v1/subjects/${existing.body.id}/records`]) {
        const res = await officer.client.post(path, { records });
        expect(res.status, res.text).toBe(400);
        expect(res.body.type).toBe('urn:custos:problem:validation');
        expect(res.body.errors[0].pointer).toBe(pointer);
        expect(res.body.errors[0].detail).toMatch(detail);
        expect(res.text).not.toContain('qian.qi');
      }
    }
    expect(await count()).toEqual(before);
  });

  it('refuses to erase a subject under a legal hold until the hold is released', async () => {
    const created = await officer.client.post('/api/v1/subjects', person);
    const id = created.body.id as string;
    const hold = await officer.client.post('/api/v1/retention/holds', {
      scope: 'subject',
      targetId: id,
      reason: 'court case 2026-17 requires these records',
      endsAt: new Date(env.clock.now().getTime() + 86_400_000).toISOString(),
    });
    expect(hold.status).toBe(201);
    const refused = await officer.client.post(`/api/v1/subjects/${id}/erase`, {
      reason: 'deletion request R-3003 received',
    });
    expect(refused.status).toBe(409);
    expect((await officer.client.get(`/api/v1/subjects/${id}`)).body.records).toHaveLength(4);
    const released = await officer.client.post(`/api/v1/retention/holds/${hold.body.id}/release`, {
      reason: 'the court case was settled',
    });
    expect(released.status).toBe(200);
    const erased = await officer.client.post(`/api/v1/subjects/${id}/erase`, {
      reason: 'deletion request R-3003 received',
    });
    expect(erased.status).toBe(200);
  });
});
