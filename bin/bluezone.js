#!/usr/bin/env node
// The `bluezone` command. Installed package (npm pack / npm install): runs the compiled JavaScript in
// dist/, no TypeScript tooling at run time. Development checkout (the TypeScript sources are beside this
// folder): runs them through tsx, so an edit is live without a rebuild and a stale dist/ is never used.
// BLUEZONE_USE_DIST=1 runs dist/ from a checkout too (after npm run build).
import { existsSync } from 'node:fs';
import module from 'node:module';

const sources = new URL('../cli/main.ts', import.meta.url);
const dist = new URL('../dist/cli/main.js', import.meta.url);
let main;
if (existsSync(sources) && process.env.BLUEZONE_USE_DIST !== '1') {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(sources.href));
} else {
  // V8 code cache for the compiled modules (Node >= 22.1; absent on Node 20, where this is a no-op):
  // start-up skips recompiling them on every run, which matters most on a Pi.
  module.enableCompileCache?.();
  ({ main } = await import(dist.href));
}
process.exitCode = await main(process.argv);
