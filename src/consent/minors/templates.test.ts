// The guardian mail in both languages: the code, the link, the purpose and the deadline, escaped.
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../notify/templates.js';

const params = {
  code: '042917',
  minutes: '15',
  link: 'https://custos.example/privacy/guardian/0190a0b1-0000-7000-8000-000000000000?token=abc&lang=en',
  purposeName: 'Kids <club> & friends',
  deadline: '2026-12-08T04:00:00.000Z',
};

describe('guardian code mail', () => {
  it('carries the code, the link, the purpose and the deadline in English', () => {
    const m = renderTemplate('guardian_code', 'en', params);
    expect(m.subject).toBe('Guardian verification code: 042917');
    expect(m.text).toContain('042917 (valid for 15 minutes)');
    expect(m.text).toContain(params.link);
    expect(m.text).toContain('Kids <club> & friends');
    expect(m.text).toContain('2026-12-08 04:00 UTC');
    expect(m.text).toContain('art. 31');
    expect(m.html).toContain('Kids &lt;club&gt; &amp; friends');
    expect(m.html).toContain('?token=abc&amp;lang=en');
    expect(m.html).not.toContain('<club>');
  });

  it('is written in Chinese with Beijing time', () => {
    const m = renderTemplate('guardian_code', 'zh-CN', params);
    expect(m.subject).toBe('监护人验证码：042917');
    expect(m.text).toContain('042917（15 分钟内有效）');
    expect(m.text).toContain('2026年12月8日 12:00（北京时间）');
    expect(m.text).toContain('第三十一条');
    expect(m.text).toContain(params.link);
  });
});
