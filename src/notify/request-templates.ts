// The mail templates of rights requests, each in Simplified Chinese and English: receipts, codes,
// extensions, answers, refusals, forwarding, staff reminders and escalations, fee quotes.
import { Type, type Static, type TSchema } from 'typebox';

import { formatTime, renderSections, type Rendered } from './render.js';
import type { Lang } from './tables.js';

const Nullable = <S extends TSchema>(s: S) => Type.Union([s, Type.Null()]);

/** Request types as a person reads them; an unknown key is shown as is. */
const TYPE_LABELS: Record<string, { 'zh-CN': string; en: string }> = {
  access: { 'zh-CN': '查阅个人信息', en: 'see your personal information' },
  copy: { 'zh-CN': '复制个人信息', en: 'a copy of your personal information' },
  portability: { 'zh-CN': '转移个人信息', en: 'transfer of your personal information' },
  correction: { 'zh-CN': '更正、补充个人信息', en: 'correction of your personal information' },
  deletion: { 'zh-CN': '删除个人信息', en: 'deletion of your personal information' },
  withdraw_consent: { 'zh-CN': '撤回同意', en: 'withdrawal of your consent' },
  restrict: { 'zh-CN': '限制或拒绝处理', en: 'restriction of, or objection to, processing' },
  explain: { 'zh-CN': '解释处理规则', en: 'an explanation of how we handle your information' },
  account_cancellation: { 'zh-CN': '注销账户', en: 'cancellation of your account' },
  deceased_relative: {
    'zh-CN': '近亲属就逝者个人信息提出的请求',
    en: 'a close relative’s request about a deceased person',
  },
  complaint: { 'zh-CN': '投诉', en: 'a complaint' },
};
const typeLabel = (type: string, lang: Lang) => TYPE_LABELS[type]?.[lang] ?? type;

const REQUEST_WORDS = {
  'zh-CN': {
    greeting: '您好：',
    staffGreeting: '同事您好：',
    closing: '此邮件由系统发送，请勿直接回复。',
    reference: '请求编号',
    type: '请求事项',
    status: '查看进度',
    due: '答复期限',
  },
  en: {
    greeting: 'Hello,',
    staffGreeting: 'Hello,',
    closing: 'This message was sent automatically; please do not reply to it directly.',
    reference: 'Request reference',
    type: 'What you asked for',
    status: 'Follow your request',
    due: 'We will answer by',
  },
} as const;

export const RequestReceivedParams = Type.Object({
  reference: Type.String(),
  type: Type.String(),
  statusUrl: Type.String(),
  dueAt: Nullable(Type.String()),
});
export type RequestReceivedParams = Static<typeof RequestReceivedParams>;

export function renderRequestReceived(lang: Lang, p: RequestReceivedParams): Rendered {
  const w = REQUEST_WORDS[lang];
  const zh = lang === 'zh-CN';
  const intro =
    p.dueAt === null
      ? zh
        ? '我们已收到您关于个人信息的请求。为确认是您本人提出，我们另行发送了一次性验证码；在您完成验证之前，答复期限暂不计算。'
        : 'We have received your request about your personal information. To make sure it comes from you, we have sent you a one-time code separately; the time we have to answer starts once you confirm it.'
      : zh
        ? '您的身份已经确认，我们正在处理您的请求。'
        : 'Your identity is confirmed and we are now handling your request.';
  const sections = [
    { heading: null, body: intro },
    { heading: w.reference, body: p.reference },
    { heading: w.type, body: typeLabel(p.type, lang) },
    ...(p.dueAt === null ? [] : [{ heading: w.due, body: formatTime(p.dueAt, lang) }]),
    { heading: w.status, body: p.statusUrl },
    {
      heading: null,
      body: zh
        ? '请妥善保管此链接，凭它可查看进度或撤回请求。'
        : 'Keep this link to yourself: it lets you follow or withdraw your request.',
    },
  ];
  const subject = zh
    ? p.dueAt === null
      ? `我们已收到您的请求（${p.reference}）`
      : `您的请求正在处理（${p.reference}）`
    : p.dueAt === null
      ? `We received your request (${p.reference})`
      : `Your request is being handled (${p.reference})`;
  return renderSections(lang, subject, w.greeting, sections, w.closing);
}

export const RequestVerificationCodeParams = Type.Object({
  reference: Type.String(),
  code: Type.String({ pattern: '^[0-9]{6}$' }),
  minutes: Type.String(),
});
export type RequestVerificationCodeParams = Static<typeof RequestVerificationCodeParams>;

