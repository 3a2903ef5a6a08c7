// The mail templates, each in Simplified Chinese and English, with a schema for its parameters.
// Parameters are checked when a message is queued (a wrong shape is a programming error and fails
// the causing transaction) and again when it is rendered. Every value is escaped in the HTML part.
import { Type, type Static, type TSchema } from 'typebox';
import { Value } from 'typebox/value';
import { escapeHtml, formatTime, htmlLines, type Rendered } from './render.js';
import type { Lang } from './tables.js';
import {
  RequestExtendedParams,
  RequestFeeQuotedParams,
  RequestForwardControllerParams,
  RequestForwardedParams,
  RequestFulfilledParams,
  RequestMailRejectedParams,
  RequestOverdueParams,
  RequestReceivedParams,
  RequestRefusedParams,
  RequestReminderParams,
  RequestVerificationCodeParams,
  renderExtended,
  renderFeeQuoted,
  renderForwardController,
  renderForwarded,
  renderFulfilled,
  renderMailRejected,
  renderOverdue,
  renderRefused,
  renderReminder,
  renderRequestReceived,
  renderVerificationCode,
} from './request-templates.js';
import { GuardianCodeParams, renderGuardianCode } from '../consent/minors/templates.js';
import { MarketingMessageParams, renderMarketingMessage } from '../consent/optout/templates.js';

const CategoryName = Type.Object({ key: Type.String(), en: Type.String(), zh: Type.String() });

/**
 * The notice to a person affected by an incident. PIPL art. 57 ¶1 names what it must carry:
 * (1) the categories of PI involved, the cause and the possible harm; (2) the remedies taken and
 * what the person can do to reduce harm; (3) how to reach the handler.
 */
export const IncidentNoticeParams = Type.Object({
  reference: Type.String(),
  title: Type.String(),
  description: Type.String(),
  occurredAt: Type.Union([Type.String(), Type.Null()]),
  detectedAt: Type.String(),
  containedAt: Type.Union([Type.String(), Type.Null()]),
  categories: Type.Array(CategoryName),
  cause: Type.String(),
  possibleHarm: Type.String(),
  remediesTaken: Type.String(),
  personActions: Type.String(),
  contact: Type.String(),
});
export type IncidentNoticeParams = Static<typeof IncidentNoticeParams>;

const NOTICE_LABELS = {
  'zh-CN': {
    subject: (title: string) => `个人信息安全事件告知：${title}`,
    greeting: '您好：',
    intro:
      '我们发生了一起可能涉及您个人信息的安全事件。依照《个人信息保护法》第五十七条，现将有关情况告知如下。',
    what: '事件经过',
    when: '时间',
    occurred: '发生时间',
    occurredUnknown: '尚在调查',
    detected: '发现时间',
    contained: '控制时间',
    notContained: '仍在处置中',
    categories: '涉及的个人信息种类',
    cause: '事件原因',
    harm: '可能造成的危害',
    remedies: '我们已采取的补救措施',
    actions: '您可以采取的减轻危害的措施',
    contact: '联系方式',
    reference: '事件编号',
    separator: '、',
    closing: '对由此给您带来的不便，我们深表歉意。',
  },
  en: {
    subject: (title: string) => `Personal information security incident: ${title}`,
    greeting: 'Hello,',
    intro:
      'A security incident has occurred that may involve your personal information. As the Personal Information Protection Law (art. 57) requires, here is what you should know.',
    what: 'What happened',
    when: 'When',
    occurred: 'Occurred',
    occurredUnknown: 'still under investigation',
    detected: 'Detected',
    contained: 'Contained',
    notContained: 'still being handled',
    categories: 'Personal information involved',
    cause: 'Cause',
    harm: 'Possible harm',
    remedies: 'What we have done',
    actions: 'What you can do to reduce the harm',
    contact: 'How to reach us',
    reference: 'Incident reference',
    separator: ', ',
    closing: 'We are sorry for the trouble this causes you.',
  },
} as const;

