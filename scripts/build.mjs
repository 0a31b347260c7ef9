// Builds everything `reef` runs: the host (tsc), plugin manifests beside their code, and the renderer (vite).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);
const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });

const only = process.argv[2];
if (!only || only === 'host') {
  // tsc's incremental build does not notice deleted outputs: start over when dist lost them.
  if (!existsSync(path.join(root, 'dist', 'main', 'cli', 'index.js'))) rmSync(path.join(root, 'dist', '.tsbuildinfo'), { force: true });
  run(bin('tsc'), ['-p', 'tsconfig.build.json']);
  for (const id of readdirSync(path.join(root, 'plugins'))) {
    const manifest = path.join(root, 'plugins', id, 'reef-plugin.json');
    if (!existsSync(manifest)) continue;
    mkdirSync(path.join(root, 'dist', 'plugins', id), { recursive: true });
    cpSync(manifest, path.join(root, 'dist', 'plugins', id, 'reef-plugin.json'));
  }
}
if (!only || only === 'renderer') {
  run(bin('vite'), ['build', '--config', 'renderer/vite.config.ts', '--logLevel', 'warn']);
}
