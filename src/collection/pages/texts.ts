// Every word the consultation page shows, in Simplified Chinese and English, plus the words every
// public page of the consent domain shares (errors, rate limits, the footer). Field labels are not
// here: they are the data map's category names.
import type { Lang } from '../fields.js';

/** Words shared by the consultation and guardian pages. */
export interface CommonTexts {
  otherLanguage: { label: string; lang: Lang };
  privacyContact: string;
  required: string;
  optional: string;
  errorSummary: string;
  notFoundTitle: string;
  notFoundText: string;
  tooManyTitle: string;
  tooManyText: (seconds: number) => string;
  errorTitle: string;
  errorText: string;
  badFormTitle: string;
  badFormText: string;
}

export const COMMON: Record<Lang, CommonTexts> = {
  'zh-CN': {
    otherLanguage: { label: 'English', lang: 'en' },
    privacyContact: '个人信息保护联系方式',
    required: '（必填）',
    optional: '（选填）',
    errorSummary: '请修改下列标出的内容后重新提交。',
    notFoundTitle: '未找到该页面',
    notFoundText: '链接无效或已过期。请使用您收到的完整链接。',
    tooManyTitle: '请求过于频繁',
    tooManyText: (seconds) => `请在 ${seconds} 秒后再试。`,
    errorTitle: '暂时无法处理',
    errorText: '服务暂时出现问题，您的内容未被保存。请稍后再试。',
    badFormTitle: '无法读取提交的内容',
    badFormText: '提交的内容格式不正确或过长。请返回表单重新填写。',
  },
  en: {
    otherLanguage: { label: '中文', lang: 'zh-CN' },
    privacyContact: 'Contact for personal information protection',
    required: ' (required)',
    optional: ' (optional)',
    errorSummary: 'Please correct the fields marked below and send again.',
    notFoundTitle: 'Page not found',
    notFoundText: 'This link is not valid or has expired. Use the full link you received.',
    tooManyTitle: 'Too many requests',
    tooManyText: (seconds) => `Please try again in ${seconds} seconds.`,
    errorTitle: 'Something went wrong',
    errorText: 'We could not handle this just now and nothing was saved. Please try again later.',
    badFormTitle: 'We could not read the form',
    badFormText:
      'What was sent is malformed or too long. Please go back to the form and try again.',
  },
};

export interface ConsultTexts {
  siteTitle: string;
  formTitle: string;
  formIntro: string;
  unavailableTitle: string;
  unavailableText: string;
  hints: {
    phone: string;
    email: string;
    date: string;
    long_text: string;
  };
  guardianLabel: string;
  guardianHint: (age: number) => string;
  noticeTitle: string;
  noticeAck: string;
  consentsTitle: string;
  consentLabel: (purpose: string) => string;
  consentHint: string;
  submit: string;
  errors: {
    required: string;
    email: string;
    phone: string;
    date: string;
    futureDate: string;
    tooLong: (max: number) => string;
    control: string;
    generic: string;
    guardianRequired: (age: number) => string;
    guardianSame: string;
    minorConsent: (age: number) => string;
    stale: string;
    undeclared: (name: string) => string;
  };
  confirmTitle: string;
  reference: string;
  receiptLink: string;
  receiptHint: string;
  nextStep: string;
  held: (age: number, deadline: string) => string;
  backToForm: string;
}

