// Every word the guardian page shows, in Simplified Chinese and English.
import type { Lang } from '../../collection/fields.js';

export interface GuardianTexts {
  siteTitle: string;
  title: string;
  intro: (age: number) => string;
  purposeLabel: string;
  categoriesLabel: string;
  deadlineLabel: string;
  verifyTitle: string;
  codeLabel: string;
  codeHint: string;
  verifySubmit: string;
  resend: string;
  decideTitle: string;
  purposeNoticeTitle: string;
  guardianNoticeTitle: string;
  consent: string;
  refuse: string;
  refuseHint: string;
  verified: string;
  codeResent: string;
  consented: string;
  refused: string;
  expired: string;
  receiptLink: string;
  receiptHint: string;
  errors: {
    codeRequired: string;
    code: (left: number) => string;
    codeExpired: string;
    codeLocked: string;
    tooManyCodes: string;
  };
}

export const GUARDIAN_TEXTS: Record<Lang, GuardianTexts> = {
  'zh-CN': {
    siteTitle: '监护人同意',
    title: '请为儿童的个人信息作出决定',
    intro: (age) =>
      `有人通过我们的网站提交了一名不满 ${age} 周岁儿童的个人信息，并将您列为其监护人。依照《个人信息保护法》第三十一条，只有在监护人同意后，我们才会处理这些信息；您拒绝或在期限内未作决定的，我们会删除这些信息。`,
    purposeLabel: '提交目的',
    categoriesLabel: '提交的信息种类',
    deadlineLabel: '决定期限',
    verifyTitle: '第一步：输入验证码',
    codeLabel: '验证码',
    codeHint: '请输入我们发送到您电子邮箱的 6 位数字验证码。',
    verifySubmit: '核验',
    resend: '重新发送验证码',
    decideTitle: '第二步：作出决定',
    purposeNoticeTitle: '这些信息的用途',
    guardianNoticeTitle: '关于您的信息',
    consent: '我同意',
    refuse: '我不同意，请删除',
    refuseHint: '选择“不同意”后，该儿童提交的信息会立即删除，且无法恢复。',
    verified: '您的身份已核验，请作出决定。',
    codeResent: '我们已发送新的验证码，之前的验证码不再有效。',
    consented: '您已同意，我们将据此处理该儿童的信息。感谢您的确认。',
    refused: '您已拒绝，该儿童提交的信息已被删除。',
    expired: '决定期限已过，该儿童提交的信息已被删除。',
    receiptLink: '您的同意记录',
    receiptHint: '请保存此链接：凭它可以查看和撤回您的同意。请勿转发给他人。',
    errors: {
      codeRequired: '请输入您收到的验证码。',
      code: (left) => `验证码不正确，请核对后重新输入（还可尝试 ${left} 次）。`,
      codeExpired: '验证码已过期，请获取新的验证码。',
      codeLocked: '错误次数过多，该验证码已失效，请获取新的验证码。',
      tooManyCodes: '发送验证码过于频繁，请稍后再试。',
    },
  },
  en: {
    siteTitle: 'Guardian consent',
    title: 'Please decide about a child’s information',
    intro: (age) =>
      `Someone submitted the personal information of a child under ${age} through our website and named you as the child’s guardian. Under the Personal Information Protection Law (art. 31), we use it only with a guardian’s consent; if you refuse, or do not decide in time, we delete it.`,
    purposeLabel: 'Submitted for',
    categoriesLabel: 'Kinds of information submitted',
    deadlineLabel: 'Decide by',
    verifyTitle: 'Step 1: enter the code',
    codeLabel: 'Code',
    codeHint: 'Enter the six-digit code we sent to your e-mail address.',
    verifySubmit: 'Verify',
    resend: 'Send me a new code',
    decideTitle: 'Step 2: decide',
    purposeNoticeTitle: 'What the information is used for',
    guardianNoticeTitle: 'About your own information',
    consent: 'I consent',
    refuse: 'I refuse: delete it',
    refuseHint:
      'If you refuse, what the child submitted is deleted at once and cannot be recovered.',
    verified: 'You are verified; please decide.',
    codeResent: 'We sent you a new code; the earlier one no longer works.',
    consented: 'You consented, and we will handle the child’s information accordingly. Thank you.',
    refused: 'You refused, and what the child submitted has been deleted.',
    expired: 'The time to decide has passed, and what the child submitted has been deleted.',
    receiptLink: 'Your consent receipt',
    receiptHint:
      'Keep this link: it shows your consent and lets you withdraw it. Do not pass it on.',
    errors: {
      codeRequired: 'Enter the code you received.',
      code: (left) => `This code is not right; check it and try again (${left} tries left).`,
      codeExpired: 'This code has expired; ask for a new one.',
      codeLocked: 'Too many wrong tries: this code no longer works; ask for a new one.',
      tooManyCodes: 'Too many new codes were asked for; please wait and try later.',
    },
  },
};
