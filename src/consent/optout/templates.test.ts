// The marketing mail in both languages: the RFC 8058 header pair, the visible link, and escaping.
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../notify/templates.js';
import type { MarketingMessageParams } from './templates.js';

const url = 'https://privacy.example.cn/api/v1/unsubscribe?token=abc_DEF-123&lang=zh-CN';
const params: MarketingMessageParams = {
  title: '新品 <发布> & "活动"',
  body: '第一段\n第二行\n\n<script>x</script>',
  unsubscribeUrl: url,
};

describe('marketing mail', () => {
  it.each(['zh-CN', 'en'] as const)(
    'carries the one-click headers and a visible link (%s)',
    (lang) => {
      const r = renderTemplate('marketing_message', lang, params);
      expect(r.headers).toEqual({
        'List-Unsubscribe': `<${url}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      });
      expect(r.subject).toBe(params.title);
      expect(r.text).toContain(url);
      expect(r.text).toContain(lang === 'en' ? 'unsubscribe at any time' : '随时退订');
      expect(r.html).toContain(`<html lang="${lang}">`);
      expect(r.html).toContain(`href="${url.replace('&', '&amp;')}"`);
    },
  );

  it('escapes the title and body in the HTML part and keeps paragraphs and line breaks', () => {
    const r = renderTemplate('marketing_message', 'zh-CN', params);
    expect(r.html).toContain('<h1>新品 &lt;发布&gt; &amp; &quot;活动&quot;</h1>');
    expect(r.html).toContain('<p>第一段<br>第二行</p>');
    expect(r.html).toContain('<p>&lt;script&gt;x&lt;/script&gt;</p>');
    expect(r.html).not.toContain('<script>');
  });

  it('refuses an unsubscribe URL that could break out of the header', () => {
    for (const bad of [
      'https://x.example/u?t=1> , <mailto:a@b.example',
      'https://x.example/u?t=1\r\nBcc: a@b.example',
      'javascript:alert(1)',
      'https://x.example/a b',
    ])
      expect(() =>
        renderTemplate('marketing_message', 'en', { ...params, unsubscribeUrl: bad }),
      ).toThrow(/do not fit/);
  });
});
