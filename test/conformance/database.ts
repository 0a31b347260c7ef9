/**
 * The Database conformance suite: migrations, placeholders, booleans and transactions, with
 * the same assertions for SQLite and PostgreSQL. Test-only code: it imports vitest and is
 * never loaded by the host.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReefError, type Migration } from '../../sdk/index.js';
import type { Database } from '../../main/db/database.js';
import { checksum, migrate } from '../../main/db/migrations.js';
import { refused } from '../harness/refusal.js';

/** One empty storage per test (a fresh file, a fresh schema); `open` may be called more than once. */
export interface TestStore {
  open(): Promise<Database>;
  cleanup(): Promise<void>;
}

export interface DbConformanceOptions {
  /**
   * How two migrators race: over two connections (two hosts on one server), or over one
   * connection (SQLite: one host per file; a second process would wait on BEGIN IMMEDIATE).
   */
  race: 'two-connections' | 'one-connection';
}

async function tableExists(db: Database, table: string): Promise<boolean> {
  const sql =
    db.dialect === 'sqlite'
      ? "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?"
      : 'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?';
  return (await db.query(sql, [table])).length === 1;
}

async function ledger(db: Database, plugin: string): Promise<Array<{ id: string; checksum: string }>> {
  return db.query<{ id: string; checksum: string }>('SELECT id, checksum FROM reef_migrations WHERE plugin = ? ORDER BY id', [plugin]);
}

const notes001: Migration = { id: '001_notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)' };
const notes002: Migration = { id: '002_notes_title', sql: "ALTER TABLE notes ADD COLUMN title TEXT NOT NULL DEFAULT 'untitled'" };
const notes003: Migration = { id: '003_seed', sql: "INSERT INTO notes (id, body) VALUES (1, 'seeded')" };

