// Collection and consent (issue 5):
//   policy_versions        the published policy versions; each names the purposes whose terms changed
//   consent_notices        the exact text shown for a purpose, per language and policy version, with
//                          its SHA-256 (a ledger record names the hash of what the person saw)
//   cookie_categories      the banner's categories, each bound to a data-map purpose, with services
//   consent_records        the append-only consent ledger (grant / deny / withdraw / acknowledge)
//   consent_receipt_tokens bearer tokens (hashed) for a person's consent receipt and withdrawal
//   inquiries              consultation-form submissions (values live in pi_records)
//   suppressions           marketing suppression list, keyed by the e-mail blind index
//   unsubscribe_tokens     one-click unsubscribe tokens (hashed), single use
//   guardian_holds         data of a child under 14 held until a guardian verifies and consents
//   subjects.minor         1 when the person is a minor: their PI is sensitive (PIPL art. 28)
// Also seeds purposes the banner and the guardian flow need, the first policy version, its notices
// and the default cookie categories.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { portable } from './portable.js';

const VERSION = '2026.1';
const AT = '2026-11-01T00:00:00.000Z';

type PurposeSeed = {
  key: string;
  en: string;
  zh: string;
  basis: string;
  ref: string | null;
  necessity: string;
  days: number;
  separate: number;
  required: string[];
  optional: string[];
};

const PURPOSES: PurposeSeed[] = [
  {
    key: 'website_preferences',
    en: 'Remembering choices made on the website (functional cookies)',
    zh: '记住您在网站上的设置（功能类 Cookie）',
    basis: 'consent',
    ref: null,
    necessity: 'A cookie identifier is what lets the site remember a language or layout choice.',
    days: 395,
    separate: 0,
    required: ['cookie_id'],
    optional: [],
  },
  {
    key: 'advertising',
    en: 'Advertising measurement with advertising partners (marketing cookies)',
    zh: '与广告合作方进行广告效果衡量（营销类 Cookie）',
    basis: 'consent',
    ref: null,
    necessity:
      'A cookie identifier and the pages visited are shared with the advertising partner to count conversions.',
    days: 395,
    // Sharing with a third party needs separate consent (PIPL art. 23).
    separate: 1,
    required: ['cookie_id'],
    optional: ['browsing_history'],
  },
  {
    key: 'guardian_consent',
    en: 'Verifying a guardian and recording their consent for a child under 14',
    zh: '核验监护人身份并记录其对不满十四周岁未成年人的同意',
    basis: 'legal_duty',
    ref: 'PIPL art. 31: a guardian consents for a minor under 14',
    necessity: 'The guardian’s e-mail address is where the verification code goes.',
    days: 1095,
    separate: 0,
    required: ['email'],
    optional: ['name'],
  },
];

/** Notice texts of the first policy version: what a person is shown before deciding. */
const NOTICES: Array<{ purpose: string; en: string; zh: string }> = [
  {
    purpose: 'consultation',
    en: 'We use your phone number and e-mail address to answer this consultation. Name, organisation, region and your question are optional. We keep them for one year, then delete them.',
    zh: '我们使用您的电话号码和电子邮件地址答复本次咨询。姓名、单位、地区和问题内容可选填。我们保存一年后删除。',
  },
  {
    purpose: 'marketing',
    en: 'With your consent we send product news and event invitations to your e-mail address. Every message has a one-click unsubscribe link, and you can withdraw at any time.',
    zh: '经您同意，我们会向您的电子邮件地址发送产品资讯和活动邀请。每封邮件都附有一键退订链接，您可以随时撤回同意。',
  },
  {
    purpose: 'website_analytics',
    en: 'Analytics cookies count visits and pages viewed so we can improve the site. They are set only if you allow them.',
    zh: '分析类 Cookie 统计访问次数和浏览的页面，帮助我们改进网站。仅在您允许时设置。',
  },
  {
    purpose: 'website_preferences',
    en: 'Functional cookies remember choices such as your language. They are set only if you allow them.',
    zh: '功能类 Cookie 记住您的语言等设置。仅在您允许时设置。',
  },
  {
    purpose: 'advertising',
    en: 'Marketing cookies share a cookie identifier and the pages you visit with our advertising partner to measure campaigns. This is a disclosure to a third party and needs your separate consent.',
    zh: '营销类 Cookie 会将 Cookie 标识符和您浏览的页面提供给我们的广告合作方，用于衡量广告效果。这属于向第三方提供个人信息，需要您的单独同意。',
  },
  {
    purpose: 'guardian_consent',
    en: 'You are asked, as the guardian of a child under 14, to consent to the processing of the child’s information described in this form. We use your e-mail address only to verify you and record your decision.',
    zh: '作为不满十四周岁儿童的监护人，您被请求同意本表单所述对该儿童个人信息的处理。我们仅使用您的电子邮件地址核验身份并记录您的决定。',
  },
];

