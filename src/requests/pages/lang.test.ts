// Choosing the page language from ?lang= and Accept-Language.
import { describe, expect, it } from 'vitest';
import { negotiateLang, pageLang } from './lang.js';

describe('page language', () => {
  it('prefers an explicit choice', () => {
    expect(pageLang('en', 'zh-CN')).toBe('en');
    expect(pageLang('zh-CN', 'en-US')).toBe('zh-CN');
  });
  it('falls back to Accept-Language by quality', () => {
    expect(negotiateLang('fr;q=1, en-GB;q=0.8, zh;q=0.5')).toBe('en');
    expect(negotiateLang('en;q=0.3, zh-TW;q=0.9')).toBe('zh-CN');
    expect(negotiateLang('en;q=0')).toBe('zh-CN');
  });
  it('defaults to Simplified Chinese', () => {
    expect(pageLang(undefined, undefined)).toBe('zh-CN');
    expect(pageLang('xx', 'de-DE')).toBe('zh-CN');
    expect(pageLang(['en'], '')).toBe('zh-CN');
  });
});
