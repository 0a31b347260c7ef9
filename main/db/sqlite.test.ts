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

  it('moves WAL checkpoints to a worker thread once the database is in use, and loses nothing', async () => {
    dir = tempDir('reef-sqlite-');
    const file = path.join(dir.path, 'busy.db');
    const db = new SqliteDatabase({ file });
    await db.script('CREATE TABLE t (v INTEGER)');
    for (let i = 0; i < 150; i++) await db.transaction((tx) => tx.execute('INSERT INTO t (v) VALUES (?)', [i]));
    expect(db.walCheckpointer).toBeUndefined(); // a short-lived database gets no thread
    for (let i = 150; i < 400; i++) await db.transaction((tx) => tx.execute('INSERT INTO t (v) VALUES (?)', [i]));
    const checkpointer = db.walCheckpointer;
    expect(checkpointer).toBeDefined();
    // The host's own connection now checkpoints only as a backstop.
    expect(await db.query('PRAGMA wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 10_000 }]);
    const done = await checkpointer?.checkpointNow();
    expect(done?.log).toBeGreaterThan(0);
    expect(done?.checkpointed).toBe(done?.log); // every page of the WAL is in the database file
    await db.close();
    const again = new SqliteDatabase({ file, backgroundCheckpoint: false });
    expect(await again.query('SELECT count(*) AS n, sum(v) AS s FROM t')).toEqual([{ n: 400, s: (399 * 400) / 2 }]);
    await again.close();
  });

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

describe('sqlite-vec', () => {
  it('is loaded into every connection: vec0 tables and vector distances work', async () => {
    const db = new SqliteDatabase({ file: ':memory:' });
    expect(db.vectorExtensionError).toBeUndefined();
    expect(await db.query('SELECT vec_version() AS v')).toEqual([{ v: 'v0.1.9' }]);
    await db.script('CREATE VIRTUAL TABLE v USING vec0(embedding float[2])');
    await db.execute('INSERT INTO v(rowid, embedding) VALUES (1, ?), (2, ?)', [Buffer.from(new Float32Array([1, 0]).buffer), Buffer.from(new Float32Array([0, 1]).buffer)]);
    const near = await db.query('SELECT rowid AS id FROM v WHERE embedding MATCH ? AND k = 1', [Buffer.from(new Float32Array([0.9, 0.1]).buffer)]);
    expect(near).toEqual([{ id: 1 }]);
    await db.close();
  });
});