const CATEGORIES = [
  {
    key: 'necessary',
    purpose: null,
    essential: 1,
    en: 'Strictly necessary',
    zh: '必要',
    services: [{ name: 'Custos consent', cookies: ['custos_consent'] }],
    gcm: ['security_storage'],
  },
  {
    key: 'functional',
    purpose: 'website_preferences',
    essential: 0,
    en: 'Functional',
    zh: '功能',
    services: [{ name: 'Site preferences', cookies: ['site_lang'] }],
    gcm: ['functionality_storage', 'personalization_storage'],
  },
  {
    key: 'analytics',
    purpose: 'website_analytics',
    essential: 0,
    en: 'Analytics',
    zh: '分析',
    services: [{ name: 'Web analytics', cookies: ['_ga', '_ga_*'] }],
    gcm: ['analytics_storage'],
  },
  {
    key: 'marketing',
    purpose: 'advertising',
    essential: 0,
    en: 'Marketing',
    zh: '营销',
    services: [{ name: 'Advertising partner', cookies: ['_gcl_au', '_fbp'] }],
    gcm: ['ad_storage', 'ad_user_data', 'ad_personalization'],
  },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  const t = portable(db);
  await db.schema
    .createTable('policy_versions')
    .addColumn('version', 'text', (c) => c.primaryKey())
    .addColumn('published_at', 'text', (c) => c.notNull())
    .addColumn('summary_en', 'text', (c) => c.notNull())
    .addColumn('summary_zh', 'text', (c) => c.notNull())
    .addColumn('changed_purposes', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('consent_notices')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('purpose_key', 'text', (c) => c.notNull().references('purposes.key'))
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'text', (c) => c.notNull().references('policy_versions.version'))
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('sha256', t.binary, (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('consent_notices_unique', ['purpose_key', 'lang', 'policy_version'])
    .execute();

  await db.schema
    .createTable('cookie_categories')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('purpose_key', 'text', (c) => c.references('purposes.key'))
    .addColumn('essential', 'integer', (c) => c.notNull())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('services', 'text', (c) => c.notNull())
    .addColumn('gcm', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('consent_records')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text')
    .addColumn('visitor_digest', t.binary)
    .addColumn('controller_id', 'text', (c) => c.notNull())
    .addColumn('purpose_key', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'text', (c) => c.notNull())
    .addColumn('notice_sha256', t.binary)
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('ip_prefix', 'text')
    .addColumn('ua_hash', t.binary)
    .addColumn('gpc', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('dnt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('consent_records_subject')
    .on('consent_records')
    .columns(['subject_id', 'purpose_key', 'created_at'])
    .execute();
  await db.schema
    .createIndex('consent_records_visitor')
    .on('consent_records')
    .columns(['visitor_digest', 'purpose_key', 'created_at'])
    .execute();

  await db.schema
    .createTable('consent_receipt_tokens')
    .addColumn('token_hash', t.binary, (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('consent_receipt_tokens_subject')
    .on('consent_receipt_tokens')
    .column('subject_id')
    .execute();

  await db.schema
    .createTable('inquiries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('controller_id', 'text', (c) => c.notNull())
    .addColumn('purpose_key', 'text', (c) => c.notNull())
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('policy_version', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('inquiries_subject').on('inquiries').column('subject_id').execute();

  await db.schema
    .createTable('suppressions')
    .addColumn('digest', t.binary, (c) => c.primaryKey())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('unsubscribe_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('token_hash', t.binary, (c) => c.notNull().unique())
    .addColumn('digest', t.binary, (c) => c.notNull())
    .addColumn('subject_id', 'text')
    .addColumn('purpose_key', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();

  await db.schema
    .createTable('guardian_holds')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('minor_subject_id', 'text', (c) => c.notNull())
    .addColumn('guardian_subject_id', 'text')
    .addColumn('inquiry_id', 'text')
    .addColumn('lang', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('token_hash', t.binary, (c) => c.notNull())
    .addColumn('code_digest', t.binary)
    .addColumn('code_expires_at', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('deadline_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('decided_at', 'text')
    .execute();
  await db.schema
    .createIndex('guardian_holds_minor')
    .on('guardian_holds')
    .column('minor_subject_id')
    .execute();

  await db.schema
    .alterTable('subjects')
    .addColumn('minor', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();

  const raw = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  for (const p of PURPOSES) {
    const row = {
      key: p.key,
      name_en: p.en,
      name_zh: p.zh,
      description: null,
      legal_basis: p.basis,
      legal_basis_ref: p.ref,
      necessity: p.necessity,
      retention_days: p.days,
      retention_end: 'delete',
      retention_basis: p.basis === 'legal_duty' ? 'statute' : 'purpose',
      separate_consent: p.separate,
      automated_decision: 0,
      status: 'active',
      version: 1,
      created_at: AT,
      updated_at: AT,
    };
    await raw.insertInto('purposes').values(row).execute();
    const links = [
      ...p.required.map((c) => ({ purpose_key: p.key, category_key: c, required: 1 })),
      ...p.optional.map((c) => ({ purpose_key: p.key, category_key: c, required: 0 })),
    ];
    await raw.insertInto('purpose_categories').values(links).execute();
    await raw
      .insertInto('datamap_history')
      .values({
        id: `seed:purpose:${p.key}`,
        entity_type: 'purpose',
        entity_id: p.key,
        version: 1,
        change: 'create',
        snapshot: JSON.stringify({
          ...row,
          categories: links.map((l) => ({ key: l.category_key, required: l.required === 1 })),
        }),
        actor_type: 'system',
        actor_id: null,
        at: AT,
      })
      .execute();
  }

  await raw
    .insertInto('policy_versions')
    .values({
      version: VERSION,
      published_at: AT,
      summary_en: 'First version published in Custos.',
      summary_zh: '在 Custos 中发布的第一个版本。',
      changed_purposes: JSON.stringify(NOTICES.map((n) => n.purpose)),
      created_at: AT,
    })
    .execute();
  for (const n of NOTICES)
    for (const lang of ['zh-CN', 'en'] as const) {
      const text = lang === 'en' ? n.en : n.zh;
      await raw
        .insertInto('consent_notices')
        .values({
          id: `seed:${n.purpose}:${lang}`,
          purpose_key: n.purpose,
          lang,
          policy_version: VERSION,
          text,
          sha256: createHash('sha256').update(text, 'utf8').digest(),
          created_at: AT,
        })
        .execute();
    }
  await raw
    .insertInto('cookie_categories')
    .values(
      CATEGORIES.map((c, i) => ({
        key: c.key,
        purpose_key: c.purpose,
        essential: c.essential,
        name_en: c.en,
        name_zh: c.zh,
        services: JSON.stringify(c.services),
        gcm: JSON.stringify(c.gcm),
        position: i,
        status: 'active',
        created_at: AT,
        updated_at: AT,
      })),
    )
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations cannot be reverted');
}
