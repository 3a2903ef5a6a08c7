// Lawful grounds for refusing a request. PIPL art. 50 requires only that a refusal be reasoned; the
// catalogue is the eight exceptions of a GB/T 35273-2020 §8.7-style privacy policy, in that order,
// plus two procedural grounds (research/pipl-requirements.md §1.13). Grounds 5 (malice or abuse),
// 7 (serious harm to others) and 8 (trade secrets) have no explicit PIPL basis and rest on the
// handler's judgement, so they need a second approver with the privacy-officer role and evidence.
export const REFUSAL_GROUNDS = [
  'legal_obligation',
  'national_security',
  'public_interest',
  'criminal_justice',
  'malice_or_abuse',
  'protect_life_property',
  'harm_to_others',
  'trade_secret',
  'identity_not_verified',
  'statutory_retention',
] as const;
export type RefusalGround = (typeof REFUSAL_GROUNDS)[number];

export interface GroundInfo {
  /** 1–8 for the policy's eight exceptions; null for the two procedural grounds. */
  number: number | null;
  label: { 'zh-CN': string; en: string };
  /** Grounds 5, 7, 8: a second approver with the privacy-officer role and attached evidence. */
  needsSecondApprover: boolean;
}

const GROUNDS: Readonly<Record<RefusalGround, GroundInfo>> = Object.freeze({
  legal_obligation: {
    number: 1,
    label: {
      'zh-CN': '履行法律法规规定的义务所需',
      en: 'Needed to meet a duty that laws or regulations place on us',
    },
    needsSecondApprover: false,
  },
  national_security: {
    number: 2,
    label: {
      'zh-CN': '直接关系国家安全或国防安全',
      en: 'Directly concerns national security or national defence',
    },
    needsSecondApprover: false,
  },
  public_interest: {
    number: 3,
    label: {
      'zh-CN': '直接关系公共安全、公共卫生或重大公共利益',
      en: 'Directly concerns public safety, public health or a major public interest',
    },
    needsSecondApprover: false,
  },
  criminal_justice: {
    number: 4,
    label: {
      'zh-CN': '直接关系犯罪侦查、起诉、审判或判决执行',
      en: 'Directly concerns the investigation, prosecution or trial of a crime, or enforcing a judgment',
    },
    needsSecondApprover: false,
  },
  malice_or_abuse: {
    number: 5,
    label: {
      'zh-CN': '有充分证据证明请求出于恶意或属于滥用权利',
      en: 'We hold sound evidence that the request is made in bad faith or abuses the right',
    },
    needsSecondApprover: true,
  },
  protect_life_property: {
    number: 6,
    label: {
      'zh-CN': '为保护您或他人的生命、财产等重大合法权益所必需，且难以及时取得同意',
      en: "Needed to protect your or another person's life, property or other vital rights where consent cannot practically be obtained",
    },
    needsSecondApprover: false,
  },
  harm_to_others: {
    number: 7,
    label: {
      'zh-CN': '答复将严重损害您或其他个人、组织的合法权益',
      en: 'Answering would seriously harm the lawful rights of you or of other people or organisations',
    },
    needsSecondApprover: true,
  },
  trade_secret: {
    number: 8,
    label: {
      'zh-CN': '答复将泄露商业秘密',
      en: 'Answering would disclose trade secrets',
    },
    needsSecondApprover: true,
  },
  identity_not_verified: {
    number: null,
    label: {
      'zh-CN': '未能核验请求人身份',
      en: 'We could not confirm the identity of the person making the request',
    },
    needsSecondApprover: false,
  },
  statutory_retention: {
    number: null,
    label: {
      'zh-CN': '法律、行政法规规定的保存期限尚未届满',
      en: 'A retention period set by law or administrative regulation has not yet ended',
    },
    needsSecondApprover: false,
  },
});

// Frozen all the way down: groundInfo hands these objects out.
for (const info of Object.values(GROUNDS)) {
  Object.freeze(info.label);
  Object.freeze(info);
}

/** True when `value` is one of the coded refusal grounds. */
export function isRefusalGround(value: unknown): value is RefusalGround {
  return typeof value === 'string' && (REFUSAL_GROUNDS as readonly string[]).includes(value);
}

/** The number, labels and approval rule of a refusal ground. */
export function groundInfo(ground: RefusalGround): GroundInfo {
  return GROUNDS[ground];
}

/** Grounds that take effect only once a second privacy officer approves with evidence. */
export function needsSecondApprover(ground: RefusalGround): boolean {
  return GROUNDS[ground].needsSecondApprover;
}
