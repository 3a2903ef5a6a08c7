// Every word the public request pages show, in Simplified Chinese and English. Kept apart from the
// markup so a translator can read one file; the wording is ours (the published policy is not copied).
import type { Lang, RequestState, RequestType } from '../contracts.js';

export interface TypeText {
  label: string;
  /** One line telling a person what the right is for (PIPL arts. 44–49). */
  hint: string;
}

export interface Texts {
  siteTitle: string;
  formTitle: string;
  formIntro: string;
  otherLanguage: { label: string; lang: Lang };
  typeLegend: string;
  types: Record<RequestType, TypeText>;
  nameLabel: string;
  nameHint: string;
  emailLabel: string;
  phoneLabel: string;
  contactHint: string;
  detailsLabel: string;
  detailsHint: string;
  controllerLabel: string;
  controllerHint: string;
  controllerUnsure: string;
  submit: string;
  optional: string;
  errorSummary: string;
  errors: {
    type: string;
    contact: string;
    email: string;
    phone: string;
    tooLong: (max: number) => string;
    controller: string;
    code: string;
    codeExpired: string;
    codeLocked: string;
    codeRequired: string;
    generic: string;
  };
  confirmTitle: string;
  confirmDuplicate: string;
  duplicateLink: string;
  reference: string;
  statusLink: string;
  statusLinkHint: string;
  nextStepCode: (where: 'email' | 'sms') => string;
  nextStepNone: string;
  statusTitle: string;
  typeLabel: string;
  stateLabel: string;
  states: Record<RequestState, string>;
  receivedAt: string;
  dueAt: string;
  dueAtPaused: string;
  verifyTitle: string;
  codeLabel: string;
  verifySubmit: string;
  verified: string;
  resendCode: string;
  codeResent: string;
  codeRefused: string;
  alreadySettled: string;
  feeTitle: string;
  feeQuote: (amount: string) => string;
  feeAccept: string;
  feeDecline: string;
  feeAccepted: string;
  feeDeclined: string;
  refusalTitle: string;
  refusalGround: string;
  refusalReason: string;
  refusalRights: string;
  forwardedTitle: string;
  forwardedText: (controller: string) => string;
  forwardedContact: string;
  partsTitle: string;
  partsText: string;
  withdrawTitle: string;
  withdrawText: string;
  withdrawSubmit: string;
  withdrawDone: string;
  notFoundTitle: string;
  notFoundText: string;
  tooManyTitle: string;
  tooManyText: (seconds: number) => string;
  errorTitle: string;
  errorText: string;
  badFormTitle: string;
  badFormText: string;
  backToForm: string;
  privacyContact: string;
}

