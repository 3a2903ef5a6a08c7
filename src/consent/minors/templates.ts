// Mail to a guardian asked to verify and consent for a child under 14 (PIPL art. 31): the code,
// the page where they decide, what the child's information was submitted for, and until when it
// is held before it is deleted. In Simplified Chinese and English; every value escaped in HTML.
import { Type, type Static } from 'typebox';
import { formatTime, renderSections, type Rendered } from '../../notify/render.js';
import type { Lang } from '../../notify/tables.js';

export const GuardianCodeParams = Type.Object({
  code: Type.String({ pattern: '^[0-9]{6}$' }),
  minutes: Type.String(),
  /** The guardian page, carrying its token: verify the code and decide there. */
  link: Type.String(),
  /** The purpose the child's data was submitted for, in the mail's language. */
  purposeName: Type.String(),
  /** Until when the data is held before it is deleted. */
  deadline: Type.String(),
});
export type GuardianCodeParams = Static<typeof GuardianCodeParams>;

export function renderGuardianCode(lang: Lang, p: GuardianCodeParams): Rendered {
  const zh = lang === 'zh-CN';
  const deadline = formatTime(p.deadline, lang);
  const sections = zh
    ? [
        {
          heading: null,
          body: `有人通过我们的网站提交了一名不满十四周岁儿童的个人信息，并填写了您的电子邮箱作为其监护人。依照《个人信息保护法》第三十一条，处理这些信息需要取得监护人的同意。`,
        },
        { heading: '提交目的', body: p.purposeName },
        {
          heading: '验证码',
          body: `${p.code}（${p.minutes} 分钟内有效）`,
        },
        {
          heading: '核验并作出决定',
          body: `请打开以下链接，输入验证码，然后选择同意或拒绝：\n${p.link}`,
        },
        {
          heading: '期限',
          body: `在 ${deadline} 之前未取得您的同意的，我们将删除这些信息。您拒绝的，我们会立即删除。`,
        },
        {
          heading: null,
          body: '如果您不是该儿童的监护人，请忽略本邮件，相关信息将在期限届满后自动删除。请勿将验证码或链接转发给他人。',
        },
      ]
    : [
        {
          heading: null,
          body: 'Someone submitted the personal information of a child under 14 through our website and gave your e-mail address as the child’s guardian. Under the Personal Information Protection Law (art. 31), we may only process it with a guardian’s consent.',
        },
        { heading: 'Submitted for', body: p.purposeName },
        { heading: 'Your code', body: `${p.code} (valid for ${p.minutes} minutes)` },
        {
          heading: 'Verify and decide',
          body: `Open this link, enter the code, then consent or refuse:\n${p.link}`,
        },
        {
          heading: 'Deadline',
          body: `Without your consent by ${deadline}, we delete the information. If you refuse, we delete it at once.`,
        },
        {
          heading: null,
          body: 'If you are not this child’s guardian, ignore this message: the information is deleted when the deadline passes. Do not pass the code or the link on to anyone.',
        },
      ];
  return renderSections(
    lang,
    zh ? `监护人验证码：${p.code}` : `Guardian verification code: ${p.code}`,
    zh ? '您好：' : 'Hello,',
    sections,
    zh
      ? '此邮件由系统发送，请勿直接回复。'
      : 'This message was sent automatically; please do not reply to it directly.',
  );
}