function renderIncidentNotice(lang: Lang, p: IncidentNoticeParams): Rendered {
  const l = NOTICE_LABELS[lang];
  const names = p.categories.map((c) => (lang === 'en' ? c.en : c.zh)).join(l.separator);
  const times: Array<[string, string]> = [
    [l.occurred, p.occurredAt === null ? l.occurredUnknown : formatTime(p.occurredAt, lang)],
    [l.detected, formatTime(p.detectedAt, lang)],
    [l.contained, p.containedAt === null ? l.notContained : formatTime(p.containedAt, lang)],
  ];
  const sections: Array<[string, string]> = [
    [l.what, `${p.title}\n${p.description}`],
    [l.when, times.map(([k, v]) => `${k}: ${v}`).join('\n')],
    [l.categories, names],
    [l.cause, p.cause],
    [l.harm, p.possibleHarm],
    [l.remedies, p.remediesTaken],
    [l.actions, p.personActions],
    [l.contact, p.contact],
    [l.reference, p.reference],
  ];
  const text = [
    l.greeting,
    '',
    l.intro,
    '',
    ...sections.flatMap(([head, body]) => [`${head}:`, body, '']),
    l.closing,
    '',
  ].join('\n');
  const html = [
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(l.subject(p.title))}</title></head><body>`,
    `<p>${escapeHtml(l.greeting)}</p>`,
    `<p>${escapeHtml(l.intro)}</p>`,
    ...sections.map(([head, body]) => `<h3>${escapeHtml(head)}</h3><p>${htmlLines(body)}</p>`),
    `<p>${escapeHtml(l.closing)}</p>`,
    '</body></html>',
  ].join('\n');
  return { subject: l.subject(p.title), text, html };
}

// ---- Rights requests (PIPL arts. 44–50) -------------------------------------------------------
// Parameters are worded by the caller where they depend on the case (the lines of what was done,
// the refusal ground's label); these templates add the fixed text in each language.

interface Template<S extends TSchema> {
  params: S;
  render: (lang: Lang, params: Static<S>) => Rendered;
}

const template = <S extends TSchema>(t: Template<S>): Template<S> => t;

/** Every template by name; the outbox stores the name and renders at delivery time. */
export const TEMPLATES = {
  incident_notice: template({ params: IncidentNoticeParams, render: renderIncidentNotice }),
  request_received: template({ params: RequestReceivedParams, render: renderRequestReceived }),
  request_verification_code: template({
    params: RequestVerificationCodeParams,
    render: renderVerificationCode,
  }),
  request_extended: template({ params: RequestExtendedParams, render: renderExtended }),
  request_fulfilled: template({ params: RequestFulfilledParams, render: renderFulfilled }),
  request_refused: template({ params: RequestRefusedParams, render: renderRefused }),
  request_forwarded: template({ params: RequestForwardedParams, render: renderForwarded }),
  request_forward_controller: template({
    params: RequestForwardControllerParams,
    render: renderForwardController,
  }),
  request_reminder: template({ params: RequestReminderParams, render: renderReminder }),
  request_overdue: template({ params: RequestOverdueParams, render: renderOverdue }),
  request_mail_rejected: template({
    params: RequestMailRejectedParams,
    render: renderMailRejected,
  }),
  request_fee_quoted: template({ params: RequestFeeQuotedParams, render: renderFeeQuoted }),
  guardian_code: template({ params: GuardianCodeParams, render: renderGuardianCode }),
  marketing_message: template({ params: MarketingMessageParams, render: renderMarketingMessage }),
};
export type TemplateName = keyof typeof TEMPLATES;
export type TemplateParams<T extends TemplateName> = Static<(typeof TEMPLATES)[T]['params']>;

export const isTemplateName = (name: string): name is TemplateName =>
  Object.prototype.hasOwnProperty.call(TEMPLATES, name);

/** Throws when `params` do not fit the template (a programming error, never user input). */
export function checkParams(name: TemplateName, params: unknown): void {
  if (!Value.Check(TEMPLATES[name].params, params))
    throw new Error(`parameters do not fit mail template ${name}`);
}

/** Renders a template in one language. */
export function renderTemplate<T extends TemplateName>(
  name: T,
  lang: Lang,
  params: TemplateParams<T>,
): Rendered {
  checkParams(name, params);
  const t = TEMPLATES[name] as Template<TSchema>;
  return t.render(lang, params);
}
