/**
 * Which better-sqlite3 binary to load. Under Node the package's own build is used. Under
 * Electron the ABI differs, so a second build made for Electron (scripts/build-electron-sqlite.mjs,
 * run at packaging or on first Electron start) is passed through better-sqlite3's `nativeBinding`
 * option; the Node build that tests and `reef serve` use is never touched.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Where the Electron build of the binding lives, relative to the project (or app) root. */
export function electronBindingPath(root: string, electronVersion: string, arch: string = process.arch): string {
  return path.join(root, 'native', `electron-${electronVersion}-${process.platform}-${arch}`, 'better_sqlite3.node');
}

export function resolveSqliteBinding(
  versions: NodeJS.ProcessVersions = process.versions,
  root: string = path.resolve(here, '..', '..', '..'),
  exists: (p: string) => boolean = existsSync,
): string | undefined {
  const electron = (versions as NodeJS.ProcessVersions & { electron?: string }).electron;
  if (!electron) return undefined;
  // Packaged apps keep native files outside the asar archive.
  const candidates = [
    electronBindingPath(root.replace(/app\.asar$/, 'app.asar.unpacked'), electron),
    electronBindingPath(root, electron),
  ];
  const found = candidates.find(exists);
  if (!found) {
    throw new Error(
      `better-sqlite3 has no build for Electron ${electron}; run "node scripts/build-electron-sqlite.mjs" (looked in ${candidates.join(', ')})`,
    );
  }
  return found;
}