const zh: Texts = {
  siteTitle: '个人信息权利请求',
  formTitle: '提交个人信息权利请求',
  formIntro:
    '您可以通过本页面行使个人信息相关权利。我们会先核实您的身份，再在法定或承诺的期限内答复您。提交请求不收取费用。',
  otherLanguage: { label: 'English', lang: 'en' },
  typeLegend: '您希望我们做什么？',
  types: {
    access: { label: '查阅', hint: '了解我们处理了您的哪些个人信息，以及如何处理。' },
    copy: { label: '获取副本', hint: '获得我们所持有的您个人信息的副本。' },
    portability: {
      label: '转移',
      hint: '以机器可读的格式获取您提供给我们的信息，便于转移给您指定的其他处理者。',
    },
    correction: { label: '更正或补充', hint: '更正不准确的信息，或补充不完整的信息。' },
    deletion: { label: '删除', hint: '删除您的个人信息；法律要求保存的部分将停止除存储外的处理。' },
    withdraw_consent: {
      label: '撤回同意',
      hint: '撤回您此前给予的同意；撤回前基于同意进行的处理仍然有效。',
    },
    restrict: { label: '限制或拒绝处理', hint: '要求我们限制或停止对您个人信息的某项处理。' },
    explain: { label: '解释处理规则', hint: '要求我们说明处理您个人信息的目的、方式和规则。' },
    account_cancellation: { label: '注销账户', hint: '注销您在我们这里的账户。' },
    deceased_relative: {
      label: '已故者近亲属的请求',
      hint: '作为已故者的近亲属，为您自身的合法、正当利益，对其相关个人信息行使权利。',
    },
    complaint: { label: '投诉', hint: '就我们处理个人信息的方式提出投诉或举报。' },
  },
  nameLabel: '姓名或称呼',
  nameHint: '便于我们称呼您，可不填。',
  emailLabel: '电子邮箱',
  phoneLabel: '手机号码',
  contactHint:
    '请至少填写其中一项。我们只会用它来核实您的身份（发送一次性验证码）并答复您，不会要求您提供我们原本没有的信息。',
  detailsLabel: '请求内容',
  detailsHint: '请用您自己的话说明您的请求，例如需要更正的内容。',
  controllerLabel: '与哪家企业的产品或服务有关',
  controllerHint: '如果您的信息是我们代某家企业处理的，请选择该企业；不确定时请保留默认选项。',
  controllerUnsure: '不确定，或与本公司自己的服务有关',
  submit: '提交请求',
  optional: '（选填）',
  errorSummary: '请修改下列标出的内容后重新提交。',
  errors: {
    type: '请选择一种请求类型。',
    contact: '请至少填写电子邮箱或手机号码之一。',
    email: '电子邮箱地址格式不正确。',
    phone: '手机号码格式不正确。',
    tooLong: (max) => `最多 ${max} 个字符。`,
    controller: '请从列表中选择。',
    code: '验证码不正确，请核对后重新输入。',
    codeExpired: '验证码已过期，请获取新的验证码。',
    codeLocked: '错误次数过多，该验证码已失效，请获取新的验证码。',
    codeRequired: '请输入您收到的验证码。',
    generic: '内容无效。',
  },
  confirmTitle: '我们已收到您的请求',
  confirmDuplicate: '我们已经收到过相同的请求，以下是该请求的信息。',
  duplicateLink: '请使用首次提交时获得的链接（也已发送到您的电子邮箱）查看进度和核实身份。',
  reference: '请求编号',
  statusLink: '查看处理进度',
  statusLinkHint: '请保存此链接：任何持有该链接的人都可以查看此请求的进度。',
  nextStepCode: (where) =>
    where === 'email'
      ? '下一步：我们已向您的电子邮箱发送验证码，请在下方输入以核实身份。核实之前，处理期限暂停计算。'
      : '下一步：我们已向您的手机发送短信验证码，请在下方输入以核实身份。核实之前，处理期限暂停计算。',
  nextStepNone: '我们会尽快处理，并通过您留下的联系方式答复您。',
  statusTitle: '请求处理进度',
  typeLabel: '请求类型',
  stateLabel: '当前状态',
  states: {
    received: '已收到',
    verifying: '等待核实身份',
    open: '已受理',
    in_progress: '处理中',
    fulfilled: '已完成',
    refused: '已拒绝',
    forwarded: '已转交',
    withdrawn: '已撤回',
    expired: '已失效（身份未在期限内核实）',
  },
  receivedAt: '收到时间',
  dueAt: '答复期限',
  dueAtPaused: '核实身份后开始计算',
  verifyTitle: '核实身份',
  codeLabel: '验证码',
  verifySubmit: '提交验证码',
  verified: '身份已核实，我们将在期限内处理您的请求。',
  resendCode: '重新发送验证码',
  codeResent: '我们已发送新的验证码，之前的验证码不再有效。',
  codeRefused: '无法再为此请求发送验证码。如需继续，请重新提交请求。',
  alreadySettled: '此操作已无需进行，以下是请求的当前状态。',
  feeTitle: '费用',
  feeQuote: (amount) =>
    `由于同类请求在短期内重复次数较多，处理本次请求需收取成本费用 ${amount}。您可以接受，也可以拒绝并撤回请求。`,
  feeAccept: '接受费用',
  feeDecline: '拒绝费用并撤回请求',
  feeAccepted: '您已接受费用。',
  feeDeclined: '您已拒绝费用。',
  partsTitle: '各部分的处理情况',
  partsText: '您的信息由多个处理者持有，我们已将请求分为以下几部分分别处理：',
  withdrawTitle: '撤回请求',
  withdrawText: '如您不再需要我们处理此请求，可以随时撤回。撤回后，我们将停止处理。',
  withdrawSubmit: '撤回此请求',
  withdrawDone: '您的请求已撤回。',
  refusalTitle: '拒绝的理由',
  refusalGround: '依据',
  refusalReason: '说明',
  refusalRights:
    '如您对该决定有异议，可以通过下方联系方式向我们投诉，也可以向履行个人信息保护职责的部门投诉、举报，或依法向人民法院提起诉讼。',
  forwardedTitle: '您的请求已转交',
  forwardedText: (controller) =>
    `您的信息是我们受“${controller}”委托处理的，您的请求已转交给该企业，由其答复您。`,
  forwardedContact: '联系方式',
  notFoundTitle: '未找到该请求',
  notFoundText: '链接无效或已过期。请使用提交请求后收到的完整链接。',
  tooManyTitle: '请求过于频繁',
  tooManyText: (seconds) => `请在 ${seconds} 秒后再试。`,
  errorTitle: '暂时无法处理',
  errorText: '服务暂时出现问题，您的内容未被保存。请稍后再试。',
  badFormTitle: '无法读取提交的内容',
  badFormText: '提交的内容格式不正确或过长。请返回表单重新填写。',
  backToForm: '返回请求表单',
  privacyContact: '个人信息保护联系方式',
};

