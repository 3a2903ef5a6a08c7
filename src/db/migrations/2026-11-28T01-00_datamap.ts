// The data map: a taxonomy of PI categories (seeded with GB/T 35273's kinds, sensitive ones
// flagged), purposes with legal basis, necessity and retention, recipients, and systems with their
// storage region; every version of every entry in `datamap_history`. PI records gain `expires_at`,
// set from their purpose's retention period.
import type { Kysely } from 'kysely';

type Seed = [key: string, en: string, zh: string, group: string, sensitiveKind: string | null];

// Frozen with this migration: later changes to the taxonomy are data-map edits, not code.
const CATEGORIES: Seed[] = [
  ['name', 'Name', '姓名', 'basic', null],
  ['email', 'E-mail address', '电子邮件地址', 'contact', null],
  ['phone', 'Phone number', '电话号码', 'contact', null],
  ['address', 'Postal address', '通信地址', 'contact', null],
  ['company', 'Employer or organisation', '工作单位', 'work', null],
  ['job_title', 'Job title', '职位', 'work', null],
  ['education', 'Education and work history', '教育工作经历', 'work', null],
  ['birth_date', 'Date of birth', '出生日期', 'basic', null],
  ['gender', 'Gender', '性别', 'basic', null],
  ['location', 'Coarse location (city or region)', '所在地区', 'basic', null],
  ['free_text', 'Free text written by the person', '用户填写的文字', 'basic', null],
  ['ip_address', 'IP address', 'IP 地址', 'online', null],
  ['device_id', 'Device identifier', '设备标识符', 'online', null],
  ['cookie_id', 'Cookie or similar identifier', 'Cookie 标识符', 'online', null],
  ['browsing_history', 'Web browsing history', '网页浏览记录', 'online', 'online_activity'],
  ['precise_location', 'Precise location', '精准定位信息', 'location', 'location'],
  ['whereabouts', 'Whereabouts and movement track', '行踪轨迹', 'location', 'location'],
  ['accommodation', 'Accommodation records', '住宿信息', 'location', 'location'],
  [
    'cn_resident_id',
    'PRC resident identity card number',
    '居民身份证号码',
    'identity',
    'id_document',
  ],
  ['passport', 'Passport number', '护照号码', 'identity', 'id_document'],
  ['id_number', 'Other identity document number', '其他证件号码', 'identity', 'id_document'],
  ['face_image', 'Face image and facial features', '人脸图像及面部特征', 'biometric', 'biometric'],
  ['fingerprint', 'Fingerprint', '指纹', 'biometric', 'biometric'],
  ['voiceprint', 'Voiceprint', '声纹', 'biometric', 'biometric'],
  ['iris', 'Iris', '虹膜', 'biometric', 'biometric'],
  ['genetic', 'Genetic data', '基因', 'biometric', 'biometric'],
  ['health', 'Health and physiological information', '健康生理信息', 'health', 'health'],
  ['medical_record', 'Medical records', '病历资料', 'health', 'health'],
  ['bank_card', 'Bank account or card number', '银行账户或卡号', 'financial', 'financial'],
  ['transaction_record', 'Transaction records', '交易和消费记录', 'financial', 'financial'],
  ['credit_record', 'Credit information', '征信信息', 'financial', 'financial'],
  ['property', 'Property and deposits', '存款、房产等财产信息', 'financial', 'financial'],
  [
    'credentials',
    'Passwords and authentication data',
    '账户口令及鉴别信息',
    'credentials',
    'credentials',
  ],
  [
    'communications',
    'Communication records and content',
    '通信记录和内容',
    'communications',
    'communications',
  ],
  [
    'contacts',
    'Contact lists, friends and groups',
    '通讯录、好友列表、群列表',
    'communications',
    'communications',
  ],
  ['religion', 'Religious belief', '宗教信仰', 'belief', 'religion'],
  ['specific_identity', 'Specific identity', '特定身份', 'belief', 'specific_identity'],
  ['sexual_orientation', 'Sexual orientation', '性取向', 'belief', 'other'],
  ['marital_history', 'Marital history', '婚史', 'belief', 'other'],
  [
    'criminal_record',
    'Unpublished criminal records',
    '未公开的违法犯罪记录',
    'belief',
    'criminal_record',
  ],
  [
    'minor_data',
    'Any information of a child under 14',
    '不满十四周岁未成年人的个人信息',
    'minors',
    'minor',
  ],
];

