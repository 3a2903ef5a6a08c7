// Configuration: every setting validated, every problem reported at once with a hint, exit 2
// from the CLI without a stack trace; and the README's table documents exactly these settings.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../test/support/cli.js';
import { ConfigError, formatConfigError, loadConfig, parseKey32, SETTINGS } from './config.js';

describe('configuration', () => {
  it('has sensible defaults: SQLite in ./data on 127.0.0.1:8080', () => {
    const c = loadConfig({});
    expect(c.db).toEqual({ kind: 'sqlite' });
    expect(c.dataDir).toBe(path.resolve('./data'));
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(8080);
    expect(c.baseUrl).toBe('http://127.0.0.1:8080');
    expect(c.sqliteSynchronous).toBe('FULL');
  });

  it('lets flags override the environment', () => {
    const c = loadConfig({ CUSTOS_PORT: '9000', CUSTOS_DB: 'postgres://a@b/c' }, { port: '9100' });
    expect(c.port).toBe(9100);
    expect(c.db).toEqual({ kind: 'postgres', url: 'postgres://a@b/c' });
  });

  it('reports every problem at once, each with a hint', () => {
    let error: unknown;
    try {
      loadConfig({
        CUSTOS_PORT: 'eighty',
        CUSTOS_DB: 'mysql://x',
        CUSTOS_MASTER_KEY: 'short',
        CUSTOS_ENV: 'prod',
        CUSTOS_LOGIN_LOCK_AFTER: '500',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.setting).sort()).toEqual([
      'CUSTOS_DB',
      'CUSTOS_ENV',
      'CUSTOS_LOGIN_LOCK_AFTER',
      'CUSTOS_MASTER_KEY',
      'CUSTOS_PORT',
    ]);
    for (const p of problems) expect(p.hint.length).toBeGreaterThan(5);
    expect(formatConfigError(error as ConfigError)).toContain('openssl rand -base64 32');
  });

  it('refuses plain http as the public URL in production', () => {
    expect(() =>
      loadConfig({ CUSTOS_ENV: 'production', CUSTOS_BASE_URL: 'http://privacy.example.com' }),
    ).toThrow(ConfigError);
    expect(
      loadConfig({ CUSTOS_ENV: 'production', CUSTOS_BASE_URL: 'https://privacy.example.com' })
        .auditOrigin,
    ).toBe('privacy.example.com/custos/audit');
  });

  it('accepts a 32-byte key as hex or base64 and nothing else', () => {
    expect(parseKey32('00'.repeat(32))?.length).toBe(32);
    expect(parseKey32(Buffer.alloc(32, 1).toString('base64'))?.length).toBe(32);
    expect(parseKey32(Buffer.alloc(31, 1).toString('base64'))).toBeNull();
    expect(parseKey32('not a key')).toBeNull();
  });

  it('exits 2 from the CLI, printing every problem with its hint and no stack trace', async () => {
    const r = await runCli(['check-config'], {
      env: { CUSTOS_PORT: '99999', CUSTOS_MASTER_KEY: 'nope', CUSTOS_SMTP_URL: 'http://mail' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CUSTOS_PORT');
    expect(r.stderr).toContain('CUSTOS_MASTER_KEY');
    expect(r.stderr).toContain('CUSTOS_SMTP_URL');
    expect(r.stderr.match(/hint:/g)?.length).toBe(3);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const flag = await runCli(['serve', '--port', 'x'], { env: {} });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain('--port');
  });

  it('is documented, setting by setting, in the README configuration table', () => {
    const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../README.md'), 'utf8');
    for (const s of Object.values(SETTINGS)) {
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${s.env}\``));
      expect(row, `README row for ${s.env}`).toBeDefined();
      expect(row).toContain(s.defaultDoc.replace(/\|/g, '\\|'));
    }
  });
});
