// Submitting and verifying a rights request over HTTP and real SMTP on SQLite and PostgreSQL: bad
// input is a 400 naming the field and writes nothing, the same request twice is one, a forged token
// is a 404, wrong codes are capped then locked, and a phone-only request is verified by SMS.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import type { TestEnv } from '../../test/support/env.js';
import {
  count,
  expectProblem,
  harness,
  PRIVACY_CONTACT,
  startWithSink,
  uniqueEmail,
} from '../../test/support/requests-harness.js';
import type { SmtpSink } from '../../test/support/smtp-sink.js';

describe.each(DB_KINDS)('rights request intake on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  const h = harness(
    () => env,
    () => sink,
  );

  beforeAll(async () => {
    ({ env, sink } = await startWithSink(kind, { CUSTOS_PRIVACY_CONTACT: PRIVACY_CONTACT }));
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('bad submissions are 400s naming the field and create nothing; the same request twice is one request', async () => {
    const before = await count(env, 'requests');
    const email = uniqueEmail('bad.input');
    expectProblem(await h.submit({ type: 'teleport', email }), 400, 'validation', '/body/type');
    expectProblem(
      await h.submit({ type: 'access', email: 'not-an-email' }),
      400,
      'validation',
      '/body/email',
    );
    expectProblem(
      await h.submit({ type: 'access', phone: '12' }),
      400,
      'validation',
      '/body/phone',
    );
    expectProblem(
      await h.submit({ type: 'access', name: 'Nobody' }),
      400,
      'validation',
      '/body/email',
    );
    expectProblem(
      await h.submit({ type: 'access', email, details: 'x'.repeat(4001) }),
      400,
      'validation',
      '/body/details',
    );
    expectProblem(
      await h.submit({ type: 'access', email, controller: 'no-such-client' }),
      400,
      'validation',
      '/body/controller',
    );
    expectProblem(
      await h.submit({ type: 'access', email, extra: 1 }),
      400,
      'validation',
      '/body/extra',
    );
    expect(await count(env, 'requests')).toBe(before);

    const body = { type: 'deletion', email, details: 'Delete everything' };
    const first = await h.submit(body);
    expect(first.status).toBe(201);
    const second = await h.submit({ ...body, email: email.toUpperCase() });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ id: first.body.id, duplicate: true, statusToken: null });
    expect(await count(env, 'requests')).toBe(before + 1);
  });

  it('a forged token is a 404; wrong codes are capped then locked; a new code works', async () => {
    const email = uniqueEmail('code.tries');
    const res = await h.submit({ type: 'explain', lang: 'en', email });
    const id = res.body.id as string;
    const token = res.body.statusToken as string;
    const forged = randomBytes(32).toString('base64url');
    expectProblem(
      await h.pub().get(`/api/v1/requests/${id}/status?token=${forged}`),
      404,
      'not-found',
    );
    expectProblem(
      await h.pub().post(`/api/v1/requests/${id}/verify`, { token: forged, code: '000000' }),
      404,
      'not-found',
    );
    expectProblem(
      await h.pub().post(`/api/v1/requests/${id}/withdraw`, { token: 'x' }),
      404,
      'not-found',
    );

    const code = await h.codeFor(email);
    const wrong = code === '111111' ? '222222' : '111111';
    for (let left = 4; left >= 1; left--) {
      const r = await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code: wrong });
      expectProblem(r, 400, 'validation', '/body/code');
      expect(r.body.detail).toContain(`${left} tr`);
    }
    expectProblem(
      await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code: wrong }),
      409,
      'conflict',
    );
    // Locked: even the right code no longer works.
    expectProblem(
      await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code }),
      409,
      'conflict',
    );
    const v = await env.ctx.store.db
      .selectFrom('request_verifications')
      .selectAll()
      .where('request_id', '=', id)
      .executeTakeFirstOrThrow();
    expect(v.attempts).toBe(5);
    expect(v.locked_at).not.toBeNull();
    expect((await h.pub().get(`/api/v1/requests/${id}/status?token=${token}`)).body.status).toBe(
      'verifying',
    );

    const resent = await h.pub().post(`/api/v1/requests/${id}/verification`, { token });
    expect(resent.status).toBe(200);
    const fresh = await h.codeFor(email);
    const ok = await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code: fresh });
    expect(ok.status).toBe(200);
    expect(ok.body.status).toBe('open');
    expectProblem(
      await h.pub().post(`/api/v1/requests/${id}/verify`, { token, code: fresh }),
      409,
      'conflict',
    );
  });

  it('a phone-only request gets its code by the SMS sender (logged with the request id only)', async () => {
    const res = await h.submit({ type: 'access', phone: '+86 138 0013 8000' });
    expect(res.status).toBe(201);
    expect(res.body.verification).toBe('sms');
    const line = env.logs.find((l) => l.includes(res.body.id) && l.includes('"code"'));
    expect(line).toBeDefined();
    expect(line).not.toContain('13800138000');
    const code = (JSON.parse(line!) as { code: string }).code;
    const ok = await h.pub().post(`/api/v1/requests/${res.body.id}/verify`, {
      token: res.body.statusToken,
      code,
    });
    expect(ok.status).toBe(200);
  });
});