const en: Texts = {
  siteTitle: 'Personal information requests',
  formTitle: 'Make a request about your personal information',
  formIntro:
    'Use this page to exercise your rights over your personal information. We first confirm who you are, then answer within the time the law or our commitments allow. Making a request is free.',
  otherLanguage: { label: '中文', lang: 'zh-CN' },
  typeLegend: 'What would you like us to do?',
  types: {
    access: {
      label: 'See my information',
      hint: 'Find out which personal information we handle about you, and how.',
    },
    copy: { label: 'Get a copy', hint: 'Receive a copy of the personal information we hold.' },
    portability: {
      label: 'Move my information',
      hint: 'Receive what you gave us in a machine-readable format, to take to another provider.',
    },
    correction: {
      label: 'Correct or complete',
      hint: 'Fix information that is wrong, or add what is missing.',
    },
    deletion: {
      label: 'Delete',
      hint: 'Erase your personal information; anything the law makes us keep is only stored, not used.',
    },
    withdraw_consent: {
      label: 'Withdraw consent',
      hint: 'Take back consent you gave earlier; what was done before stays lawful.',
    },
    restrict: {
      label: 'Restrict or object',
      hint: 'Ask us to limit or stop some use of your personal information.',
    },
    explain: {
      label: 'Explain the rules',
      hint: 'Ask us to explain why and how we handle your personal information.',
    },
    account_cancellation: {
      label: 'Close my account',
      hint: 'Close the account you hold with us.',
    },
    deceased_relative: {
      label: 'On behalf of a deceased relative',
      hint: 'As a close relative of someone who has died, exercise rights over their information for your own lawful interests.',
    },
    complaint: {
      label: 'Complaint',
      hint: 'Complain about the way we handle personal information.',
    },
  },
  nameLabel: 'Name',
  nameHint: 'How we should address you; you may leave it empty.',
  emailLabel: 'E-mail',
  phoneLabel: 'Mobile phone',
  contactHint:
    'Give at least one. We use it only to confirm who you are (with a one-time code) and to answer you; we never ask for information we do not already have.',
  detailsLabel: 'Your request',
  detailsHint: 'Describe your request in your own words, e.g. what should be corrected.',
  controllerLabel: 'Whose product or service is this about',
  controllerHint:
    'If we handle your information on behalf of another company, choose it; if unsure, keep the default.',
  controllerUnsure: 'Not sure, or about our own service',
  submit: 'Send request',
  optional: ' (optional)',
  errorSummary: 'Please correct the fields marked below and send again.',
  errors: {
    type: 'Choose a type of request.',
    contact: 'Give an e-mail address or a mobile phone number.',
    email: 'This is not a valid e-mail address.',
    phone: 'This is not a valid phone number.',
    tooLong: (max) => `At most ${max} characters.`,
    controller: 'Choose from the list.',
    code: 'This code is not right; check it and try again.',
    codeExpired: 'This code has expired; ask for a new one.',
    codeLocked: 'Too many wrong tries: this code no longer works; ask for a new one.',
    codeRequired: 'Enter the code you received.',
    generic: 'This value is not valid.',
  },
  confirmTitle: 'We have received your request',
  confirmDuplicate: 'We already had this same request; here it is.',
  duplicateLink:
    'Use the link you received when you first sent it (we also e-mailed it to you) to follow it and confirm who you are.',
  reference: 'Reference',
  statusLink: 'Follow your request',
  statusLinkHint: 'Keep this link: anyone who has it can see the progress of this request.',
  nextStepCode: (where) =>
    where === 'email'
      ? 'Next step: we sent a code to your e-mail address. Enter it below to confirm who you are. The time limit starts once you are confirmed.'
      : 'Next step: we sent a code to your phone by SMS. Enter it below to confirm who you are. The time limit starts once you are confirmed.',
  nextStepNone: 'We will handle it and answer you through the contact you gave.',
  statusTitle: 'Request status',
  typeLabel: 'Type',
  stateLabel: 'Status',
  states: {
    received: 'Received',
    verifying: 'Waiting for identity confirmation',
    open: 'Accepted',
    in_progress: 'In progress',
    fulfilled: 'Completed',
    refused: 'Refused',
    forwarded: 'Forwarded',
    withdrawn: 'Withdrawn',
    expired: 'Expired (identity not confirmed in time)',
  },
  receivedAt: 'Received',
  dueAt: 'Answer due by',
  dueAtPaused: 'starts once your identity is confirmed',
  verifyTitle: 'Confirm who you are',
  codeLabel: 'Code',
  verifySubmit: 'Confirm',
  verified: 'Your identity is confirmed; we will answer within the time limit.',
  resendCode: 'Send me a new code',
  codeResent: 'We sent you a new code; the earlier one no longer works.',
  codeRefused:
    'No more codes can be sent for this request. To go on, please send the request again.',
  alreadySettled: 'There is nothing left to do here; this is where the request stands.',
  feeTitle: 'Fee',
  feeQuote: (amount) =>
    `Because requests of this kind were repeated many times in a short period, this one carries a cost-based fee of ${amount}. You may accept it, or decline and withdraw the request.`,
  feeAccept: 'Accept the fee',
  feeDecline: 'Decline and withdraw',
  feeAccepted: 'You accepted the fee.',
  feeDeclined: 'You declined the fee.',
  partsTitle: 'Where each part stands',
  partsText:
    'Your information is held by more than one handler, so the request was split into these parts:',
  withdrawTitle: 'Withdraw the request',
  withdrawText:
    'If you no longer need us to handle this request, you can withdraw it; we then stop.',
  withdrawSubmit: 'Withdraw this request',
  withdrawDone: 'Your request has been withdrawn.',
  refusalTitle: 'Why we refused',
  refusalGround: 'Ground',
  refusalReason: 'Explanation',
  refusalRights:
    'If you disagree, you may complain to us through the contact below, complain to the authority responsible for personal information protection, or bring the matter before a People’s Court.',
  forwardedTitle: 'Your request was forwarded',
  forwardedText: (controller) =>
    `We handle your information on behalf of “${controller}”; your request was passed to them and they will answer you.`,
  forwardedContact: 'Contact',
  notFoundTitle: 'Request not found',
  notFoundText:
    'This link is not valid or has expired. Use the full link you received when you sent the request.',
  tooManyTitle: 'Too many requests',
  tooManyText: (seconds) => `Please try again in ${seconds} seconds.`,
  errorTitle: 'Something went wrong',
  errorText: 'We could not handle this just now and nothing was saved. Please try again later.',
  badFormTitle: 'We could not read the form',
  badFormText: 'What was sent is malformed or too long. Please go back to the form and try again.',
  backToForm: 'Back to the request form',
  privacyContact: 'Contact for personal information protection',
};

export const TEXTS: Record<Lang, Texts> = { 'zh-CN': zh, en };
