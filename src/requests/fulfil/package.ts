// The package a person receives for an access, copy or portability request (PIPL art. 45): a ZIP
// holding their records as JSON and CSV, the disclosures of their data, their request history and
// a readme in Simplified Chinese and English. Built in memory; the caller seals it at once.
import { strToU8, zipSync } from 'fflate';
import { toCsv } from '../../datamap/csv.js';
import type { SubjectDisclosure } from '../../registers/disclosures/service.js';
import type { HeldRecord } from './gather.js';

/** The files of a package, in the order they appear in the archive. */
export const PACKAGE_FILES = [
  'README.zh-CN.txt',
  'README.en.txt',
  'data.json',
  'data.csv',
  'disclosures.json',
  'requests.json',
] as const;

export const CSV_COLUMNS = [
  'record_id',
  'category',
  'category_name_zh',
  'category_name_en',
  'purpose',
  'purpose_name_zh',
  'purpose_name_en',
  'legal_basis',
  'value',
  'source',
  'collected_at',
  'expires_at',
  'storage_region',
] as const;

/** One past or current request of the person, as they may see it: no notes, no staff names. */
export interface RequestHistoryEntry {
  reference: string;
  type: string;
  channel: string;
  status: string;
  receivedAt: string;
  verifiedAt: string | null;
  dueAt: string | null;
  closedAt: string | null;
}

export interface PackageInput {
  reference: string;
  requestType: 'access' | 'copy' | 'portability';
  generatedAt: string;
  expiresAt: string;
  controllerName: string;
  contact: string;
  records: readonly HeldRecord[];
  /** Portability only: records left out because they are outside art. 45 ¶3's scope. */
  excluded: number;
  disclosures: readonly SubjectDisclosure[];
  requests: readonly RequestHistoryEntry[];
}

// Sources that mark a value as worked out or obtained from others rather than given by the person.
const NOT_PROVIDED_SOURCE = /^(derived|inferred|computed|generated|third_party|purchased|public)/;

/**
 * Portability scope (PIPL art. 45 ¶3; NDSMR conditions): only information the person provided,
 * processed on their consent or under a contract with them. Values derived by us or obtained from
 * third parties stay out, and the readme says so.
 */
export function isPortable(r: HeldRecord): boolean {
  return (
    (r.legalBasis === 'consent' || r.legalBasis === 'contract') &&
    !NOT_PROVIDED_SOURCE.test(r.source)
  );
}

function dataJson(p: PackageInput) {
  return {
    format: 'custos.subject-data/v1',
    reference: p.reference,
    requestType: p.requestType,
    generatedAt: p.generatedAt,
    controller: p.controllerName,
    scope:
      p.requestType === 'portability'
        ? 'records you provided, processed on your consent or under a contract with you'
        : 'every record held about you',
    records: p.records.map((r) => ({
      id: r.id,
      category: { key: r.category, zh: r.categoryName.zh, en: r.categoryName.en },
      sensitive: r.sensitive,
      purpose: {
        key: r.purpose,
        zh: r.purposeName.zh,
        en: r.purposeName.en,
        legalBasis: r.legalBasis,
        legalBasisRef: r.legalBasisRef,
      },
      value: r.value,
      source: r.source,
      collectedAt: r.collectedAt,
      expiresAt: r.expiresAt,
      storageRegion: r.region,
    })),
  };
}

function dataCsv(p: PackageInput): string {
  const rows = p.records.map((r) => [
    r.id,
    r.category,
    r.categoryName.zh,
    r.categoryName.en,
    r.purpose,
    r.purposeName.zh,
    r.purposeName.en,
    r.legalBasis ?? '',
    r.value,
    r.source,
    r.collectedAt,
    r.expiresAt ?? '',
    r.region,
  ]);
  // The byte-order mark lets spreadsheet programs read the Chinese text as UTF-8.
  return `\uFEFF${toCsv(CSV_COLUMNS, rows)}`;
}

