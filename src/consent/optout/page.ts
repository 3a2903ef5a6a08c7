// The pages a person sees around a one-click unsubscribe, in Simplified Chinese and English: the
// confirmation page behind the mail's visible link (a GET must not unsubscribe, so it shows one
// button that POSTs), the result, and the reasons a link no longer works. No script, no inline
// style; every value is escaped where it is written (the layout is the public pages' one).
import { markup, sitePage, type Html } from '../../requests/pages/html.js';
import type { Lang } from '../../notify/tables.js';

/** The public pages' frame under this page's own site title. */
const page = (
  lang: Lang,
  title: string,
  body: Html,
  options: { otherLanguageHref?: string; contact?: string | null },
): string => sitePage(lang, TEXTS[lang].siteTitle, title, body, options);

const TEXTS = {
  'zh-CN': {
    siteTitle: '邮件订阅',
    confirmTitle: '退订营销邮件',
    confirmText:
      '确认后，我们将不再向您的电子邮件地址发送产品资讯和活动邀请，并记录您撤回了对营销邮件的同意。',
    confirmButton: '确认退订',
    doneTitle: '您已退订',
    doneText:
      '我们不会再向该地址发送营销邮件。与您有关的其他通知（例如您提出的请求的答复）不受影响。',
    usedTitle: '您已经退订',
    usedText: '此退订链接已经使用过，该地址不会再收到营销邮件。',
    expiredTitle: '链接已过期',
    expiredText: '此退订链接已过期。请使用较新邮件中的链接，或联系我们的个人信息保护负责人。',
    invalidTitle: '链接无效',
    invalidText: '此退订链接无效。请检查链接是否完整，或联系我们的个人信息保护负责人。',
    tooManyTitle: '请求过于频繁',
    tooManyText: (s: number) => `请在 ${Math.ceil(s / 60)} 分钟后重试。`,
    errorTitle: '暂时无法处理',
    errorText: '我们暂时无法处理您的退订，请稍后重试。',
  },
  en: {
    siteTitle: 'Mail subscriptions',
    confirmTitle: 'Unsubscribe from marketing e-mail',
    confirmText:
      'Once you confirm, we send no more product news or event invitations to your e-mail address, and we record that you withdrew your consent to marketing e-mail.',
    confirmButton: 'Unsubscribe',
    doneTitle: 'You are unsubscribed',
    doneText:
      'We send no more marketing e-mail to this address. Other messages about you, such as answers to a request you made, are not affected.',
    usedTitle: 'Already unsubscribed',
    usedText: 'This unsubscribe link was already used; the address gets no more marketing e-mail.',
    expiredTitle: 'This link has expired',
    expiredText:
      'This unsubscribe link has expired. Use the link in a more recent e-mail, or contact our privacy office.',
    invalidTitle: 'This link is not valid',
    invalidText:
      'This unsubscribe link is not valid. Check that the whole link was copied, or contact our privacy office.',
    tooManyTitle: 'Too many requests',
    tooManyText: (s: number) => `Please try again in ${Math.ceil(s / 60)} minute(s).`,
    errorTitle: 'We could not do this now',
    errorText: 'We could not process your unsubscribe just now; please try again later.',
  },
} as const;

/** The confirmation page: one button that POSTs the same URL (no JavaScript needed). */
export function confirmPage(
  lang: Lang,
  action: string,
  otherLanguageHref: string,
  contact: string | null,
): string {
  const t = TEXTS[lang];
  const body = markup`<p>${t.confirmText}</p>
<form method="post" action="${action}" accept-charset="utf-8" class="actions">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">${t.confirmButton}</button>
</form>`;
  return page(lang, t.confirmTitle, body, { otherLanguageHref, contact });
}

export function donePage(lang: Lang, contact: string | null): string {
  const t = TEXTS[lang];
  return page(lang, t.doneTitle, markup`<p>${t.doneText}</p>`, { contact });
}

export type Trouble = 'used' | 'expired' | 'invalid' | 'tooMany' | 'error';

/** A page for a link that does nothing (any more), or for a failure on our side. */
export function troublePage(
  lang: Lang,
  trouble: Trouble,
  contact: string | null,
  retryAfterSeconds = 60,
): string {
  const t = TEXTS[lang];
  const [title, text] = ((): [string, string] => {
    switch (trouble) {
      case 'used':
        return [t.usedTitle, t.usedText];
      case 'expired':
        return [t.expiredTitle, t.expiredText];
      case 'invalid':
        return [t.invalidTitle, t.invalidText];
      case 'tooMany':
        return [t.tooManyTitle, t.tooManyText(retryAfterSeconds)];
      case 'error':
        return [t.errorTitle, t.errorText];
      default:
        return trouble satisfies never;
    }
  })();
  return page(lang, title, markup`<p>${text}</p>`, { contact });
}
