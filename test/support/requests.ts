// A person's side of a rights request, over the real API and a real SMTP exchange: submit, read the
// code from the mail sink, verify. Shared by the request test files.
import { deliverOutbox } from '../../src/notify/deliver.js';
import type { TestEnv } from './env.js';
import { Client } from './http.js';
import type { SmtpSink } from './smtp-sink.js';

/** Sends everything queued in the outbox (a few rounds, for mail caused by mail). */
export async function drain(env: TestEnv): Promise<void> {
  for (let i = 0; i < 10; i++) {
    const r = await deliverOutbox(env.ctx);
    if (r.sent + r.retried + r.failed === 0) return;
  }
}

/** Mails the sink received for `to`. */
export const mailsTo = (sink: SmtpSink, to: string) =>
  sink.mails.filter((m) => m.envelope.to.includes(to));

/** A person submits a request by API (lang en) and confirms it with the code mailed to them. */
export async function submitAndVerify(
  env: TestEnv,
  sink: SmtpSink,
  input: { email: string; type?: string; name?: string; details?: string; controller?: string },
): Promise<{ id: string; token: string }> {
  const person = new Client(env.url);
  const submitted = await person.post('/api/v1/requests', {
    type: input.type ?? 'access',
    lang: 'en',
    email: input.email,
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.details === undefined ? {} : { details: input.details }),
    ...(input.controller === undefined ? {} : { controller: input.controller }),
  });
  if (submitted.status !== 201) throw new Error(`submit: ${submitted.status} ${submitted.text}`);
  await drain(env);
  const codeMail = mailsTo(sink, input.email).find((m) =>
    (m.parsed.subject ?? '').startsWith('Your confirmation code: '),
  );
  const code = /(\d{6})$/.exec(codeMail?.parsed.subject ?? '')?.[1];
  if (code === undefined) throw new Error('no code mail');
  const verified = await person.post(`/api/v1/requests/${submitted.body.id}/verify`, {
    token: submitted.body.statusToken,
    code,
  });
  if (verified.status !== 200) throw new Error(`verify: ${verified.status} ${verified.text}`);
  return { id: submitted.body.id, token: submitted.body.statusToken };
}
