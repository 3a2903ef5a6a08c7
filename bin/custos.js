#!/usr/bin/env node
// Entry point of the `custos` command: runs the compiled CLI from dist/ (built by `npm ci` / `npm run build`).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('custos: the compiled CLI is missing; run `npm run build` first.\n');
  process.exit(2);
}
const { main } = await import(entry.href);
const code = await main(process.argv);
if (code !== 0) process.exit(code);
