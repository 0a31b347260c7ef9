/** Finds external binaries the integration tests need, and decides between skipping and failing without them. */
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** A file (not a folder, which root may also "execute") that we may run. */
export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` in `dirs`, then on PATH. */
export function findBinary(name: string, dirs: readonly string[] = [], env: NodeJS.ProcessEnv = process.env): string | undefined {
  const search = [...dirs, ...(env.PATH ?? '').split(path.delimiter).filter(Boolean)];
  return search.map((dir) => path.join(dir, name)).find(isExecutable);
}

/** `/usr/lib/postgresql/<ver>/bin`, newest version first (numeric order, so 16 comes before 9.6). */
export function postgresBinDirs(base = '/usr/lib/postgresql'): string[] {
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a))
    .map((v) => path.join(base, v, 'bin'))
    .filter((dir) => existsSync(dir));
}

/** What a suite needing an external binary should do when the binary is missing. */
export type Availability = { ok: true } | { ok: false; reason: string };

/**
 * Without the binary a suite skips, printing why; under CI (`CI=true`) it fails instead,
 * because a CI run that silently skipped its integration tests proves nothing.
 * Call at module level and pass the result to `describe.runIf(...)`, the one way suites skip.
 */
export function requireOrSkip(suite: string, availability: Availability, env: NodeJS.ProcessEnv = process.env): boolean {
  if (availability.ok) return true;
  const message = `${suite}: ${availability.reason}`;
  if (env.CI === 'true') throw new Error(`${message} (CI=true, so this is a failure rather than a skip)`);
  console.warn(`skipping ${message}`);
  return false;
}
