// Which better-sqlite3 build loads: the package's own under Node, the Electron build under Electron —
// and the build script writes exactly where the app looks, or says clearly why it cannot.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { electronBindingPath, resolveSqliteBinding } from '../db/sqlite-binding.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const script = path.join(root, 'scripts', 'build-electron-sqlite.mjs');
const underElectron = (electron: string) => ({ ...process.versions, electron }) as NodeJS.ProcessVersions;

function runScript(args: string[]) {
  const env = { ...process.env };
  // No proxy may turn the unreachable address below into a real download.
  for (const name of Object.keys(env)) if (/proxy/i.test(name)) delete env[name];
  return spawnSync(process.execPath, [script, ...args], { cwd: root, encoding: 'utf8', env, timeout: 60_000 });
}

describe('resolveSqliteBinding', () => {
  it('uses the package build under Node', () => {
    expect(resolveSqliteBinding(process.versions, '/app', () => true)).toBeUndefined();
  });

  it('finds the Electron build beside the app', () => {
    const expected = path.join('/app', 'native', `electron-38.8.6-${process.platform}-${process.arch}`, 'better_sqlite3.node');
    expect(resolveSqliteBinding(underElectron('38.8.6'), '/app', (p) => p === expected)).toBe(expected);
  });

  it('prefers app.asar.unpacked in a packaged app, since native files cannot load from the archive', () => {
    const packed = path.join('/opt/Reef/resources', 'app.asar');
    const unpacked = electronBindingPath(path.join('/opt/Reef/resources', 'app.asar.unpacked'), '38.8.6');
    expect(resolveSqliteBinding(underElectron('38.8.6'), packed, (p) => p === unpacked)).toBe(unpacked);
  });

  it('says which build is missing and how to make it', () => {
    expect(() => resolveSqliteBinding(underElectron('38.8.6'), '/app', () => false)).toThrow(
      /no build for Electron 38\.8\.6; run "node scripts\/build-electron-sqlite\.mjs"/,
    );
  });
});

describe('scripts/build-electron-sqlite.mjs', () => {
  it('writes the binding where the app looks for it', () => {
    const result = runScript(['--print-target', '--electron-version', '38.8.6']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(electronBindingPath(root, '38.8.6'));
  });

  it('fails with a clear message when Electron headers cannot be downloaded', () => {
    const devdir = mkdtempSync(path.join(os.tmpdir(), 'reef-gyp-devdir-'));
    try {
      // Port 9 (discard) on loopback: refused at once, as a download is on a machine without network.
      const result = runScript(['--force', '--electron-version', '38.8.6', '--dist-url', 'http://127.0.0.1:9/headers', '--devdir', devdir]);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('could not download the headers of Electron 38.8.6 from http://127.0.0.1:9/headers/v38.8.6/');
      expect(result.stderr).toMatch(/--nodedir/);
    } finally {
      rmSync(devdir, { recursive: true, force: true });
    }
  });

  it('refuses a version that is not one', () => {
    const result = runScript(['--electron-version', 'latest']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('"latest" is not an Electron version');
  });
});
