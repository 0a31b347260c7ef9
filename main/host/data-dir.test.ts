import { chmodSync, mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../../test/harness/tmp.js';
import { SqliteDatabase } from '../db/sqlite.js';
import { secureDataDir } from './data-dir.js';
import { createLogger } from './log.js';

const mode = (p: string) => statSync(p).mode & 0o777;
let dir: TempDir | undefined;
afterEach(() => dir?.remove());

// Windows has no POSIX modes to check (secureDataDir does nothing there).
describe.skipIf(process.platform === 'win32')('the data dir is private', () => {
  it('a new data dir is 0700, and the database (with its WAL) and the log are 0600 whatever the umask', async () => {
    dir = tempDir('reef-perms-');
    const data = path.join(dir.path, 'new');
    const umask = process.umask(0o002);
    try {
      expect(secureDataDir(data)).toEqual({ tightened: [], untouched: [] });
      const db = new SqliteDatabase({ file: path.join(data, 'reef.db') });
      await db.execute('CREATE TABLE t (x)');
      await db.execute('INSERT INTO t VALUES (1)');
      const log = createLogger({ dataDir: data, logLevel: 'info' }, false);
      log.info('hello');
      log.flush();
      expect(mode(data)).toBe(0o700);
      for (const f of ['reef.db', 'reef.db-wal', 'reef.db-shm', 'logs/reef.log']) expect([f, mode(path.join(data, f))]).toEqual([f, 0o600]);
      expect(mode(path.join(data, 'logs'))).toBe(0o700);
      await db.close();
    } finally {
      process.umask(umask);
    }
  });

  it('an existing data dir open to others is tightened, down to its files, and says what it changed', () => {
    dir = tempDir('reef-perms-');
    const data = path.join(dir.path, 'open');
    mkdirSync(path.join(data, 'logs'), { recursive: true });
    writeFileSync(path.join(data, 'reef.db'), '');
    writeFileSync(path.join(data, 'logs', 'reef.log'), '');
    writeFileSync(path.join(dir.path, 'outside'), '');
    chmodSync(path.join(dir.path, 'outside'), 0o644);
    symlinkSync(path.join(dir.path, 'outside'), path.join(data, 'link'));
    chmodSync(data, 0o755);
    chmodSync(path.join(data, 'logs'), 0o777);
    chmodSync(path.join(data, 'reef.db'), 0o644);
    chmodSync(path.join(data, 'logs', 'reef.log'), 0o666);
    const changed = secureDataDir(data).tightened;
    expect(changed.sort()).toEqual([data, path.join(data, 'logs'), path.join(data, 'logs', 'reef.log'), path.join(data, 'reef.db')].sort());
    expect([mode(data), mode(path.join(data, 'logs')), mode(path.join(data, 'reef.db')), mode(path.join(data, 'logs', 'reef.log'))]).toEqual([0o700, 0o700, 0o600, 0o600]);
    // A link's target is not ours to change.
    expect(mode(path.join(dir.path, 'outside'))).toBe(0o644);
    expect(secureDataDir(data)).toEqual({ tightened: [], untouched: [] });
  });

  it('follows a data dir that is itself a link', () => {
    dir = tempDir('reef-perms-');
    const real = path.join(dir.path, 'real');
    mkdirSync(real);
    writeFileSync(path.join(real, 'reef.db'), '');
    chmodSync(real, 0o755);
    chmodSync(path.join(real, 'reef.db'), 0o644);
    const link = path.join(dir.path, 'link');
    symlinkSync(real, link);
    expect(secureDataDir(link).tightened.sort()).toEqual([link, path.join(link, 'reef.db')].sort());
    expect([mode(real), mode(path.join(real, 'reef.db'))]).toEqual([0o700, 0o600]);
  });
});
