// Guessing the request type and the answer language from a mail's words.
import { describe, expect, it } from 'vitest';
import { guessLang, guessRequestType } from './classify.js';

describe('guessRequestType', () => {
  it.each([
    ['请删除我的个人信息', 'deletion'],
    ['Please delete everything you hold about me', 'deletion'],
    ['我的地址有误，请更正', 'correction'],
    ['Please correct my phone number', 'correction'],
    ['请提供我的个人信息副本', 'copy'],
    ['Can I get a copy of my data?', 'copy'],
    ['我想查阅你们保存的我的信息', 'access'],
    ['I would like access to my personal information', 'access'],
    ['请把我的数据转移到另一家公司', 'portability'],
    ['Data portability request', 'portability'],
    ['我要撤回同意，不再接收', 'withdraw_consent'],
    ['I withdraw my consent to marketing', 'withdraw_consent'],
    ['请注销我的账户并删除数据', 'account_cancellation'],
    ['Please close my account', 'account_cancellation'],
    ['请解释你们如何使用我的信息', 'explain'],
    ['Please explain how you use my data', 'explain'],
    ['我要投诉你们泄露了我的信息', 'complaint'],
    ['This is a complaint about your handling', 'complaint'],
    ['我父亲已故，请删除他的信息', 'deceased_relative'],
    ['Hello, what do you know about me?', 'access'],
  ] as const)('%s → %s', (text, type) => {
    expect(guessRequestType(text)).toBe(type);
  });

  it('does not read a word inside another word', () => {
    expect(guessRequestType('My colleague Mr Copyright asked me to write')).toBe('access');
  });
});

describe('guessLang', () => {
  it('answers in Chinese when the person wrote Chinese', () => {
    expect(guessLang('Hello 你好')).toBe('zh-CN');
    expect(guessLang('Hello there')).toBe('en');
  });
});