export const TEXTS: Record<Lang, ConsultTexts> = {
  'zh-CN': {
    siteTitle: '在线咨询',
    formTitle: '提交咨询',
    formIntro:
      '请留下您的联系方式和问题，我们会尽快答复。标有“必填”的项目必须填写，其余项目可以不填。',
    unavailableTitle: '暂不接受咨询',
    unavailableText: '此表单目前不可用。请稍后再试，或通过下方联系方式与我们联系。',
    hints: {
      phone:
        '中国大陆号码可直接填写；其他国家或地区的号码请以 + 和国家或地区代码开头，例如 +852 2123 4567。',
      email: '我们只会用它答复您的咨询。',
      date: '格式：年-月-日，例如 2012-05-17。',
      long_text: '请用您自己的话描述您的问题。',
    },
    guardianLabel: '监护人的电子邮箱',
    guardianHint: (age) =>
      `如果您未满 ${age} 周岁，请填写父母或其他监护人的电子邮箱：我们会先请其核验身份并同意，之后才处理您的信息；未获同意的，我们会删除这些信息。`,
    noticeTitle: '个人信息处理告知',
    noticeAck: '提交本表单即表示您已阅读上述告知。',
    consentsTitle: '可选的单独同意',
    consentLabel: (purpose) => `我同意：${purpose}`,
    consentHint: '是否勾选不影响我们答复您的咨询，您可以随时撤回同意。',
    submit: '提交咨询',
    errors: {
      required: '此项为必填项。',
      email: '电子邮箱地址格式不正确。',
      phone: '电话号码格式不正确：中国大陆号码直接填写，其他号码请以 + 和国家或地区代码开头。',
      date: '请按“年-月-日”填写真实的日期。',
      futureDate: '日期不能晚于今天。',
      tooLong: (max) => `最多 ${max} 个字符。`,
      control: '包含不允许的控制字符或换行。',
      generic: '内容无效。',
      guardianRequired: (age) => `您未满 ${age} 周岁，请填写监护人的电子邮箱。`,
      guardianSame: '请填写监护人本人的电子邮箱，而不是您自己的。',
      minorConsent: (age) => `未满 ${age} 周岁时，此项需由监护人决定，请不要勾选。`,
      stale: '表单已更新，请核对后重新提交。',
      undeclared: (name) => `提交的内容包含本表单没有的项目“${name}”，请使用本页面的表单提交。`,
    },
    confirmTitle: '我们已收到您的咨询',
    reference: '咨询编号',
    receiptLink: '您的同意记录',
    receiptHint:
      '请保存此链接：凭它可以查看和撤回您的同意。任何持有该链接的人都可以查看，请勿转发给他人。',
    nextStep: '我们会通过您留下的联系方式答复您。',
    held: (age, deadline) =>
      `由于您未满 ${age} 周岁，我们已向您的监护人发送电子邮件，请其核验并决定是否同意。在其同意之前，我们不会处理您的信息；如果在 ${deadline} 之前未获同意，这些信息将被删除。`,
    backToForm: '返回咨询表单',
  },
  en: {
    siteTitle: 'Consultation',
    formTitle: 'Send us a question',
    formIntro:
      'Leave your contact details and your question and we will answer soon. Fields marked “required” must be filled in; the others are optional.',
    unavailableTitle: 'Questions are not taken at the moment',
    unavailableText:
      'This form is not available right now. Please try later, or reach us through the contact below.',
    hints: {
      phone:
        'A mainland China number as you would dial it; any other number with + and the country code, e.g. +852 2123 4567.',
      email: 'We use it only to answer your question.',
      date: 'Format: year-month-day, e.g. 2012-05-17.',
      long_text: 'Describe your question in your own words.',
    },
    guardianLabel: 'Your parent’s or guardian’s e-mail',
    guardianHint: (age) =>
      `If you are under ${age}, give the e-mail address of a parent or guardian: we use your information only after they confirm who they are and agree, and delete it otherwise.`,
    noticeTitle: 'How we use your information',
    noticeAck: 'By sending this form you confirm that you have read this notice.',
    consentsTitle: 'Optional, separate consent',
    consentLabel: (purpose) => `I agree: ${purpose}`,
    consentHint:
      'Ticking this or not makes no difference to the answer to your question; you can withdraw at any time.',
    submit: 'Send',
    errors: {
      required: 'This field is required.',
      email: 'This is not a valid e-mail address.',
      phone:
        'This is not a valid phone number: write a mainland China number as dialled, any other with + and the country code.',
      date: 'Enter a real date as year-month-day.',
      futureDate: 'The date cannot be in the future.',
      tooLong: (max) => `At most ${max} characters.`,
      control: 'Contains control characters or line breaks that are not allowed here.',
      generic: 'This value is not valid.',
      guardianRequired: (age) => `You are under ${age}: give your parent’s or guardian’s e-mail.`,
      guardianSame: 'Give your parent’s or guardian’s own address, not yours.',
      minorConsent: (age) => `Under ${age}, your guardian decides this; please leave it unticked.`,
      stale: 'This form has been updated; please check it and send it again.',
      undeclared: (name) =>
        `What was sent has a field this form does not have (“${name}”); please use the form on this page.`,
    },
    confirmTitle: 'We have received your question',
    reference: 'Reference',
    receiptLink: 'Your consent receipt',
    receiptHint:
      'Keep this link: it shows your consents and lets you withdraw them. Anyone who has it can see them, so do not pass it on.',
    nextStep: 'We will answer through the contact details you gave.',
    held: (age, deadline) =>
      `Because you are under ${age}, we have e-mailed your parent or guardian to confirm who they are and decide whether they agree. Until they do, we do not use your information; without their consent by ${deadline}, it is deleted.`,
    backToForm: 'Back to the form',
  },
};
