// Escaping and time formats of mail templates.
import { describe, expect, it } from 'vitest';
import { escapeHtml, formatTime } from './render.js';
import { renderTemplate } from './templates.js';

describe('mail rendering', () => {
  it('escapes every HTML-significant character', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('writes times in UTC for English and Beijing time for Chinese', () => {
    expect(formatTime('2026-11-28T17:05:00.000Z', 'en')).toBe('2026-11-28 17:05 UTC');
    expect(formatTime('2026-11-28T17:05:00.000Z', 'zh-CN')).toBe(
      '2026年11月29日 01:05（北京时间）',
    );
  });

  it('refuses parameters that do not fit the template', () => {
    expect(() =>
      renderTemplate('incident_notice', 'en', { title: 'x' } as unknown as Parameters<
        typeof renderTemplate<'incident_notice'>
      >[2]),
    ).toThrow(/do not fit/);
  });
});