export function renderVerificationCode(lang: Lang, p: RequestVerificationCodeParams): Rendered {
  const w = REQUEST_WORDS[lang];
  const zh = lang === 'zh-CN';
  return renderSections(
    lang,
    zh ? `验证码：${p.code}` : `Your confirmation code: ${p.code}`,
    w.greeting,
    [
      {
        heading: null,
        body: zh
          ? `请在 ${p.minutes} 分钟内输入以下验证码，以确认请求 ${p.reference} 是您本人提出的：`
          : `Enter this code within ${p.minutes} minutes to confirm that request ${p.reference} comes from you:`,
      },
      { heading: null, body: p.code },
      {
        heading: null,
        body: zh
          ? '如果您没有提出过这项请求，请忽略本邮件，请求将在一段时间后自动失效。'
          : 'If you did not make this request, ignore this message: the request lapses on its own.',
      },
    ],
    w.closing,
  );
}

export const RequestExtendedParams = Type.Object({
  reference: Type.String(),
  dueAt: Type.String(),
  reason: Type.String(),
});
export type RequestExtendedParams = Static<typeof RequestExtendedParams>;

export function renderExtended(lang: Lang, p: RequestExtendedParams): Rendered {
  const w = REQUEST_WORDS[lang];
  const zh = lang === 'zh-CN';
  return renderSections(
    lang,
    zh
      ? `您的请求需要更多处理时间（${p.reference}）`
      : `We need more time for your request (${p.reference})`,
    w.greeting,
    [
      {
        heading: null,
        body: zh
          ? '处理您的请求需要比原定更长的时间，特此告知延期及其原因。'
          : 'Handling your request will take longer than first planned. Here is why, and the new date.',
      },
      { heading: zh ? '原因' : 'Why', body: p.reason },
      { heading: zh ? '新的答复期限' : 'New date for our answer', body: formatTime(p.dueAt, lang) },
      { heading: w.reference, body: p.reference },
    ],
    w.closing,
  );
}

export const RequestFulfilledParams = Type.Object({
  reference: Type.String(),
  type: Type.String(),
  done: Type.Array(Type.String()),
  partial: Type.Boolean(),
  downloadUrl: Nullable(Type.String()),
  downloadExpiresAt: Nullable(Type.String()),
});
export type RequestFulfilledParams = Static<typeof RequestFulfilledParams>;

export function renderFulfilled(lang: Lang, p: RequestFulfilledParams): Rendered {
  const w = REQUEST_WORDS[lang];
  const zh = lang === 'zh-CN';
  const sections = [
    {
      heading: null,
      body: p.partial
        ? zh
          ? `您关于“${typeLabel(p.type, lang)}”的请求已部分完成；依照法律规定，部分信息须继续保存，除存储和必要的安全保护外不再处理。`
          : `Your request for ${typeLabel(p.type, lang)} has been carried out in part: the law requires us to keep some information, which we now only store and protect.`
        : zh
          ? `您关于“${typeLabel(p.type, lang)}”的请求已处理完毕。`
          : `Your request for ${typeLabel(p.type, lang)} has been carried out.`,
    },
    { heading: zh ? '我们所做的' : 'What we did', body: p.done.map((d) => `- ${d}`).join('\n') },
    ...(p.downloadUrl === null
      ? []
      : [
          {
            heading: zh ? '下载' : 'Download',
            body:
              p.downloadExpiresAt === null
                ? p.downloadUrl
                : zh
                  ? `${p.downloadUrl}\n链接有效期至 ${formatTime(p.downloadExpiresAt, lang)}。`
                  : `${p.downloadUrl}\nThe link works until ${formatTime(p.downloadExpiresAt, lang)}.`,
          },
        ]),
    { heading: w.reference, body: p.reference },
  ];
  return renderSections(
    lang,
    zh ? `您的请求已处理（${p.reference}）` : `Your request has been answered (${p.reference})`,
    w.greeting,
    sections,
    w.closing,
  );
}

export const RequestRefusedParams = Type.Object({
  reference: Type.String(),
  ground: Type.String(),
  reason: Type.String(),
  complaintContact: Type.String(),
});
export type RequestRefusedParams = Static<typeof RequestRefusedParams>;

