// The banner scripts as served: the plain sources in web/banner/ minified by esbuild once per
// process (on first request), gzipped at level 9 and kept with a validator, so each request is a
// buffer write. The sources ship beside dist/ (both resolve to <package>/web/banner/).
import { createHash } from 'node:crypto';
import { access, readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import { transform } from 'esbuild';

/** Size budget of the synchronous gate, gzip level 9 (issue 5: ≤ 6 KiB; research §3). */
export const GATE_BUDGET_BYTES = 6 * 1024;

const WEB_DIR = new URL('../../../web/banner/', import.meta.url);

/** Served path → source file. */
export const SCRIPTS = { 'consent.js': 'gate.js', 'consent-ui.js': 'ui.js' } as const;
export type ScriptName = keyof typeof SCRIPTS;

export interface Bundle {
  body: Buffer;
  gzip: Buffer;
  /** Weak: the identity and gzip representations share it (RFC 9110 §8.8.3). */
  etag: string;
}

const built = new Map<ScriptName, Promise<Bundle>>();

async function build(name: ScriptName): Promise<Bundle> {
  const source = await readFile(new URL(SCRIPTS[name], WEB_DIR), 'utf8');
  const out = await transform(source, {
    loader: 'js',
    minify: true,
    // Browsers of the last five years (Chrome 80, Firefox 80, Safari 14); esbuild lowers the rest.
    target: 'es2020',
    legalComments: 'none',
    // Chinese strings as UTF-8, not \u escapes: smaller, and served as utf-8.
    charset: 'utf8',
  });
  const body = Buffer.from(out.code, 'utf8');
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 22);
  return { body, gzip: gzipSync(body, { level: 9 }), etag: `W/"${hash}"` };
}

/** The built script, minified once per process; a failed build is retried on the next call. */
export function scriptBundle(name: ScriptName): Promise<Bundle> {
  let p = built.get(name);
  if (p === undefined) {
    p = build(name);
    built.set(name, p);
    p.catch(() => built.delete(name));
  }
  return p;
}

/** Fails start-up when the sources were not shipped, rather than the first page that asks. */
export async function checkSources(): Promise<void> {
  for (const file of Object.values(SCRIPTS)) await access(new URL(file, WEB_DIR));
}
