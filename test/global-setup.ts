// Decides, once per test run, which PostgreSQL the storage tests use.
// CI must have a real server: an unreachable one fails the whole run loudly. On a developer's
// machine without a server the PostgreSQL tests run on PGlite (PostgreSQL compiled to WebAssembly)
// and the run says so: nothing is skipped silently.
import pg from 'pg';

export const DEFAULT_TEST_PG = 'postgres://postgres@127.0.0.1:5432/test';

async function reachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function setup(): Promise<void> {
  const url = process.env.CUSTOS_TEST_PG ?? DEFAULT_TEST_PG;
  process.env.CUSTOS_TEST_PG = url;
  const problem = await reachable(url);
  if (problem === null) {
    process.env.CUSTOS_TEST_PG_MODE = 'server';
    return;
  }
  if (process.env.CI === 'true') {
    throw new Error(
      `PostgreSQL is required in CI but ${url.replace(/\/\/[^@]*@/, '//')} is unreachable (${problem}). ` +
        'Start it or set CUSTOS_TEST_PG.',
    );
  }
  process.env.CUSTOS_TEST_PG_MODE = 'pglite';
  process.stderr.write(
    `\n*** PostgreSQL at ${url.replace(/\/\/[^@]*@/, '//')} is unreachable (${problem}).\n` +
      '*** The PostgreSQL storage tests run on PGlite (in-process WebAssembly PostgreSQL) instead.\n' +
      '*** CI (CI=true) refuses this and fails.\n\n',
  );
}