/** PIPL art. 50: a refusal states its reasons, and the person may go to the regulator or to court. */
export function renderRefused(lang: Lang, p: RequestRefusedParams): Rendered {
  const w = REQUEST_WORDS[lang];
  const zh = lang === 'zh-CN';
  return renderSections(
    lang,
    zh ? `关于您的请求的答复（${p.reference}）` : `Our answer to your request (${p.reference})`,
    w.greeting,
    [
      {
        heading: null,
        body: zh
          ? '经审查，我们无法满足您的请求。依照《个人信息保护法》第五十条，现将理由告知如下。'
          : 'Having looked at your request, we cannot carry it out. As the Personal Information Protection Law (art. 50) requires, here are our reasons.',
      },
      { heading: zh ? '依据' : 'Ground', body: p.ground },
      { heading: zh ? '具体理由' : 'Reasons', body: p.reason },
      { heading: zh ? '投诉与联系渠道' : 'To contest this decision', body: p.complaintContact },
      {
        heading: zh ? '您的权利' : 'Your rights',
        body: zh
          ? '如您不同意本答复，可以通过上述渠道向我们投诉或申请复核，也可以向履行个人信息保护职责的部门投诉、举报，或者依法向人民法院提起诉讼。'
          : 'If you disagree, you can complain to us or ask for a review through the contact above. You may also complain to the authority responsible for personal information protection, or bring a lawsuit before a people’s court.',
      },
      { heading: w.reference, body: p.reference },
    ],
    w.closing,
  );
}

export const RequestForwardedParams = Type.Object({
  reference: Type.String(),
  controllerName: Type.String(),
  controllerContact: Nullable(Type.String()),
});
export type RequestForwardedParams = Static<typeof RequestForwardedParams>;

export function renderForwarded(lang: Lang, p: RequestForwardedParams): Rendered {
  const w = REQUEST_WORDS[lang];
  const zh = lang === 'zh-CN';
  return renderSections(
    lang,
    zh ? `您的请求已转交（${p.reference}）` : `Your request has been passed on (${p.reference})`,
    w.greeting,
    [
      {
        heading: null,
        body: zh
          ? `您的请求涉及的个人信息由“${p.controllerName}”决定处理目的和方式，我们仅受其委托处理。我们已将请求转交给对方，由其答复您。`
          : `The information your request is about is handled on behalf of ${p.controllerName}, who decides how it is used. We have passed your request on to them, and they will answer you.`,
      },
      ...(p.controllerContact === null
        ? []
        : [{ heading: zh ? '对方联系方式' : 'How to reach them', body: p.controllerContact }]),
      { heading: w.reference, body: p.reference },
    ],
    w.closing,
  );
}

export const RequestForwardControllerParams = Type.Object({
  reference: Type.String(),
  type: Type.String(),
  controllerName: Type.String(),
  respondUrl: Type.String(),
  personName: Nullable(Type.String()),
  personEmail: Nullable(Type.String()),
  personPhone: Nullable(Type.String()),
  details: Nullable(Type.String()),
  receivedAt: Type.String(),
});
export type RequestForwardControllerParams = Static<typeof RequestForwardControllerParams>;

export function renderForwardController(lang: Lang, p: RequestForwardControllerParams): Rendered {
  const w = REQUEST_WORDS[lang];
  const zh = lang === 'zh-CN';
  const none = zh ? '（未提供）' : '(not given)';
  return renderSections(
    lang,
    zh
      ? `个人信息主体权利请求转交（${p.reference}）`
      : `Data subject request passed on to you (${p.reference})`,
    zh ? `${p.controllerName}：` : `To ${p.controllerName},`,
    [
      {
        heading: null,
        body: zh
          ? '我们作为受托处理者收到了一项涉及贵方个人信息处理的权利请求，依照《个人信息保护法》第二十一条转交贵方处理。请求人身份已通过一次性验证码确认。'
          : 'As your processor we received a rights request about information we handle for you, and pass it on to you (PIPL art. 21). The person’s identity was confirmed with a one-time code.',
      },
      { heading: w.type, body: typeLabel(p.type, lang) },
      { heading: zh ? '收到时间' : 'Received', body: formatTime(p.receivedAt, lang) },
      { heading: zh ? '姓名' : 'Name', body: p.personName ?? none },
      { heading: zh ? '电子邮件' : 'E-mail', body: p.personEmail ?? none },
      { heading: zh ? '电话' : 'Phone', body: p.personPhone ?? none },
      { heading: zh ? '请求内容' : 'The request', body: p.details ?? none },
      { heading: zh ? '答复方式' : 'How to answer', body: p.respondUrl },
      { heading: w.reference, body: p.reference },
    ],
    w.closing,
  );
}

const STATE_LABELS: Record<string, { 'zh-CN': string; en: string }> = {
  received: { 'zh-CN': '已收到', en: 'received' },
  verifying: { 'zh-CN': '待验证身份', en: 'awaiting identity check' },
  open: { 'zh-CN': '待处理', en: 'open' },
  in_progress: { 'zh-CN': '处理中', en: 'in progress' },
  forwarded: { 'zh-CN': '已转交', en: 'forwarded' },
};