export function dbConformance(name: string, makeStore: () => Promise<TestStore>, options: DbConformanceOptions): void {
  describe(`Database conformance: ${name}`, () => {
    let store: TestStore;
    let db: Database;
    const clock = () => 1_700_000_000_000;
    beforeEach(async () => {
      store = await makeStore();
      db = await store.open();
    });
    afterEach(async () => {
      await db.close();
      await store.cleanup();
    });

    describe('migrations', () => {
      it('applies pending migrations in order and records each with its checksum', async () => {
        const result = await migrate(db, 'notes', [notes001, notes002, notes003], clock);
        expect(result.applied).toEqual(['001_notes', '002_notes_title', '003_seed']);
        expect(await db.query('SELECT id, body, title FROM notes')).toEqual([{ id: 1, body: 'seeded', title: 'untitled' }]);
        expect(await ledger(db, 'notes')).toEqual([
          { id: '001_notes', checksum: checksum(notes001.sql as string) },
          { id: '002_notes_title', checksum: checksum(notes002.sql as string) },
          { id: '003_seed', checksum: checksum(notes003.sql as string) },
        ]);
        const [row] = await db.query<{ applied_at: unknown }>('SELECT applied_at FROM reef_migrations WHERE id = ?', ['001_notes']);
        expect(Number(row?.applied_at)).toBe(clock());
      });

      it('running again applies nothing; a new migration later applies only itself', async () => {
        await migrate(db, 'notes', [notes001, notes002], clock);
        expect((await migrate(db, 'notes', [notes001, notes002], clock)).applied).toEqual([]);
        expect((await migrate(db, 'notes', [notes001, notes002, notes003], clock)).applied).toEqual(['003_seed']);
        expect(await db.query('SELECT COUNT(*) AS n FROM notes')).toEqual([{ n: 1 }]);
        expect(await ledger(db, 'notes')).toHaveLength(3);
      });

      it('a failing migration leaves the earlier ones applied and itself entirely not', async () => {
        const broken: Migration = {
          id: '002_broken',
          sql: 'CREATE TABLE half_done (id INTEGER); INSERT INTO no_such_table VALUES (1);',
        };
        const err = await refused(migrate(db, 'notes', [notes001, broken, notes003], clock));
        expect(err.message).toContain('notes/002_broken failed');
        expect(await tableExists(db, 'notes')).toBe(true);
        expect(await tableExists(db, 'half_done')).toBe(false);
        expect((await ledger(db, 'notes')).map((r) => r.id)).toEqual(['001_notes']);
        expect(await db.query('SELECT COUNT(*) AS n FROM notes')).toEqual([{ n: 0 }]);
        // Fixed, it applies with what came after it.
        const fixed: Migration = { id: '002_broken', sql: 'CREATE TABLE half_done (id INTEGER)' };
        expect((await migrate(db, 'notes', [notes001, fixed, notes003], clock)).applied).toEqual(['002_broken', '003_seed']);
      });

      it('refuses a migration changed after it was applied, naming plugin/id, and applies nothing', async () => {
        await migrate(db, 'notes', [notes001], clock);
        const edited: Migration = { id: '001_notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)' };
        const err = await refused(migrate(db, 'notes', [edited, notes002], clock));
        expect(err.code).toBe('conflict');
        expect(err.message).toContain('notes/001_notes');
        expect(err.message).toMatch(/add a new migration/);
        expect((await ledger(db, 'notes')).map((r) => r.id)).toEqual(['001_notes']);
      });

      it('whitespace and line endings do not count as a change', async () => {
        await migrate(db, 'notes', [notes001], clock);
        const reformatted: Migration = { id: '001_notes', sql: `\n  ${notes001.sql as string}\r\n` };
        expect((await migrate(db, 'notes', [reformatted], clock)).applied).toEqual([]);
      });

      it('refuses out-of-order, duplicate and malformed ids before running anything', async () => {
        for (const list of [[notes002, notes001], [notes001, notes001], [{ id: 'bad id!', sql: 'SELECT 1' }]]) {
          const err = await refused(migrate(db, 'notes', list, clock));
          expect(err.code).toBe('invalid_request');
          expect(err.message).toContain('notes');
        }
        expect(await tableExists(db, 'notes')).toBe(false);
      });

      it('keeps each plugin its own history and runs the SQL of its dialect', async () => {
        const perDialect: Migration = {
          id: '001_kv',
          sql: { sqlite: 'CREATE TABLE kv_sqlite (k TEXT)', postgres: 'CREATE TABLE kv_postgres (k TEXT)' },
        };
        await migrate(db, 'alpha', [perDialect], clock);
        expect((await migrate(db, 'beta', [{ id: '001_kv', sql: 'CREATE TABLE kv_beta (k TEXT)' }], clock)).applied).toEqual(['001_kv']);
        expect(await tableExists(db, `kv_${db.dialect}`)).toBe(true);
        expect(await tableExists(db, db.dialect === 'sqlite' ? 'kv_postgres' : 'kv_sqlite')).toBe(false);
        expect((await ledger(db, 'alpha'))[0]?.checksum).toBe(checksum(`CREATE TABLE kv_${db.dialect} (k TEXT)`));
      });

      it('two migrators racing apply each migration exactly once', async () => {
        const other = options.race === 'two-connections' ? await store.open() : db;
        try {
          const list = [
            { id: '001_counter', sql: 'CREATE TABLE counter (n INTEGER NOT NULL)' },
            { id: '002_bump', sql: 'INSERT INTO counter (n) VALUES (1)' },
            { id: '003_bump', sql: 'INSERT INTO counter (n) VALUES (1)' },
          ];
          const [a, b] = await Promise.all([migrate(db, 'race', list, clock), migrate(other, 'race', list, clock)]);
          expect([...a.applied, ...b.applied].sort()).toEqual(['001_counter', '002_bump', '003_bump']);
          expect(await db.query('SELECT COUNT(*) AS n FROM counter')).toEqual([{ n: 2 }]);
          expect(await ledger(db, 'race')).toHaveLength(3);
        } finally {
          if (other !== db) await other.close();
        }
      });
    });

    describe('queries', () => {
      beforeEach(async () => {
        await db.script('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, done BOOLEAN NOT NULL, note TEXT)');
      });

      it('numbers ? placeholders, leaving ? inside quotes and comments alone', async () => {
        await db.execute("INSERT INTO items (id, name, done, note) VALUES (?, ?, ?, '? stays')", [1, 'a?b', false]);
        const rows = await db.query(
          `SELECT id, name, note, '?' AS mark -- is this ?
           FROM items /* ? */ WHERE name = ? AND id = ?`,
          ['a?b', 1],
        );
        expect(rows).toEqual([{ id: 1, name: 'a?b', note: '? stays', mark: '?' }]);
      });

      it('booleans go in as parameters and filter as expected on both backends', async () => {
        await db.execute('INSERT INTO items (id, name, done) VALUES (?, ?, ?), (?, ?, ?)', [1, 'open', false, 2, 'closed', true]);
        const done = await db.query<{ id: number; done: unknown }>('SELECT id, done FROM items WHERE done = ?', [true]);
        expect(done.map((r) => r.id)).toEqual([2]);
        // SQLite has no boolean type and hands back 1/0; PostgreSQL true/false. Both read truthy/falsy.
        expect(Boolean(done[0]?.done)).toBe(true);
        const open = await db.query<{ done: unknown }>('SELECT done FROM items WHERE id = ?', [1]);
        expect(Boolean(open[0]?.done)).toBe(false);
      });

      it('counts and sums come back as numbers', async () => {
        await db.execute('INSERT INTO items (id, name, done) VALUES (?, ?, ?), (?, ?, ?)', [1, 'a', true, 2, 'b', true]);
        expect(await db.query('SELECT COUNT(*) AS n, SUM(id) AS total FROM items')).toEqual([{ n: 2, total: 3 }]);
      });

      it('execute reports how many rows changed; null parameters are stored as NULL', async () => {
        await db.execute('INSERT INTO items (id, name, done, note) VALUES (?, ?, ?, ?), (?, ?, ?, ?)', [1, 'a', false, null, 2, 'b', false, 'n']);
        expect(await db.execute('UPDATE items SET done = ? WHERE done = ?', [true, false])).toEqual({ changes: 2 });
        expect(await db.execute('DELETE FROM items WHERE id = ?', [99])).toEqual({ changes: 0 });
        expect(await db.query('SELECT id FROM items WHERE note IS NULL')).toEqual([{ id: 1 }]);
      });

      it('a transaction commits when its function resolves', async () => {
        const result = await db.transaction(async (tx) => {
          await tx.execute('INSERT INTO items (id, name, done) VALUES (?, ?, ?)', [1, 'kept', false]);
          return 'ok';
        });
        expect(result).toBe('ok');
        expect(await db.query('SELECT name FROM items')).toEqual([{ name: 'kept' }]);
      });

      it('a transaction rolls back everything when its function throws, and rethrows the error', async () => {
        const boom = new ReefError('conflict', 'idempotency_mismatch');
        await expect(
          db.transaction(async (tx) => {
            await tx.execute('INSERT INTO items (id, name, done) VALUES (?, ?, ?)', [1, 'lost', false]);
            await tx.execute('UPDATE items SET name = ? WHERE id = ?', ['lost too', 1]);
            throw boom;
          }),
        ).rejects.toBe(boom);
        expect(await db.query('SELECT * FROM items')).toEqual([]);
        // The connection is usable afterwards.
        await db.execute('INSERT INTO items (id, name, done) VALUES (?, ?, ?)', [2, 'after', true]);
        expect(await db.query('SELECT name FROM items')).toEqual([{ name: 'after' }]);
      });

      it('a failing statement inside a transaction rolls back the statements before it', async () => {
        await expect(
          db.transaction(async (tx) => {
            await tx.execute('INSERT INTO items (id, name, done) VALUES (?, ?, ?)', [1, 'first', false]);
            await tx.execute('INSERT INTO items (id, name, done) VALUES (?, ?, ?)', [1, 'duplicate key', false]);
          }),
        ).rejects.toThrow();
        expect(await db.query('SELECT * FROM items')).toEqual([]);
      });

      it('concurrent transactions do not see or undo each other', async () => {
        await Promise.all(
          [1, 2, 3, 4, 5].map((id) =>
            db
              .transaction(async (tx) => {
                await tx.execute('INSERT INTO items (id, name, done) VALUES (?, ?, ?)', [id, `n${id}`, false]);
                if (id % 2 === 0) throw new Error('even ids roll back');
              })
              .catch(() => undefined),
          ),
        );
        expect((await db.query<{ id: number }>('SELECT id FROM items ORDER BY id')).map((r) => r.id)).toEqual([1, 3, 5]);
      });
    });
  });
}
