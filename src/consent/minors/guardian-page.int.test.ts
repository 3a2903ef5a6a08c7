// The guardian's page over real HTTP and real SMTP, on SQLite and PostgreSQL: reached from the
// guardian's mail, it works without JavaScript (strict CSP, plain forms) in English and Chinese,
// shows kinds of information, never the child's values, verifies, decides once, and a forged link
// finds nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_KINDS } from '../../../test/support/db.js';
import type { TestEnv } from '../../../test/support/env.js';
import { guardianHarness, startGuardian } from '../../../test/support/guardian.js';
import type { Client, Res } from '../../../test/support/http.js';
import type { SmtpSink } from '../../../test/support/smtp-sink.js';

const PAGE_CSP =
  "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

function postForm(client: Client, path: string, fields: Record<string, string>): Promise<Res> {
  return client.send('POST', path, {
    raw: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

function textOf(html: string, id: string): string | null {
  const m = new RegExp(`id="${id}"[^>]*>([\\s\\S]*?)</`).exec(html);
  return m ? m[1]!.trim() : null;
}

describe.each(DB_KINDS)('guardian consent page on %s', (kind) => {
  let env: TestEnv;
  let sink: SmtpSink;
  let web: Client;
  const { hold, inquiry, heldChild } = guardianHarness(() => ({ env, sink, web }));

  beforeAll(async () => {
    ({ env, sink, web } = await startGuardian(kind));
  });
  afterAll(async () => {
    await env?.close();
    await sink?.close();
  });

  it('works on the guardian page without JavaScript', async () => {
    const { res, code, holdId, token, path } = await heldChild();
    const page = await web.get(path);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(PAGE_CSP);
    expect(page.text).toContain('<html lang="en">');
    expect(page.text).not.toMatch(/<script|style=/i);
    expect(page.text).toContain('Kids coding club sign-up');
    expect(page.text).toContain('<label for="field-code">Code (required)</label>');
    // Kinds of information only, never the child's values.
    expect(page.text).toContain('Date of birth');
    expect(page.text).not.toContain('Xiao Ming');

    const zh = await web.get(
      `/privacy/guardian/${holdId}?token=${encodeURIComponent(token)}&lang=zh-CN`,
    );
    expect(zh.status).toBe(200);
    expect(zh.text).toContain('<html lang="zh-CN">');
    expect(zh.text).toContain('少儿编程俱乐部报名');

    const wrong = await postForm(web, `/privacy/guardian/${holdId}?lang=en`, {
      token,
      lang: 'en',
      action: 'verify',
      code: code === '000000' ? '111111' : '000000',
    });
    expect(wrong.status).toBe(400);
    expect(textOf(wrong.text, 'code-error')).toBe(
      'This code is not right; check it and try again (4 tries left).',
    );
    expect(wrong.text).toContain('aria-invalid="true"');
    const ok = await postForm(web, `/privacy/guardian/${holdId}?lang=en`, {
      token,
      lang: 'en',
      action: 'verify',
      code,
    });
    expect(ok.status).toBe(200);
    expect(ok.text).toContain('You are verified; please decide.');
    expect(ok.text).toContain(
      '<button type="submit" name="decision" value="consent">I consent</button>',
    );
    const guardianNotice = await env.ctx.store.db
      .selectFrom('consent_notices')
      .select('text')
      .where('purpose_key', '=', 'guardian_consent')
      .where('lang', '=', 'en')
      .executeTakeFirstOrThrow();
    expect(textOf(ok.text, 'guardian-notice')).toBe(guardianNotice.text);

    const decided = await postForm(web, `/privacy/guardian/${holdId}?lang=en`, {
      token,
      lang: 'en',
      action: 'decide',
      decision: 'consent',
    });
    expect(decided.status).toBe(200);
    expect(textOf(decided.text, 'state')).toContain('You consented');
    expect(decided.text).toMatch(/<a id="receipt-link" href="\/api\/v1\/consent\/receipt\?token=/);
    expect((await inquiry(res.body.id)).status).toBe('received');
    // Deciding again shows where it stands.
    const again = await postForm(web, `/privacy/guardian/${holdId}?lang=en`, {
      token,
      lang: 'en',
      action: 'decide',
      decision: 'refuse',
    });
    expect(again.status).toBe(409);
    expect(textOf(again.text, 'state')).toContain('You consented');
    expect((await hold(holdId)).status).toBe('consented');

    const forged = await web.get(`/privacy/guardian/${holdId}?token=forged&lang=en`);
    expect(forged.status).toBe(404);
    expect(forged.text).toContain('Page not found');
    expect((await web.get(`/privacy/guardian/${holdId}`)).status).toBe(404);
  });
});
