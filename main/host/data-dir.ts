/**
 * The data dir holds the operator token, the bus secret and agent token hashes: only its owner
 * may read it. New files are made 0600 and folders 0700; an existing dir open to others is tightened.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const OTHERS = 0o077;

/** What secureDataDir changed, and what it could not (a file another user owns, say after a `sudo` run). */
export interface SecuredDataDir {
  tightened: string[];
  untouched: Array<{ path: string; reason: string }>;
}

/**
 * Makes `dir` (0700) if missing; else takes group and other bits off it and everything in it.
 * The dir itself may be a link (it is followed); links inside it are not (their targets are
 * someone else's business). Never throws for a file it cannot change: it says so instead.
 */
export function secureDataDir(dir: string): SecuredDataDir {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const out: SecuredDataDir = { tightened: [], untouched: [] };
  if (process.platform === 'win32') return out;
  const tighten = (p: string, mode: number) => {
    if ((mode & OTHERS) === 0) return;
    try {
      chmodSync(p, mode & 0o700);
      out.tightened.push(p);
    } catch (err) {
      out.untouched.push({ path: p, reason: (err as NodeJS.ErrnoException).code ?? String(err) });
    }
  };
  const walk = (p: string) => {
    const s = lstatSync(p);
    if (s.isSymbolicLink()) return;
    tighten(p, s.mode);
    if (s.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  const root = statSync(dir);
  tighten(dir, root.mode);
  for (const name of readdirSync(dir)) walk(path.join(dir, name));
  return out;
}

/** Creates `file` empty with mode 0600 when it does not exist, so whatever opens it next inherits that. */
export function createPrivateFile(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
}
