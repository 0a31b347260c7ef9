/**
 * One host per data dir: a second one would open the same SQLite file and token. The lock is a
 * file holding the owner's pid, created atomically; a lock whose process is gone (killed with
 * SIGKILL, say) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

export const LOCK_FILE = 'reef.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(`another Reef host (pid ${pid}) is using the data dir ${dataDir}; stop it first, or give this one another --data-dir`);
    this.name = 'DataDirInUseError';
  }
}

export interface InstanceLock {
  release(): void;
}

export function lockDataDir(dataDir: string, pid: number = process.pid): InstanceLock {
  const file = path.join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(pid));
      closeSync(fd);
      return {
        release: () => {
          try {
            if (readFileSync(file, 'utf8').trim() === String(pid)) unlinkSync(file);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner = NaN;
      try {
        owner = Number(readFileSync(file, 'utf8').trim());
      } catch {
        // removed between open and read: try again
      }
      if (Number.isInteger(owner) && owner > 0 && owner !== pid && alive(owner)) throw new DataDirInUseError(dataDir, owner);
      try {
        unlinkSync(file);
      } catch {
        // someone else cleaned it up
      }
    }
  }
  throw new Error(`could not take the lock ${file}`);
}
