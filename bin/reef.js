#!/usr/bin/env node
// The `reef` command: runs the compiled CLI, or says how to build it.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/main/cli/index.js', import.meta.url);
if (!existsSync(entry)) {
  console.error('reef: not built yet; run `npm run build` (or `npm start`, which builds first)');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
