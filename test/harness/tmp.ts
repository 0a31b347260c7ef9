/** Temporary folders that tests create and always remove. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TempDir {
  path: string;
  /** Writes `content` (an object is written as JSON) at `relative`, creating folders. */
  write(relative: string, content: string | object): string;
  remove(): void;
}

export function tempDir(prefix = 'reef-test-'): TempDir {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    path: dir,
    write(relative, content) {
      const file = path.join(dir, relative);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
      return file;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
