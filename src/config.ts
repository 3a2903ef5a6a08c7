// Every setting Custos reads, in one place: read once from the environment and CLI flags,
// validated, documented. A bad setting never reaches the code that would use it: `loadConfig`
// collects every problem with a hint and the CLI prints them all and exits with status 2.
import path from 'node:path';
import {
  int,
  isProblem,
  oneOf,
  parseKey32,
  type Environment,
  type LogLevel,
  type Problem,
  type Setting,
} from './config-parse.js';

export { parseKey32, type Environment, type LogLevel, type Problem } from './config-parse.js';

const KEY_HINT =
  "generate one with `openssl rand -base64 32` (or `node -e \"console.log(require('crypto').randomBytes(32).toString('base64'))\"`), or unset it to use the key file in CUSTOS_DATA_DIR";

/** Where the data lives: the embedded SQLite file, or a PostgreSQL server. */
export type DatabaseSetting = { kind: 'sqlite' } | { kind: 'postgres'; url: string };

/** The settings table; the README's configuration table is checked against it by a test. */
export const SETTINGS = {
  env: {
    env: 'CUSTOS_ENV',
    doc: '`development`, `production` or `test`. Production refuses unsafe settings such as a plain-http base URL.',
    defaultDoc: 'development',
    parse: (raw) => oneOf<Environment>(['development', 'production', 'test'], 'development')(raw),
  },
  db: {
    env: 'CUSTOS_DB',
    flag: '--db <url>',
    doc: 'Unset: embedded SQLite in CUSTOS_DATA_DIR. `postgres://user@host:port/db`: PostgreSQL (many Custos instances may share it).',
    defaultDoc: '(unset: SQLite)',
    parse: (raw): DatabaseSetting | Problem => {
      if (raw === undefined || raw.trim() === '' || raw.trim() === 'sqlite')
        return { kind: 'sqlite' };
      const v = raw.trim();
      if (!/^postgres(ql)?:\/\//.test(v))
        return {
          problem: 'CUSTOS_DB must be unset (SQLite) or a postgres:// URL',
          hint: 'e.g. postgres://postgres@127.0.0.1:5432/custos',
        };
      try {
        new URL(v);
      } catch {
        return {
          problem: 'CUSTOS_DB is not a valid URL',
          hint: 'e.g. postgres://postgres@127.0.0.1:5432/custos',
        };
      }
      return { kind: 'postgres', url: v };
    },
  },
  dataDir: {
    env: 'CUSTOS_DATA_DIR',
    flag: '--data-dir <dir>',
    doc: 'Folder for the SQLite file (`custos.db`) and the master key file (`master.key`, mode 0600).',
    defaultDoc: './data',
    parse: (raw) => path.resolve(raw === undefined || raw === '' ? './data' : raw),
  },
  host: {
    env: 'CUSTOS_HOST',
    flag: '--host <host>',
    doc: 'Interface the HTTP server listens on.',
    defaultDoc: '127.0.0.1',
    parse: (raw) => (raw === undefined || raw === '' ? '127.0.0.1' : raw.trim()),
  },
  port: {
    env: 'CUSTOS_PORT',
    flag: '--port <port>',
    doc: 'HTTP port (0 picks a free one).',
    defaultDoc: '8080',
    parse: (raw) => int(0, 65535, 'a TCP port such as 8080')(raw, 8080),
  },
  baseUrl: {
    env: 'CUSTOS_BASE_URL',
    flag: '--base-url <url>',
    doc: 'Public URL used in e-mails and links. Must be https in production.',
    defaultDoc: 'http://HOST:PORT',
    parse: (raw, earlier) => {
      const fallback = `http://${earlier.host ?? '127.0.0.1'}:${earlier.port ?? 8080}`;
      const v = raw === undefined || raw === '' ? fallback : raw.trim().replace(/\/+$/, '');
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        return { problem: `"${v}" is not a URL`, hint: 'e.g. https://privacy.example.com' };
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        return {
          problem: 'CUSTOS_BASE_URL must be http(s)',
          hint: 'e.g. https://privacy.example.com',
        };
      if (earlier.env === 'production' && url.protocol !== 'https:')
        return {
          problem: 'CUSTOS_BASE_URL must use https in production',
          hint: 'put Custos behind TLS and set the https URL',
        };
      return v;
    },
  },
  masterKey: {
    env: 'CUSTOS_MASTER_KEY',
    doc: 'Master secret (32 bytes, base64 or hex) that wraps the keyring. Unset: read from, or created in, `CUSTOS_DATA_DIR/master.key`.',
    defaultDoc: '(unset: key file)',
    parse: (raw) => {
      if (raw === undefined || raw === '') return null;
      return (
        parseKey32(raw) ?? {
          problem: 'CUSTOS_MASTER_KEY is not 32 bytes of base64 or hex',
          hint: KEY_HINT,
        }
      );
    },
  },
  smtpUrl: {
    env: 'CUSTOS_SMTP_URL',
    doc: 'Outbound mail server, `smtp://host:port` or `smtps://user:pass@host:port`.',
    defaultDoc: '(unset)',
    parse: (raw) => {
      if (raw === undefined || raw === '') return null;
      return /^smtps?:\/\/[^\s]+$/.test(raw.trim())
        ? raw.trim()
        : {
            problem: 'CUSTOS_SMTP_URL must be smtp:// or smtps://',
            hint: 'e.g. smtp://127.0.0.1:2525',
          };
    },
  },
  mailInPort: {
    env: 'CUSTOS_MAIL_IN_PORT',
    doc: 'Port of the inbound SMTP listener that turns mails into rights requests. Off when unset.',
    defaultDoc: '(unset: off)',
    parse: (raw) =>
      raw === undefined || raw === '' ? null : int(1, 65535, 'a TCP port such as 2525')(raw, 0),
  },
  logLevel: {
    env: 'CUSTOS_LOG_LEVEL',
    flag: '--log-level <level>',
    doc: 'pino log level. Logs never contain personal information at any level.',
    defaultDoc: 'info',
    parse: (raw) =>
      oneOf<LogLevel>(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info')(raw),
  },
  bodyLimitBytes: {
    env: 'CUSTOS_BODY_LIMIT',
    doc: 'Largest accepted request body in bytes; larger bodies get 413.',
    defaultDoc: '262144',
    parse: (raw) => int(1024, 50 * 1024 * 1024, 'bytes between 1024 and 52428800')(raw, 256 * 1024),
  },
  sqliteSynchronous: {
    env: 'CUSTOS_SQLITE_SYNCHRONOUS',
    doc: '`FULL`: an acknowledged write survives power loss. `NORMAL` may lose the last commits on power loss (never corrupts).',
    defaultDoc: 'FULL',
    parse: (raw) => oneOf<'FULL' | 'NORMAL'>(['FULL', 'NORMAL'], 'FULL')(raw?.toUpperCase()),
  },
  pgPoolMax: {
    env: 'CUSTOS_PG_POOL_MAX',
    doc: 'PostgreSQL connections per Custos instance.',
    defaultDoc: '10',
    parse: (raw) => int(1, 500, 'a number of connections such as 10')(raw, 10),
  },
  sessionIdleMinutes: {
    env: 'CUSTOS_SESSION_IDLE_MINUTES',
    doc: 'A staff session ends after this many minutes without a request (ASVS 7.3.1).',
    defaultDoc: '30',
    parse: (raw) => int(1, 24 * 60, 'minutes between 1 and 1440')(raw, 30),
  },
  sessionAbsoluteHours: {
    env: 'CUSTOS_SESSION_ABSOLUTE_HOURS',
    doc: 'A staff session ends this many hours after login, active or not (ASVS 7.3.2).',
    defaultDoc: '12',
    parse: (raw) => int(1, 24 * 7, 'hours between 1 and 168')(raw, 12),
  },
  loginBackoffAfter: {
    env: 'CUSTOS_LOGIN_BACKOFF_AFTER',
    doc: 'Consecutive failed logins after which an account waits an exponentially growing delay (1 s doubling, at most 15 min).',
    defaultDoc: '5',
    parse: (raw) => int(1, 100, 'a count between 1 and 100')(raw, 5),
  },
  loginLockAfter: {
    env: 'CUSTOS_LOGIN_LOCK_AFTER',
    doc: 'Consecutive failed logins after which an account is locked until `custos admin unlock` (NIST SP 800-63B §5.2.2 caps this at 100).',
    defaultDoc: '100',
    parse: (raw) => int(2, 100, 'a count between 2 and 100 (NIST caps it at 100)')(raw, 100),
  },
  auditOrigin: {
    env: 'CUSTOS_AUDIT_ORIGIN',
    doc: 'Origin line of signed audit checkpoints (C2SP tlog-checkpoint); identifies this log.',
    defaultDoc: 'HOST-of-base-URL/custos/audit',
    parse: (raw, earlier) => {
      if (raw !== undefined && raw !== '') {
        return /^[\x21-\x7e]{1,200}$/.test(raw.trim())
          ? raw.trim()
          : {
              problem: 'CUSTOS_AUDIT_ORIGIN must be printable ASCII without spaces',
              hint: 'e.g. privacy.example.com/custos/audit',
            };
      }
      let host = 'localhost';
      try {
        host = new URL(earlier.baseUrl ?? 'http://localhost').host;
      } catch {
        // the base URL problem is reported on its own line
      }
      return `${host}/custos/audit`;
    },
  },
  auditCheckpointSeconds: {
    env: 'CUSTOS_AUDIT_CHECKPOINT_SECONDS',
    doc: 'How often the server signs a new audit checkpoint when the log has grown (0: only at shutdown and on demand).',
    defaultDoc: '60',
    parse: (raw) => int(0, 86400, 'seconds between 0 and 86400')(raw, 60),
  },
  kekMaxEncryptions: {
    env: 'CUSTOS_KEK_MAX_ENCRYPTIONS',
    doc: 'Data keys wrapped under one key-encryption key before the server rotates it by itself; default 0.9 × 2^32 (NIST SP 800-38D §8.3).',
    defaultDoc: '3865470566',
    parse: (raw) => int(10, 2 ** 32, 'a count up to 4294967296')(raw, 3865470566),
  },
  trustProxy: {
    env: 'CUSTOS_TRUST_PROXY',
    doc: '`true` when a reverse proxy sets X-Forwarded-For (client IPs for throttling come from it).',
    defaultDoc: 'false',
    parse: (raw) => {
      const v = oneOf(['true', 'false'], 'false')(raw?.toLowerCase());
      return isProblem(v) ? v : v === 'true';
    },
  },
  shutdownGraceSeconds: {
    env: 'CUSTOS_SHUTDOWN_GRACE_SECONDS',
    doc: 'On SIGTERM, how long in-flight requests may finish before the process exits anyway.',
    defaultDoc: '10',
    parse: (raw) => int(0, 600, 'seconds between 0 and 600')(raw, 10),
  },
  mailFrom: {
    env: 'CUSTOS_MAIL_FROM',
    doc: 'Sender of every e-mail Custos sends (notices, confirmations), e.g. `Privacy <privacy@example.com>`.',
    defaultDoc: 'privacy@HOST-of-base-URL',
    parse: (raw, earlier) => {
      if (raw !== undefined && raw !== '') {
        const v = raw.trim();
        return /^([^<>\r\n]*<)?[^\s@<>]+@[^\s@<>]+\.?[^\s@<>]*>?$/.test(v) && v.length <= 320
          ? v
          : {
              problem: 'CUSTOS_MAIL_FROM is not an e-mail address',
              hint: 'e.g. Privacy <privacy@example.com>',
            };
      }
      let host = 'localhost';
      try {
        host = new URL(earlier.baseUrl ?? 'http://localhost').hostname;
      } catch {
        // the base URL problem is reported on its own line
      }
      return `privacy@${host}`;
    },
  },
  privacyContact: {
    env: 'CUSTOS_PRIVACY_CONTACT',
    doc: 'How people reach the personal-information protection officer; printed in incident notices and reports (PIPL art. 57).',
    defaultDoc: '(unset: the controller’s contact e-mail)',
    parse: (raw) => (raw === undefined || raw.trim() === '' ? null : raw.trim().slice(0, 500)),
  },
  outboxPollSeconds: {
    env: 'CUSTOS_OUTBOX_POLL_SECONDS',
    doc: 'How often the server delivers queued outbound messages (0: only on demand).',
    defaultDoc: '5',
    parse: (raw) => int(0, 3600, 'seconds between 0 and 3600')(raw, 5),
  },
  outboxMaxAttempts: {
    env: 'CUSTOS_OUTBOX_MAX_ATTEMPTS',
    doc: 'Delivery attempts (with exponential back-off) before a message is marked failed for a person to look at.',
    defaultDoc: '10',
    parse: (raw) => int(1, 100, 'a count between 1 and 100')(raw, 10),
  },
  retentionSweepSeconds: {
    env: 'CUSTOS_RETENTION_SWEEP_SECONDS',
    doc: 'How often the server deletes or anonymises expired PI records (0: only by `custos retention run`).',
    defaultDoc: '3600',
    parse: (raw) => int(0, 7 * 86400, 'seconds between 0 and 604800')(raw, 3600),
  },
  retentionBatchSize: {
    env: 'CUSTOS_RETENTION_BATCH',
    doc: 'Records handled per transaction by a retention sweep.',
    defaultDoc: '500',
    parse: (raw) => int(1, 100_000, 'a count between 1 and 100000')(raw, 500),
  },
  incidentRegulatorHours: {
    env: 'CUSTOS_INCIDENT_REGULATOR_HOURS',
    doc: 'Hours from detection to report a relatively major (较大) or worse incident to the regulator (2025 Incident Reporting Measures art. 4: 4 h).',
    defaultDoc: '4',
    parse: (raw) => int(1, 24 * 30, 'hours between 1 and 720')(raw, 4),
  },
  incidentRegulatorHoursCii: {
    env: 'CUSTOS_INCIDENT_REGULATOR_HOURS_CII',
    doc: 'The same deadline when critical information infrastructure is involved (1 h).',
    defaultDoc: '1',
    parse: (raw) => int(1, 24 * 30, 'hours between 1 and 720')(raw, 1),
  },
  incidentNotifyHours: {
    env: 'CUSTOS_INCIDENT_NOTIFY_HOURS',
    doc: 'Hours from detection to notify affected persons (PIPL art. 57 says "immediately"; this is the internal clock).',
    defaultDoc: '72',
    parse: (raw) => int(1, 24 * 90, 'hours between 1 and 2160')(raw, 72),
  },
  incidentReportDays: {
    env: 'CUSTOS_INCIDENT_REPORT_DAYS',
    doc: 'Days from containment to file the post-incident report.',
    defaultDoc: '30',
    parse: (raw) => int(1, 365, 'days between 1 and 365')(raw, 30),
  },
  ciio: {
    env: 'CUSTOS_CIIO',
    doc: '`true` when the company is a critical information infrastructure operator: every cross-border transfer then needs a security assessment.',
    defaultDoc: 'false',
    parse: (raw) => {
      const v = oneOf(['true', 'false'], 'false')(raw?.toLowerCase());
      return isProblem(v) ? v : v === 'true';
    },
  },
  transferWarnPercent: {
    env: 'CUSTOS_TRANSFER_WARN_PERCENT',
    doc: 'Warn when the persons sent abroad this calendar year reach this share of a regulatory threshold.',
    defaultDoc: '80',
    parse: (raw) => int(1, 100, 'a percentage between 1 and 100')(raw, 80),
  },
  requestDeadlineMode: {
    env: 'CUSTOS_REQUEST_DEADLINE_MODE',
    doc: '`pipl`: working-day deadline from verified receipt; `gdpr`: one month from receipt, extendable by two with notice.',
    defaultDoc: 'pipl',
    parse: (raw) => oneOf<'pipl' | 'gdpr'>(['pipl', 'gdpr'], 'pipl')(raw?.toLowerCase()),
  },
  requestDueWorkingDays: {
    env: 'CUSTOS_REQUEST_DUE_WORKING_DAYS',
    doc: 'Working days to answer a verified rights request (GB/T 35273 / App rules: 15).',
    defaultDoc: '15',
    parse: (raw) => int(1, 60, 'working days between 1 and 60')(raw, 15),
  },
  requestAlarmDays: {
    env: 'CUSTOS_REQUEST_ALARM_DAYS',
    doc: 'Calendar days after receipt at which an unanswered request raises the hard alarm (30).',
    defaultDoc: '30',
    parse: (raw) => int(1, 120, 'days between 1 and 120')(raw, 30),
  },
  requestVerifyExpiryHours: {
    env: 'CUSTOS_REQUEST_VERIFY_EXPIRY_HOURS',
    doc: 'A request whose identity is not verified within this many hours expires.',
    defaultDoc: '168',
    parse: (raw) => int(1, 24 * 90, 'hours between 1 and 2160')(raw, 168),
  },
  verificationCodeMinutes: {
    env: 'CUSTOS_VERIFICATION_CODE_MINUTES',
    doc: 'How long a one-time verification code stays valid.',
    defaultDoc: '15',
    parse: (raw) => int(1, 24 * 60, 'minutes between 1 and 1440')(raw, 15),
  },
  verificationMaxAttempts: {
    env: 'CUSTOS_VERIFICATION_MAX_ATTEMPTS',
    doc: 'Wrong codes accepted per verification before it is locked and a new code is needed.',
    defaultDoc: '5',
    parse: (raw) => int(1, 20, 'a count between 1 and 20')(raw, 5),
  },
  smsSender: {
    env: 'CUSTOS_SMS_SENDER',
    doc: '`log`: write SMS codes to the log (development and test only); `none`: no SMS, codes go by e-mail. Production refuses `log`.',
    defaultDoc: 'log (none in production)',
    parse: (raw, earlier) => {
      const fallback = earlier.env === 'production' ? 'none' : 'log';
      const v = oneOf<'log' | 'none'>(['log', 'none'], fallback)(raw?.toLowerCase());
      if (v === 'log' && earlier.env === 'production')
        return {
          problem: 'CUSTOS_SMS_SENDER=log would write one-time codes to the log in production',
          hint: 'set CUSTOS_SMS_SENDER=none (codes by e-mail) or configure a real SMS sender',
        };
      return v;
    },
  },
  holidaysFile: {
    env: 'CUSTOS_HOLIDAYS_FILE',
    doc: 'JSON file of extra public holidays and adjusted working days (`{"2027-01-01": "holiday", "2027-02-07": "workday"}`) added to the built-in PRC table.',
    defaultDoc: '(unset: built-in table)',
    parse: (raw) => (raw === undefined || raw.trim() === '' ? null : path.resolve(raw.trim())),
  },
  minorAge: {
    env: 'CUSTOS_MINOR_AGE',
    doc: 'Below this age a form submission is held until a guardian consents (PIPL art. 31: 14).',
    defaultDoc: '14',
    parse: (raw) => int(14, 18, 'an age between 14 and 18')(raw, 14),
  },
  guardianConsentHours: {
    env: 'CUSTOS_GUARDIAN_CONSENT_HOURS',
    doc: "Hours a minor's held data waits for a guardian's consent before it is deleted.",
    defaultDoc: '168',
    parse: (raw) => int(1, 24 * 90, 'hours between 1 and 2160')(raw, 168),
  },
  consentValidDays: {
    env: 'CUSTOS_CONSENT_VALID_DAYS',
    doc: 'Days after which the banner asks again even without a policy change (6–13 months is usual).',
    defaultDoc: '365',
    parse: (raw) => int(30, 730, 'days between 30 and 730')(raw, 365),
  },
  unsubscribeTokenDays: {
    env: 'CUSTOS_UNSUBSCRIBE_TOKEN_DAYS',
    doc: 'Days a one-click unsubscribe link in a marketing mail stays valid.',
    defaultDoc: '365',
    parse: (raw) => int(7, 3650, 'days between 7 and 3650')(raw, 365),
  },
  consentOrigins: {
    env: 'CUSTOS_CONSENT_ORIGINS',
    doc: 'Web origins whose pages may load the banner and call the public consent API (CORS), comma-separated, or `*` for any.',
    defaultDoc: '*',
    parse: (raw) => {
      if (raw === undefined || raw.trim() === '' || raw.trim() === '*') return '*';
      const origins = raw
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== '');
      const bad = origins.find((o) => !/^https?:\/\/[a-z0-9.-]+(:\d{1,5})?$/i.test(o));
      return bad === undefined
        ? origins
        : {
            problem: `"${bad}" is not an origin`,
            hint: 'write origins as https://www.example.com (scheme, host and optional port, no path)',
          };
    },
  },
  consentEventsPerMinute: {
    env: 'CUSTOS_CONSENT_EVENTS_PER_MINUTE',
    doc: 'Consent events accepted per minute from one client network (IPv4 /24, IPv6 /48); 0 turns the limit off (load tests only).',
    defaultDoc: '600',
    parse: (raw) => int(0, 10_000_000, 'a count, 0 for no limit')(raw, 600),
  },
} satisfies Record<string, Setting<unknown>>;

/** The value a setting's parser yields when the text is good. */
type Parsed<S> = S extends { parse: (...args: never[]) => infer R } ? Exclude<R, Problem> : never;

/** Every setting's value, typed from the table above (nothing is declared twice). */
export type Config = { [K in keyof typeof SETTINGS]: Parsed<(typeof SETTINGS)[K]> };

/** CLI flag values by config key, as commander hands them over. */
export type FlagValues = Partial<Record<keyof Config, string>>;

export class ConfigError extends Error {
  constructor(readonly problems: Array<Problem & { setting: string }>) {
    super(problems.map((p) => `${p.setting}: ${p.problem}`).join('; '));
  }
}

/**
 * Reads every setting from `env` (and `flags`, which win), validating all of them, and throws a
 * ConfigError listing every problem at once so an operator fixes them in one go.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, flags: FlagValues = {}): Config {
  const partial: Partial<Config> = {};
  const problems: Array<Problem & { setting: string }> = [];
  // Order matters: later settings (baseUrl, auditOrigin) derive defaults from earlier ones.
  for (const key of Object.keys(SETTINGS) as Array<keyof Config>) {
    const setting = SETTINGS[key] as Setting<unknown>;
    const raw = flags[key] ?? env[setting.env];
    const value = setting.parse(raw, partial);
    if (isProblem(value)) {
      problems.push({
        setting:
          flags[key] !== undefined && setting.flag ? setting.flag.split(' ')[0]! : setting.env,
        ...value,
      });
    } else {
      (partial as Record<string, unknown>)[key] = value;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return partial as Config;
}

/** The text printed when configuration fails: every problem, each with its hint. */
export function formatConfigError(error: ConfigError): string {
  const lines = ['Custos cannot start: the configuration has problems.', ''];
  for (const p of error.problems)
    lines.push(`  ✗ ${p.setting}: ${p.problem}`, `    hint: ${p.hint}`);
  lines.push('', 'See the configuration table in README.md.');
  return lines.join('\n');
}