type PurposeSeed = {
  key: string;
  en: string;
  zh: string;
  basis: string;
  ref: string | null;
  necessity: string;
  days: number;
  end: 'delete' | 'anonymise';
  retentionBasis: 'purpose' | 'statute';
  required: string[];
  optional: string[];
};

const PURPOSES: PurposeSeed[] = [
  {
    key: 'consultation',
    en: 'Answering a consultation sent through the website',
    zh: '答复通过网站提交的咨询',
    basis: 'contract',
    ref: 'steps taken at the person’s request before a contract (PIPL art. 13 ¶1 item 2)',
    necessity:
      'Phone and e-mail are needed to answer; name, organisation, region and the question itself are optional and help route it.',
    days: 365,
    end: 'delete',
    retentionBasis: 'purpose',
    required: ['phone', 'email'],
    optional: ['name', 'company', 'location', 'free_text'],
  },
  {
    key: 'marketing',
    en: 'Product news and event invitations by e-mail',
    zh: '通过电子邮件发送产品资讯和活动邀请',
    basis: 'consent',
    ref: null,
    necessity: 'The e-mail address is where the news goes; the name personalises the greeting.',
    days: 730,
    end: 'delete',
    retentionBasis: 'purpose',
    required: ['email'],
    optional: ['name', 'company'],
  },
  {
    key: 'contract',
    en: 'Concluding and performing contracts with customers',
    zh: '订立和履行与客户的合同',
    basis: 'contract',
    ref: 'the customer contract',
    necessity: 'Identity, contact and payment details are needed to sign, deliver and invoice.',
    days: 1825,
    end: 'delete',
    retentionBasis: 'statute',
    required: ['name'],
    optional: ['phone', 'email', 'address', 'company', 'cn_resident_id', 'passport', 'bank_card'],
  },
  {
    key: 'rights_requests',
    en: 'Handling requests to exercise personal-information rights',
    zh: '处理个人信息权利请求',
    basis: 'legal_duty',
    ref: 'PIPL arts. 44–50',
    necessity: 'Contact details to answer and identity details to verify the requester.',
    days: 1095,
    end: 'delete',
    retentionBasis: 'statute',
    required: ['email'],
    optional: ['name', 'phone', 'cn_resident_id', 'passport', 'id_number'],
  },
  {
    key: 'security_logs',
    en: 'Keeping network logs for security',
    zh: '为网络安全留存网络日志',
    basis: 'legal_duty',
    ref: 'Cybersecurity Law: network logs kept for at least six months',
    necessity: 'Addresses and device identifiers are what a security investigation traces.',
    days: 183,
    end: 'delete',
    retentionBasis: 'statute',
    required: ['ip_address'],
    optional: ['device_id'],
  },
  {
    key: 'website_analytics',
    en: 'Measuring how the website is used (analytics cookies)',
    zh: '统计网站使用情况（分析类 Cookie）',
    basis: 'consent',
    ref: null,
    necessity: 'A cookie identifier and the pages visited are what usage statistics count.',
    days: 395,
    end: 'anonymise',
    retentionBasis: 'purpose',
    required: ['cookie_id'],
    optional: ['browsing_history', 'ip_address', 'device_id'],
  },
];

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('data_categories')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('group_key', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('sensitive', 'integer', (c) => c.notNull())
    .addColumn('sensitive_kind', 'text')
    .addColumn('builtin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('purposes')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('name_en', 'text', (c) => c.notNull())
    .addColumn('name_zh', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('legal_basis_ref', 'text')
    .addColumn('necessity', 'text', (c) => c.notNull())
    .addColumn('retention_days', 'integer', (c) => c.notNull())
    .addColumn('retention_end', 'text', (c) => c.notNull())
    .addColumn('retention_basis', 'text', (c) => c.notNull())
    .addColumn('separate_consent', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('automated_decision', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('purpose_categories')
    .addColumn('purpose_key', 'text', (c) => c.notNull().references('purposes.key'))
    .addColumn('category_key', 'text', (c) => c.notNull().references('data_categories.key'))
    .addColumn('required', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('purpose_categories_pk', ['purpose_key', 'category_key'])
    .execute();

  await db.schema
    .createTable('recipients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('country', 'text', (c) => c.notNull())
    .addColumn('contact', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('systems')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('operator', 'text', (c) => c.notNull())
    .addColumn('operator_recipient_id', 'text', (c) => c.references('recipients.id'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('system_categories')
    .addColumn('system_id', 'text', (c) => c.notNull().references('systems.id'))
    .addColumn('category_key', 'text', (c) => c.notNull().references('data_categories.key'))
    .addPrimaryKeyConstraint('system_categories_pk', ['system_id', 'category_key'])
    .execute();
  await db.schema
    .createTable('system_purposes')
    .addColumn('system_id', 'text', (c) => c.notNull().references('systems.id'))
    .addColumn('purpose_key', 'text', (c) => c.notNull().references('purposes.key'))
    .addPrimaryKeyConstraint('system_purposes_pk', ['system_id', 'purpose_key'])
    .execute();
  await db.schema
    .createTable('system_recipients')
    .addColumn('system_id', 'text', (c) => c.notNull().references('systems.id'))
    .addColumn('recipient_id', 'text', (c) => c.notNull().references('recipients.id'))
    .addPrimaryKeyConstraint('system_recipients_pk', ['system_id', 'recipient_id'])
    .execute();

  await db.schema
    .createTable('datamap_history')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('entity_type', 'text', (c) => c.notNull())
    .addColumn('entity_id', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('change', 'text', (c) => c.notNull())
    .addColumn('snapshot', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('at', 'text', (c) => c.notNull())
    .addUniqueConstraint('datamap_history_version', ['entity_type', 'entity_id', 'version'])
    .execute();

  await db.schema.alterTable('pi_records').addColumn('expires_at', 'text').execute();
  await db.schema
    .createIndex('pi_records_expiry')
    .on('pi_records')
    .columns(['expires_at', 'id'])
    .execute();

  const now = new Date().toISOString();
  const history = (
    entityType: string,
    entityId: string,
    snapshot: unknown,
  ): Record<string, unknown> => ({
    // Seed history ids are derived from the entry so the migration is deterministic.
    id: `seed:${entityType}:${entityId}`,
    entity_type: entityType,
    entity_id: entityId,
    version: 1,
    change: 'create',
    snapshot: JSON.stringify(snapshot),
    actor_type: 'system',
    actor_id: null,
    at: now,
  });
  const categoryRows = CATEGORIES.map(([key, en, zh, group, kind]) => ({
    key,
    name_en: en,
    name_zh: zh,
    group_key: group,
    description: null,
    sensitive: kind === null ? 0 : 1,
    sensitive_kind: kind,
    builtin: 1,
    status: 'active',
    version: 1,
    created_at: now,
    updated_at: now,
  }));
  const raw = db as unknown as Kysely<Record<string, Record<string, unknown>>>;
  await raw.insertInto('data_categories').values(categoryRows).execute();
  for (const row of categoryRows)
    await raw
      .insertInto('datamap_history')
      .values(history('category', row.key, row))
      .execute();

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
      retention_end: p.end,
      retention_basis: p.retentionBasis,
      separate_consent: 0,
      automated_decision: 0,
      status: 'active',
      version: 1,
      created_at: now,
      updated_at: now,
    };
    await raw.insertInto('purposes').values(row).execute();
    const links = [
      ...p.required.map((c) => ({ purpose_key: p.key, category_key: c, required: 1 })),
      ...p.optional.map((c) => ({ purpose_key: p.key, category_key: c, required: 0 })),
    ];
    await raw.insertInto('purpose_categories').values(links).execute();
    await raw
      .insertInto('datamap_history')
      .values(
        history('purpose', p.key, {
          ...row,
          categories: links.map((l) => ({ key: l.category_key, required: l.required === 1 })),
        }),
      )
      .execute();
  }
}

export async function down(): Promise<void> {
  throw new Error('data-map migration cannot be reverted');
}