function readmeZh(p: PackageInput): string {
  const scope =
    p.requestType === 'portability'
      ? [
          '本次为个人信息转移（可携带）请求。按照《个人信息保护法》第四十五条第三款及相关规定，',
          '本包只包含由您本人提供、且基于您的同意或与您订立的合同而处理的个人信息；',
          `其余 ${p.excluded} 条记录（例如依法定义务处理或由我们推算得出的信息）未纳入，`,
          '如需查阅这些记录，请另行提出查阅或复制请求。',
        ]
      : ['本包包含我们在处理您的请求时所保存的、与您有关的全部个人信息记录。'];
  return [
    `个人信息${p.requestType === 'copy' ? '副本' : p.requestType === 'portability' ? '转移' : '查阅'}答复`,
    `请求编号：${p.reference}`,
    `个人信息处理者：${p.controllerName}`,
    `生成时间（UTC）：${p.generatedAt}`,
    '',
    ...scope,
    '',
    '文件说明',
    `- data.json：全部记录（共 ${p.records.length} 条），每条包括信息类别（中英文名称）、处理目的及其合法性基础、明文取值、来源、收集日期、到期日期和存储地区。`,
    '- data.csv：与 data.json 内容相同的表格（RFC 4180 格式，UTF-8 编码）。以 = + - @ 开头的取值前加了一个单引号，以免被电子表格当作公式执行。',
    `- disclosures.json：向第三方提供您个人信息的登记记录（共 ${p.disclosures.length} 项），包括接收方名称、类型、所在国家、目的、信息类别和日期。`,
    `- requests.json：您提出过的权利请求（共 ${p.requests.length} 项），包括类型、日期和处理状态。`,
    '',
    '您的权利',
    '您可以查阅、复制您的个人信息，要求转移至您指定的处理者，要求更正、补充或删除，撤回同意，',
    '限制或拒绝处理，要求我们解释个人信息处理规则，注销账户。我们拒绝您的请求时会说明理由；',
    '您可以向履行个人信息保护职责的部门投诉、举报，或依法向人民法院提起诉讼。',
    '',
    `联系我们：${p.contact}`,
    '',
    `下载链接于 ${p.expiresAt}（UTC）失效。本包含有您的明文个人信息，请妥善保管，不要转发给他人。`,
    '',
  ].join('\r\n');
}

function readmeEn(p: PackageInput): string {
  const scope =
    p.requestType === 'portability'
      ? [
          'This is a portability request. Under PIPL art. 45(3) and the rules implementing it,',
          'this package holds only the information you provided yourself and that we process on',
          `your consent or under a contract with you. ${p.excluded} other record(s) (for example`,
          'information kept under a legal duty, or worked out by us) are not included; you may',
          'ask for them with an access or copy request.',
        ]
      : ['This package holds every record of personal information we keep about you.'];
  return [
    `Your ${p.requestType === 'copy' ? 'copy of your' : p.requestType === 'portability' ? 'portable' : 'access to your'} personal information`,
    `Request reference: ${p.reference}`,
    `Personal information handler: ${p.controllerName}`,
    `Generated (UTC): ${p.generatedAt}`,
    '',
    ...scope,
    '',
    'Files',
    `- data.json: all records (${p.records.length}); each gives the category (Chinese and English names), the purpose and its legal basis, the value in clear, where it came from, when it was collected, when it is due for deletion and where it is stored.`,
    '- data.csv: the same records as a table (RFC 4180, UTF-8). A value that starts with = + - or @ has an apostrophe put in front so spreadsheet programs do not run it as a formula.',
    `- disclosures.json: entries of our disclosure register that involved your data (${p.disclosures.length}): recipient name, kind, country, purpose, categories and dates.`,
    `- requests.json: the rights requests you made (${p.requests.length}): type, dates and status.`,
    '',
    'Your rights',
    'You may see and copy your personal information, have it moved to a handler you name, have it',
    'corrected, completed or deleted, withdraw your consent, restrict or object to processing, ask',
    'us to explain how we process it, and close your account. If we refuse a request we tell you',
    'why; you may complain to the authority responsible for personal-information protection or',
    'bring the matter before a people’s court.',
    '',
    `Contact: ${p.contact}`,
    '',
    `The download link stops working at ${p.expiresAt} (UTC). This package holds your personal`,
    'information in clear: keep it safe and do not pass it on.',
    '',
  ].join('\r\n');
}

/** The ZIP bytes of a package. Entry times are the generation time, so a package is reproducible. */
export function buildPackage(p: PackageInput): Uint8Array {
  const mtime = new Date(p.generatedAt);
  const json = (v: unknown) => strToU8(`${JSON.stringify(v, null, 2)}\n`);
  const files: Record<(typeof PACKAGE_FILES)[number], Uint8Array> = {
    'README.zh-CN.txt': strToU8(readmeZh(p)),
    'README.en.txt': strToU8(readmeEn(p)),
    'data.json': json(dataJson(p)),
    'data.csv': strToU8(dataCsv(p)),
    'disclosures.json': json({
      format: 'custos.subject-disclosures/v1',
      items: p.disclosures.map((d) => ({
        recipient: d.recipient,
        purpose: d.purpose,
        legalBasis: d.legalBasis,
        categories: d.categories,
        disclosedAt: d.disclosedAt,
        deliveredAt: d.deliveredAt,
        via: d.via,
      })),
    }),
    'requests.json': json({ format: 'custos.subject-requests/v1', items: p.requests }),
  };
  return zipSync(
    Object.fromEntries(PACKAGE_FILES.map((name) => [name, [files[name], { mtime }]])),
    { level: 6 },
  );
}
