// Reading a free-text mail as a request: which right it is about and which language to answer in.
// A guess only; a handler sees the person's words and can retype the request. When nothing
// matches, the request is treated as access (the broadest right, PIPL art. 45), never refused.
import type { Lang, RequestType } from '../contracts.js';

// Most specific first: "撤回同意" must win over a generic "撤回", "注销账户" over "删除账户", and a
// relative's request about a deceased person over the right they name.
const RULES: ReadonlyArray<readonly [RequestType, RegExp]> = [
  [
    'withdraw_consent',
    /撤回同意|撤销同意|撤回授权|撤销授权|\bwithdraw(?:ing|al of)?\s+(?:my\s+|the\s+)?consent|\brevok(?:e|ing)\s+(?:my\s+)?consent/i,
  ],
  [
    'account_cancellation',
    /注销|\b(?:cancel|close|delete|terminate)(?:ing)?\s+(?:my\s+|the\s+)?account|\baccount\s+(?:cancellation|closure|deletion)/i,
  ],
  ['deceased_relative', /已故|去世|过世|逝世|\bdeceased\b|\bpassed\s+away\b|\bdied\b/i],
  ['complaint', /投诉|举报|\bcomplain(?:t|ts|ing)?\b/i],
  ['deletion', /删除|删掉|\bdelet(?:e|ion|ing)\b|\beras(?:e|ure|ing)\b|\bforget\s+me\b/i],
  ['correction', /更正|修改|改正|补充|\bcorrect(?:ion|ing)?\b|\brectif(?:y|ication)\b/i],
  ['portability', /转移|可携|导出|\bportab(?:le|ility)\b|\b(?:transfer|move)\s+my\s+data\b/i],
  ['copy', /复制|副本|拷贝|\bcop(?:y|ies)\b/i],
  [
    'restrict',
    /限制处理|限制使用|拒绝处理|停止处理|反对|\brestrict(?:ion)?\b|\bobject(?:ion)?\s+to\b|\bstop\s+(?:processing|using)\b/i,
  ],
  ['explain', /解释|说明.*规则|\bexplain\b|\bexplanation\b/i],
  ['access', /查阅|查询|查看|\baccess\b|\bsee\s+(?:my|the)\s+(?:data|information)\b/i],
];

/** The request type a mail's subject and body most likely ask for; access when unclear. */
export function guessRequestType(text: string): RequestType {
  for (const [type, pattern] of RULES) if (pattern.test(text)) return type;
  return 'access';
}

// CJK Unified Ideographs (with extension A) and compatibility ideographs.
const HAN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;

/** The language to answer in: Chinese when the person wrote any Chinese characters. */
export function guessLang(text: string): Lang {
  return HAN.test(text) ? 'zh-CN' : 'en';
}
