// The shared checks of a collection submission: declared fields only, formats, ages, consents.
import { describe, expect, it } from 'vitest';
import {
  ageOn,
  chinaDate,
  checkInquiry,
  parseBirthDate,
  type FormContext,
  type InquiryDraft,
} from './fields.js';

const field = (key: string, required: boolean) => ({ key, required, nameEn: key, nameZh: key });

const FORM: FormContext = {
  purpose: {
    key: 'kids_club',
    nameEn: 'Kids club',
    nameZh: '儿童俱乐部',
    legalBasis: 'contract',
    fields: [
      field('email', true),
      field('phone', true),
      field('birth_date', false),
      field('free_text', false),
      field('name', false),
    ],
  },
  policyVersionExists: true,
  offers: [
    { key: 'marketing', nameEn: 'M', nameZh: 'M', separate: false, categories: ['email'] },
    { key: 'sharing', nameEn: 'S', nameZh: 'S', separate: true, categories: ['email'] },
  ],
  consentPurposes: new Set(['marketing', 'sharing', 'website_analytics']),
};

const NOW = new Date('2026-06-01T04:00:00Z'); // 12:00 in Beijing

const draft = (over: Partial<InquiryDraft> = {}): InquiryDraft => ({
  purpose: 'kids_club',
  lang: 'en',
  policyVersion: '2026.1',
  fields: { email: 'a@example.com', phone: '13812345678' },
  consents: {},
  ...over,
});

const problemsOf = (d: InquiryDraft, form: FormContext = FORM) => {
  const r = checkInquiry(form, d, NOW, 14);
  return r.ok ? [] : r.problems.map((p) => `${p.path} ${p.kind}`);
};

describe('collection checks', () => {
  it('accepts declared fields and treats empty optional ones as absent', () => {
    const r = checkInquiry(
      FORM,
      draft({ fields: { email: ' a@example.com ', phone: '+44 20 7946 0958', name: '  ' } }),
      NOW,
      14,
    );
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.inquiry.values).toEqual([
        { category: 'email', value: 'a@example.com' },
        { category: 'phone', value: '+44 20 7946 0958' },
      ]);
      expect(r.inquiry.minor).toBe(false);
    }
  });

  it('names undeclared, missing and malformed fields, all at once', () => {
    expect(
      problemsOf(
        draft({
          fields: { email: 'nope', phone: '12345', shoe_size: '42', free_text: 'a\u0000b' },
        }),
      ),
    ).toEqual([
      '/fields/shoe_size undeclared',
      '/fields/email invalid',
      '/fields/phone invalid',
      '/fields/free_text control',
    ]);
    expect(problemsOf(draft({ fields: { email: 'a@example.com' } }))).toEqual([
      '/fields/phone required',
    ]);
    expect(
      problemsOf(
        draft({ fields: { email: 'a@example.com', phone: '13812345678', name: 'x'.repeat(201) } }),
      ),
    ).toEqual(['/fields/name too_long']);
    expect(
      problemsOf(draft({ fields: { email: 'a@example.com', phone: '13812345678', name: 'a\nb' } })),
    ).toEqual(['/fields/name control']);
  });

  it('checks birth dates: real, written YYYY-MM-DD, not in the future', () => {
    const withBirth = (b: string) =>
      problemsOf(
        draft({ fields: { email: 'a@example.com', phone: '13812345678', birth_date: b } }),
      );
    expect(withBirth('2011-02-29')).toEqual(['/fields/birth_date invalid']);
    expect(withBirth('17/05/1990')).toEqual(['/fields/birth_date invalid']);
    expect(withBirth('2026-06-02')).toEqual(['/fields/birth_date future_date']);
    expect(withBirth('1990-05-17')).toEqual([]);
  });

  it('computes ages on the civil date, a birthday counting on the day', () => {
    expect(parseBirthDate('2012-02-29')).toEqual([2012, 2, 29]);
    expect(parseBirthDate('1899-12-31')).toBeNull();
    expect(ageOn([2012, 6, 1], [2026, 6, 1])).toBe(14);
    expect(ageOn([2012, 6, 2], [2026, 6, 1])).toBe(13);
    expect(chinaDate(new Date('2026-05-31T16:30:00Z'))).toEqual([2026, 6, 1]);
  });

  it('asks a child under 14 for a guardian, never for their own consent', () => {
    const child = { email: 'kid@example.com', phone: '13812345678', birth_date: '2015-01-01' };
    expect(problemsOf(draft({ fields: child }))).toEqual(['/guardianEmail guardian_required']);
    expect(problemsOf(draft({ fields: child, guardianEmail: 'KID@example.com' }))).toEqual([
      '/guardianEmail guardian_same',
    ]);
    expect(
      problemsOf(
        draft({ fields: child, guardianEmail: 'mum@example.com', consents: { marketing: true } }),
      ),
    ).toEqual(['/consents/marketing minor_consent']);
    const r = checkInquiry(
      FORM,
      draft({ fields: child, guardianEmail: ' Mum@Example.com ' }),
      NOW,
      14,
    );
    expect(r.ok && r.inquiry.minor && r.inquiry.guardianEmail).toBe('mum@example.com');
    // An adult's guardian address is not needed and not kept.
    const adult = checkInquiry(
      FORM,
      draft({ fields: { ...child, birth_date: '2000-01-01' }, guardianEmail: 'mum@example.com' }),
      NOW,
      14,
    );
    expect(adult.ok && adult.inquiry.guardianEmail).toBeNull();
  });

  it('takes only consents offered here, and separate consents alone', () => {
    expect(problemsOf(draft({ consents: { website_analytics: true, teleport: true } }))).toEqual([
      '/consents/teleport unknown_consent',
      '/consents/website_analytics not_offered',
    ]);
    expect(problemsOf(draft({ consents: { marketing: true, sharing: true } }))).toEqual([
      '/consents/sharing bundled',
    ]);
    expect(problemsOf(draft({ consents: { marketing: false, sharing: true } }))).toEqual([]);
  });

  it('refuses an unknown purpose or policy version', () => {
    expect(problemsOf(draft(), { ...FORM, purpose: null, policyVersionExists: false })).toEqual([
      '/policyVersion unknown_policy',
      '/purpose unknown_purpose',
    ]);
  });
});