export const RequestReminderParams = Type.Object({
  reference: Type.String(),
  dueAt: Type.String(),
  state: Type.String(),
});
export type RequestReminderParams = Static<typeof RequestReminderParams>;

export function renderReminder(lang: Lang, p: RequestReminderParams): Rendered {
  const w = REQUEST_WORDS[lang];
  const zh = lang === 'zh-CN';
  return renderSections(
    lang,
    zh ? `提醒：请求 ${p.reference} 即将到期` : `Reminder: request ${p.reference} is due soon`,
    w.staffGreeting,
    [
      {
        heading: null,
        body: zh
          ? '分配给您的一项个人信息权利请求即将到达答复期限。'
          : 'A rights request assigned to you is close to its answer date.',
      },
      { heading: w.reference, body: p.reference },
      { heading: zh ? '当前状态' : 'State', body: STATE_LABELS[p.state]?.[lang] ?? p.state },
      { heading: zh ? '答复期限' : 'Due', body: formatTime(p.dueAt, lang) },
    ],
    w.closing,
  );
}

export const RequestOverdueParams = Type.Object({
  reference: Type.String(),
  dueAt: Type.String(),
  alarmAt: Type.String(),
});
export type RequestOverdueParams = Static<typeof RequestOverdueParams>;

export function renderOverdue(lang: Lang, p: RequestOverdueParams): Rendered {
  const w = REQUEST_WORDS[lang];
  const zh = lang === 'zh-CN';
  return renderSections(
    lang,
    zh ? `升级：请求 ${p.reference} 已逾期` : `Escalation: request ${p.reference} is overdue`,
    w.staffGreeting,
    [
      {
        heading: null,
        body: zh
          ? '一项个人信息权利请求已超过答复期限或警戒期限，仍未答复，请立即跟进。'
          : 'A rights request has passed its answer date or its alarm date without an answer. Please act on it now.',
      },
      { heading: w.reference, body: p.reference },
      { heading: zh ? '答复期限' : 'Due', body: formatTime(p.dueAt, lang) },
      { heading: zh ? '警戒期限' : 'Alarm', body: formatTime(p.alarmAt, lang) },
    ],
    w.closing,
  );
}

export const RequestMailRejectedParams = Type.Object({ reason: Type.String() });
export type RequestMailRejectedParams = Static<typeof RequestMailRejectedParams>;

export function renderMailRejected(lang: Lang, p: RequestMailRejectedParams): Rendered {
  const w = REQUEST_WORDS[lang];
  const zh = lang === 'zh-CN';
  return renderSections(
    lang,
    zh ? '我们未能受理您的邮件' : 'We could not take your mail as a request',
    w.greeting,
    [
      {
        heading: null,
        body: zh
          ? '感谢您的来信。很抱歉，这封邮件未能登记为个人信息权利请求。'
          : 'Thank you for writing. We are sorry, but this mail could not be registered as a request about your personal information.',
      },
      { heading: zh ? '原因' : 'Why', body: p.reason },
      {
        heading: null,
        body: zh
          ? '请以纯文本邮件重新发送您的请求，或使用我们网站上的请求表单。'
          : 'Please send your request again as a plain-text mail, or use the request form on our website.',
      },
    ],
    w.closing,
  );
}

export const RequestFeeQuotedParams = Type.Object({
  reference: Type.String(),
  amount: Type.String(),
  costBasis: Type.String(),
});
export type RequestFeeQuotedParams = Static<typeof RequestFeeQuotedParams>;

export function renderFeeQuoted(lang: Lang, p: RequestFeeQuotedParams): Rendered {
  const w = REQUEST_WORDS[lang];
  const zh = lang === 'zh-CN';
  return renderSections(
    lang,
    zh ? `关于您的请求的费用（${p.reference}）` : `A fee for your request (${p.reference})`,
    w.greeting,
    [
      {
        heading: null,
        body: zh
          ? '在一段时间内，您多次提出了同类请求。对于明显超出合理范围的重复请求，我们可以按成本收取必要费用。请通过请求回执中的链接接受费用，或撤回请求；撤回不产生任何费用。'
          : 'You have made the same kind of request several times within a short period. For repeats beyond a reasonable number we may charge a fee that covers our cost. Use the link in your receipt to accept the fee or to withdraw the request; withdrawing costs nothing.',
      },
      { heading: zh ? '金额' : 'Amount', body: p.amount },
      { heading: zh ? '计算依据' : 'How it was worked out', body: p.costBasis },
      { heading: w.reference, body: p.reference },
    ],
    w.closing,
  );
}
