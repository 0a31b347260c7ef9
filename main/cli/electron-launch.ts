/** Finds the Electron binary (if it was downloaded) and runs the desktop app with it. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { projectRoot } from '../host/paths.js';

export type ElectronBinary = { ok: true; path: string } | { ok: false; reason: string };

export function electronBinary(root: string = projectRoot()): ElectronBinary {
  let pkgDir: string;
  try {
    pkgDir = path.dirname(createRequire(path.join(root, 'package.json')).resolve('electron/package.json'));
  } catch {
    return { ok: false, reason: 'the electron package is not installed; run npm ci' };
  }
  const pathFile = path.join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) {
    return {
      ok: false,
      reason: 'its binary was not downloaded (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1 or offline); run `node node_modules/electron/install.js` where downloads work',
    };
  }
  const binary = path.join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(binary)) return { ok: false, reason: `${binary} is missing; reinstall electron` };
  return { ok: true, path: binary };
}

export function launchElectron(binary: string, args: string[], root: string = projectRoot()): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(binary, [path.join(root, 'dist', 'main', 'electron', 'main.js'), ...args], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}
