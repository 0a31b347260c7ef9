/**
 * The data dir holds the operator token, the bus secret and agent token hashes: only its owner
 * may read it. New files are made 0600 and folders 0700; an existing dir open to others is tightened.
 */
import { chmodSync, closeSync, lstatSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import path from 'node:path';

const OTHERS = 0o077;

/** Makes `dir` (0700) if missing; else takes group and other bits off it and everything in it. Returns what it tightened. */
export function secureDataDir(dir: string): string[] {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform === 'win32') return [];
  const tightened: string[] = [];
  const walk = (p: string) => {
    const s = lstatSync(p);
    // A link is followed by nobody here: its target's permissions are its owner's business.
    if (s.isSymbolicLink()) return;
    if ((s.mode & OTHERS) !== 0) {
      chmodSync(p, s.mode & 0o700);
      tightened.push(p);
    }
    if (s.isDirectory()) for (const name of readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
  return tightened;
}

/** Creates `file` empty with mode 0600 when it does not exist, so whatever opens it next inherits that. */
export function createPrivateFile(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
}
