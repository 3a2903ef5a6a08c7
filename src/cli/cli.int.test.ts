// The command line against both databases: migrate, create the first administrator, log in with
// what `admin create --json` printed, unlock, key status.
import { afterEach, describe, expect, it } from 'vitest';
import { envFor, runCli } from '../../test/support/cli.js';
import { DB_KINDS } from '../../test/support/db.js';
import { makeEnv, type TestEnv } from '../../test/support/env.js';
import { Client, totpNow } from '../../test/support/http.js';
import { base32Decode } from '../access/totp.js';

describe.each(DB_KINDS)('custos CLI on %s', (kind) => {
  let env: TestEnv;
  afterEach(async () => env.close());

  it('creates an administrator from a script and that administrator logs in', async () => {
    env = await makeEnv(kind);
    const migrate = await runCli(['migrate'], { env: envFor(env) });
    expect(migrate.code).toBe(0);
    expect(migrate.stdout).toContain('up to date');

    const password = 'correct horse battery staple 9';
    const created = await runCli(
      [
        'admin',
        'create',
        '--email',
        'first.admin@example.org',
        '--role',
        'admin',
        '--password-stdin',
        '--json',
      ],
      { env: envFor(env), input: `${password}\n` },
    );
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const out = JSON.parse(created.stdout) as { id: string; totpUri: string; password?: string };
    expect(out.password).toBeUndefined();
    expect(out.totpUri).toMatch(/^otpauth:\/\/totp\//);
    expect(created.stdout).not.toContain(password);

    const secret = base32Decode(new URL(out.totpUri).searchParams.get('secret')!);
    const client = new Client(env.url);
    const login = await client.post('/api/v1/auth/login', {
      email: 'first.admin@example.org',
      password,
      totp: totpNow(env, secret),
    });
    expect(login.status).toBe(200);
    expect(login.body.userId).toBe(out.id);
    const me = await client.get('/api/v1/me');
    expect(me.body.roles).toEqual(['admin']);

    const dup = await runCli(
      ['admin', 'create', '--email', 'first.admin@example.org', '--password-stdin'],
      { env: envFor(env), input: password },
    );
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('already exists');
    expect(dup.stderr).not.toContain('first.admin');
  });

  it('generates a password when none is given and shows it once; refuses to drop the second factor for PI roles', async () => {
    env = await makeEnv(kind);
    const gen = await runCli(
      ['admin', 'create', '--email', 'aud@example.org', '--role', 'auditor', '--no-totp', '--json'],
      { env: envFor(env) },
    );
    expect(gen.code).toBe(0);
    const out = JSON.parse(gen.stdout) as { password: string; totpUri: string | null };
    expect(out.password.length).toBeGreaterThanOrEqual(20);
    expect(out.totpUri).toBeNull();
    const login = await new Client(env.url).post('/api/v1/auth/login', {
      email: 'aud@example.org',
      password: out.password,
    });
    expect(login.status).toBe(200);

    const officer = await runCli(
      [
        'admin',
        'create',
        '--email',
        'po@example.org',
        '--role',
        'privacy_officer',
        '--no-totp',
        '--json',
      ],
      { env: envFor(env) },
    );
    expect(JSON.parse(officer.stdout).totpUri).toMatch(/^otpauth:/);
    const badRole = await runCli(
      ['admin', 'create', '--email', 'x@example.org', '--role', 'root'],
      { env: envFor(env) },
    );
    expect(badRole.code).toBe(1);
    expect(badRole.stderr).toContain('unknown role');
    const badMail = await runCli(
      ['admin', 'create', '--email', 'not-an-email', '--password-stdin'],
      { env: envFor(env), input: 'a long enough passphrase 42' },
    );
    expect(badMail.code).toBe(1);
    expect(badMail.stderr).toContain('/email');
  });

  it('reports key status and lists its commands', async () => {
    env = await makeEnv(kind);
    const status = await runCli(['keys', 'status'], { env: envFor(env) });
    expect(status.code).toBe(0);
    expect(
      JSON.parse(status.stdout).keyring.some(
        (k: { purpose: string; state: string }) => k.purpose === 'kek' && k.state === 'active',
      ),
    ).toBe(true);
    const help = await runCli(['--help']);
    for (const cmd of ['serve', 'migrate', 'admin', 'keys', 'audit'])
      expect(help.stdout).toContain(cmd);
  });
});
