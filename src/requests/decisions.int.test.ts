// Decisions on a rights request that carry legal weight, over HTTP and real SMTP on SQLite and
// PostgreSQL: refusals on coded grounds (ground 5 needs a second privacy officer and evidence), the
// refusal notice and one appeal, forbidden transitions, and a fee for a repeated request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../test/support/db.js';
import type { TestEnv } from '../../test/support/env.js';
import { loginAs, type Staff } from '../../test/support/http.js';
import {
  count,
  expectProblem,
  harness,
  PRIVACY_CONTACT,
  startWithSink,
  uniqueEmail,
} from '../../test/support/requests-harness.js';
import type { SmtpSink } from '../../test/support/smtp-sink.js';
import { groundInfo } from './grounds.js';

describe.each(DB_KINDS)('rights request decisions on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let handler: Staff;
  let officer: Staff;
  let officer2: Staff;
  const h = harness(
    () => env,
    () => sink,
  );

  beforeAll(async () => {
    ({ env, sink } = await startWithSink(kind, { CUSTOS_PRIVACY_CONTACT: PRIVACY_CONTACT }));
    handler = await loginAs(env, 'request_handler');
    officer = await loginAs(env, 'privacy_officer');
    officer2 = await loginAs(env, 'privacy_officer');
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('refusal on ground 5 needs another privacy officer and evidence; the notice names ground, reasons, complaint route and court', async () => {
    const email = uniqueEmail('han.mei');
    const { id, token } = await h.submitVerified({ type: 'deletion', lang: 'en', email });
    const events = await count(env, 'request_events', id);

    const noGround = await officer.client.post(`/api/v1/requests/${id}/refuse`, {
      reason: 'No ground given',
    });
    expectProblem(noGround, 400, 'validation', '/body/ground');
    const badGround = await officer.client.post(`/api/v1/requests/${id}/refuse`, {
      ground: 'because',
      reason: 'Made up ground',
    });
    expectProblem(badGround, 400, 'validation', '/body/ground');
    const piReason = await officer.client.post(`/api/v1/requests/${id}/refuse`, {
      ground: 'malice_or_abuse',
      reason: `The person at ${email} keeps asking`,
    });
    expectProblem(piReason, 400, 'validation', '/body/reason');
    expect(await count(env, 'request_events', id)).toBe(events);

    const proposed = await officer.client.post(`/api/v1/requests/${id}/refuse`, {
      ground: 'malice_or_abuse',
      reason: 'Forty identical requests in one week, documented in the case file.',
    });
    expect(proposed.status).toBe(200);
    expect(proposed.body.status).toBe('open');
    expect(proposed.body.refusal).toMatchObject({ ground: 'malice_or_abuse', pending: true });

    // A handler cannot approve at all; the proposer cannot approve their own refusal.
    const byHandler = await handler.client.post(`/api/v1/requests/${id}/refuse/approve`, {
      evidenceRef: 'CASE-1',
    });
    expectProblem(byHandler, 403, 'forbidden');
    const bySame = await officer.client.post(`/api/v1/requests/${id}/refuse/approve`, {
      evidenceRef: 'CASE-1',
    });
    expectProblem(bySame, 409, 'conflict');
    const noEvidence = await officer2.client.post(`/api/v1/requests/${id}/refuse/approve`, {});
    expectProblem(noEvidence, 400, 'validation', '/body/evidenceRef');
    expect((await h.pub().get(`/api/v1/requests/${id}/status?token=${token}`)).body.status).toBe(
      'open',
    );
    // Fulfilling while a refusal waits is refused too.
    expectProblem(await handler.client.post(`/api/v1/requests/${id}/fulfil`, {}), 409, 'conflict');

    const approved = await officer2.client.post(`/api/v1/requests/${id}/refuse/approve`, {
      evidenceRef: 'CASE-2026-017',
    });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('refused');
    expect(approved.body.refusal).toMatchObject({
      pending: false,
      evidenceRef: 'CASE-2026-017',
      proposedBy: officer.id,
      approvedBy: officer2.id,
    });

    const notice = (await h.mailsTo(email)).find((m) => m.parsed.subject?.includes('Our answer'));
    const text = notice?.parsed.text ?? '';
    expect(text).toContain(groundInfo('malice_or_abuse').label.en);
    expect(text).toContain('Forty identical requests in one week');
    expect(text).toContain(PRIVACY_CONTACT);
    expect(text).toMatch(/court/);
    expect(text).toMatch(/authority responsible for personal information protection/);

    const status = await h.pub().get(`/api/v1/requests/${id}/status?token=${token}`);
    expect(status.body.refusal).toMatchObject({
      ground: 'malice_or_abuse',
      label: groundInfo('malice_or_abuse').label,
    });

    // The person appeals once: back to work.
    const appeal = await h.pub().post(`/api/v1/requests/${id}/appeal`, {
      token,
      reason: 'I only asked twice.',
    });
    expect(appeal.status).toBe(200);
    expect(appeal.body.status).toBe('in_progress');
    const again = await h.pub().post(`/api/v1/requests/${id}/appeal`, { token, reason: 'Again' });
    expectProblem(again, 409, 'conflict');
  });

  it('a ground without a second approver refuses at once; a forbidden transition is a 409 naming state and action', async () => {
    const email = uniqueEmail('wei.ping');
    const { id } = await h.submitVerified({ type: 'correction', lang: 'zh-CN', email });
    const refused = await handler.client.post(`/api/v1/requests/${id}/refuse`, {
      ground: 'statutory_retention',
      reason: 'Records must be kept for the statutory period.',
    });
    expect(refused.status).toBe(200);
    expect(refused.body.status).toBe('refused');
    const notice = (await h.mailsTo(email)).find((m) => m.parsed.subject?.includes('答复'));
    expect(notice?.parsed.text).toContain(groundInfo('statutory_retention').label['zh-CN']);
    expect(notice?.parsed.text).toContain('人民法院');

    const events = await count(env, 'request_events', id);
    const start = await handler.client.post(`/api/v1/requests/${id}/start`);
    expectProblem(start, 409, 'conflict');
    expect(start.body.detail).toContain('"refused"');
    expect(start.body.detail).toContain('"start"');
    const fulfil = await handler.client.post(`/api/v1/requests/${id}/fulfil`, {});
    expectProblem(fulfil, 409, 'conflict');
    expect(await count(env, 'request_events', id)).toBe(events);
  });

  it('the third request of a type in the window is flagged; a quoted fee declined withdraws it', async () => {
    const email = uniqueEmail('fee.payer');
    await h.submitVerified({ type: 'copy', lang: 'en', email, details: 'first' });
    await h.submitVerified({ type: 'copy', lang: 'en', email, details: 'second' });
    const third = await h.submitVerified({ type: 'copy', lang: 'en', email, details: 'third' });
    const view = await handler.client.get(`/api/v1/requests/${third.id}`);
    expect(view.body.fee.status).toBe('flagged');

    expectProblem(
      await handler.client.post(`/api/v1/requests/${third.id}/fulfil`, {}),
      409,
      'conflict',
    );
    expectProblem(
      await handler.client.post(`/api/v1/requests/${third.id}/fee/quote`, {
        amountCents: 2000,
        costBasis: 'Staff time',
      }),
      403,
      'forbidden',
    );
    const quoted = await officer.client.post(`/api/v1/requests/${third.id}/fee/quote`, {
      amountCents: 2000,
      costBasis: 'Two hours of staff time to compile a third package',
    });
    expect(quoted.status).toBe(200);
    expect(quoted.body.fee).toMatchObject({
      status: 'quoted',
      amountCents: 2000,
      approvedBy: officer.id,
    });
    const quoteMail = (await h.mailsTo(email)).find((m) => m.parsed.subject?.includes('A fee'));
    expect(quoteMail?.parsed.text).toContain('CNY 20.00');

    const seen = await h.pub().get(`/api/v1/requests/${third.id}/status?token=${third.token}`);
    expect(seen.body.fee).toMatchObject({ status: 'quoted', amountCents: 2000 });
    const declined = await h.pub().post(`/api/v1/requests/${third.id}/fee`, {
      token: third.token,
      accept: false,
    });
    expect(declined.status).toBe(200);
    expect(declined.body).toMatchObject({ status: 'withdrawn', fee: { status: 'declined' } });
    expectProblem(
      await h.pub().post(`/api/v1/requests/${third.id}/withdraw`, { token: third.token }),
      409,
      'conflict',
    );
  });
});
