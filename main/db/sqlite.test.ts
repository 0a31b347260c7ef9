import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../../test/harness/tmp.js';
import { dbConformance } from '../../test/conformance/database.js';
import { openDatabase } from './open.js';
import { SqliteDatabase } from './sqlite.js';

dbConformance(
  'SQLite',
  async () => {
    const dir = tempDir('reef-sqlite-');
    const file = path.join(dir.path, 'reef.db');
    return { open: async () => new SqliteDatabase({ file }), cleanup: async () => dir.remove() };
  },
  { race: 'one-connection' },
);

describe('SQLite specifics', () => {
  let dir: TempDir | undefined;
  afterEach(() => dir?.remove());

  it('opens reef.db in the data dir by default, in WAL mode, and keeps data across reopen', async () => {
    dir = tempDir('reef-sqlite-');
    const db = await openDatabase(undefined, dir.path, 'normal');
    expect(db.dialect).toBe('sqlite');
    expect(db.description).toBe(`sqlite:${path.join(dir.path, 'reef.db')}`);
    expect(await db.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    await db.script('CREATE TABLE t (v TEXT)');
    await db.execute('INSERT INTO t (v) VALUES (?)', ['persisted']);
    await db.close();
    expect(existsSync(path.join(dir.path, 'reef.db'))).toBe(true);
    const again = await openDatabase(undefined, dir.path, 'normal');
    expect(await again.query('SELECT v FROM t')).toEqual([{ v: 'persisted' }]);
    await again.close();
  });

  it('a sqlite:PATH spec opens that file; durability full sets synchronous FULL', async () => {
    dir = tempDir('reef-sqlite-');
    const file = path.join(dir.path, 'other.db');
    const db = await openDatabase(`sqlite:${file}`, '/nonexistent-data-dir', 'full');
    expect(db.description).toBe(`sqlite:${file}`);
    expect(await db.query('PRAGMA synchronous')).toEqual([{ synchronous: 2 }]);
    await db.close();
    expect(existsSync(file)).toBe(true);
  });
});
