// A small HTTP client over real sockets that keeps the session cookie and CSRF token like a browser
// running the console would, plus `loginAs` for staff of any role.
import { randomBytes } from 'node:crypto';
import type { Role } from '../../src/access/permissions.js';
import { base32Decode, totpAt } from '../../src/access/totp.js';
import { createUser } from '../../src/access/users.js';
import type { TestEnv } from './env.js';

export interface Res {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body (undefined when the body is not JSON): whatever JSON.parse gives. */
  body: ReturnType<typeof JSON.parse>;
}

export interface SendOptions {
  body?: unknown;
  /** Sent as is, for malformed-input tests. */
  raw?: string;
  headers?: Record<string, string>;
  csrf?: boolean;
}

export class Client {
  cookie: string | null = null;
  csrfToken: string | null = null;
  bearer: string | null = null;
  constructor(readonly base: string) {}

  async send(method: string, path: string, options: SendOptions = {}): Promise<Res> {
    const headers: Record<string, string> = { ...options.headers };
    let body: string | undefined;
    if (options.raw !== undefined) body = options.raw;
    else if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined && headers['content-type'] === undefined)
      headers['content-type'] = 'application/json';
    if (this.cookie && headers.cookie === undefined) headers.cookie = this.cookie;
    if (this.bearer && headers.authorization === undefined)
      headers.authorization = `Bearer ${this.bearer}`;
    if (
      this.csrfToken &&
      options.csrf !== false &&
      method !== 'GET' &&
      headers['x-csrf-token'] === undefined
    )
      headers['x-csrf-token'] = this.csrfToken;
    const res = await fetch(`${this.base}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const setCookie = res.headers.get('set-cookie');
    if (setCookie?.startsWith('custos_session=')) {
      const value = setCookie.split(';')[0]!;
      this.cookie = value === 'custos_session=' ? null : value;
    }
    return { status: res.status, headers: res.headers, text, body: parsed };
  }

  get = (path: string, options?: SendOptions) => this.send('GET', path, options);
  post = (path: string, body?: unknown, options?: SendOptions) =>
    this.send('POST', path, { ...options, body });
  patch = (path: string, body?: unknown, options?: SendOptions) =>
    this.send('PATCH', path, { ...options, body });
  delete = (path: string, options?: SendOptions) => this.send('DELETE', path, options);
}

export interface Staff {
  id: string;
  email: string;
  password: string;
  totpSecret: Buffer | null;
  client: Client;
}

let counter = 0;

/** The current TOTP code for a secret at the env's clock time. */
export function totpNow(env: TestEnv, secret: Buffer): string {
  return totpAt(secret, Math.floor(env.clock.now().getTime() / 1000));
}

/** Creates a staff member (service call) and logs them in over HTTP. */
export async function loginAs(
  env: TestEnv,
  roles: Role | Role[],
  options: { controllers?: 'all' | string[]; totp?: boolean } = {},
): Promise<Staff> {
  const email = `staff${++counter}.${randomBytes(3).toString('hex')}@example.org`;
  const password = `pw-${randomBytes(12).toString('hex')}`;
  const list = Array.isArray(roles) ? roles : [roles];
  const created = await createUser(
    env.ctx,
    { type: 'system', id: null },
    {
      email,
      roles: list,
      controllers: options.controllers ?? 'all',
      password,
      totp: options.totp ?? true,
    },
  );
  const totpSecret = created.totpUri
    ? base32Decode(new URL(created.totpUri).searchParams.get('secret') ?? '')
    : null;
  const client = new Client(env.url);
  const res = await client.post('/api/v1/auth/login', {
    email,
    password,
    ...(totpSecret ? { totp: totpNow(env, totpSecret) } : {}),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  client.csrfToken = res.body.csrfToken;
  return { id: created.id, email, password, totpSecret, client };
}
