// ISO 3166-1 alpha-2: the 249 officially assigned country codes, frozen here so a typo ("UK",
// "EN") or a user-assigned code ("XK", "ZZ") cannot enter the data map as a recipient's country.
// Cross-border duties (PIPL arts. 38–40) hang on this value, so a made-up code must be refused.

// prettier-ignore
const ASSIGNED = [
  'AD','AE','AF','AG','AI','AL','AM','AO','AQ','AR','AS','AT','AU','AW','AX','AZ',
  'BA','BB','BD','BE','BF','BG','BH','BI','BJ','BL','BM','BN','BO','BQ','BR','BS','BT','BV','BW','BY','BZ',
  'CA','CC','CD','CF','CG','CH','CI','CK','CL','CM','CN','CO','CR','CU','CV','CW','CX','CY','CZ',
  'DE','DJ','DK','DM','DO','DZ',
  'EC','EE','EG','EH','ER','ES','ET',
  'FI','FJ','FK','FM','FO','FR',
  'GA','GB','GD','GE','GF','GG','GH','GI','GL','GM','GN','GP','GQ','GR','GS','GT','GU','GW','GY',
  'HK','HM','HN','HR','HT','HU',
  'ID','IE','IL','IM','IN','IO','IQ','IR','IS','IT',
  'JE','JM','JO','JP',
  'KE','KG','KH','KI','KM','KN','KP','KR','KW','KY','KZ',
  'LA','LB','LC','LI','LK','LR','LS','LT','LU','LV','LY',
  'MA','MC','MD','ME','MF','MG','MH','MK','ML','MM','MN','MO','MP','MQ','MR','MS','MT','MU','MV','MW','MX','MY','MZ',
  'NA','NC','NE','NF','NG','NI','NL','NO','NP','NR','NU','NZ',
  'OM',
  'PA','PE','PF','PG','PH','PK','PL','PM','PN','PR','PS','PT','PW','PY',
  'QA',
  'RE','RO','RS','RU','RW',
  'SA','SB','SC','SD','SE','SG','SH','SI','SJ','SK','SL','SM','SN','SO','SR','SS','ST','SV','SX','SY','SZ',
  'TC','TD','TF','TG','TH','TJ','TK','TL','TM','TN','TO','TR','TT','TV','TW','TZ',
  'UA','UG','UM','US','UY','UZ',
  'VA','VC','VE','VG','VI','VN','VU',
  'WF','WS',
  'YE','YT',
  'ZA','ZM','ZW',
] as const;

/** Every assigned ISO 3166-1 alpha-2 code (249), upper-case. */
export const COUNTRY_CODES: ReadonlySet<string> = Object.freeze(new Set<string>(ASSIGNED));

/** True for an assigned ISO 3166-1 alpha-2 code, upper-case as the standard writes it. */
export function isCountryCode(code: string): boolean {
  return COUNTRY_CODES.has(code);
}

/**
 * True for a storage region (country, or `CC-SUB` subdivision) whose country part is assigned.
 * The subdivision part is not checked against ISO 3166-2: the country decides the legal regime.
 */
export function isRegionCode(region: string): boolean {
  const m = /^([A-Z]{2})(-[A-Z0-9]{1,3})?$/.exec(region);
  return m !== null && isCountryCode(m[1]!);
}

// ISO 3166-2:CN lists Hong Kong, Macao and Taiwan as subdivisions of CN, but PIPL's cross-border
// rules (and the CAC's 2024 provisions) treat data leaving the mainland for them as leaving China.
const OUTSIDE_MAINLAND_SUBDIVISIONS = new Set(['CN-HK', 'CN-MO', 'CN-TW']);

/** True when a region (`CN`, `CN-BJ`, `SG`, …) or country code lies outside mainland China. */
export function isOutsideMainland(regionOrCountry: string): boolean {
  if (OUTSIDE_MAINLAND_SUBDIVISIONS.has(regionOrCountry)) return true;
  return regionOrCountry !== 'CN' && !regionOrCountry.startsWith('CN-');
}

/** The country whose PI the export guard keeps home unless a transfer covers it. */
export const MAINLAND = 'CN';

/** True when data stored in `region` is under mainland China's localisation rules. */
export const inMainland = (region: string): boolean => !isOutsideMainland(region);
