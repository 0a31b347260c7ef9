/**
 * The SQLite tier's in-memory int8 index (plugins/memory/host/vector-index.ts) and the dialect that
 * keeps it in step with committed transactions (IndexedSqliteDialect), on real SQLite files with
 * usearch's native module: recall against an exact scan, rollbacks, changes made while it is built.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import { seededRandom } from '../../plugins/gpu/host/scheduler/simulation.js';
import { IndexedSqliteDialect } from '../../plugins/memory/host/memory-dialect.js';
import { MEMORY_MIGRATIONS } from '../../plugins/memory/host/migrations.js';
import { ListSchema } from '../../plugins/memory/host/schemas.js';
import { openMemoryStore, type SqlMemoryStore } from '../../plugins/memory/host/sql-memory-store.js';
import { loadUsearch, QuantizedIndex, quantise } from '../../plugins/memory/host/vector-index.js';
import { floatView, vectorBytes } from '../../plugins/memory/host/rows.js';
import { newMemory } from '../conformance/memory-store.js';
import type { SqlExecutor } from '../../sdk/index.js';
import { tempDir } from '../harness/tmp.js';

const loaded = loadUsearch();
if ('error' in loaded) throw new Error(`usearch did not load: ${loaded.error}`);
const { usearch } = loaded;

function randomUnit(random: () => number, dims: number): number[] {
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const v = Array.from({ length: dims }, gauss);
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
}

const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);

function exactTop(vectors: Map<number, number[]>, q: readonly number[], k: number): number[] {
  return [...vectors].sort((a, b) => dot(b[1], q) - dot(a[1], q)).slice(0, k).map(([seq]) => seq);
}

const filter = () => {
  const { q: _q, limit: _l, cursor: _c, ...rest } = ListSchema.parse({});
  return rest;
};
const search = (store: SqlMemoryStore, vector: number[], k = 10) => store.vectorSearch({ model: 'embed-a', vector, k, filter: filter(), now: Date.parse('2030-01-02T00:00:00Z') });

describe('floatView', () => {
  it('reads stored float32 bytes in place, and copies bytes that are not 4-byte aligned', () => {
    const bytes = vectorBytes([0.5, -2, 3.25]);
    expect(Array.from(floatView(bytes))).toEqual([0.5, -2, 3.25]);
    const pool = Buffer.alloc(bytes.byteLength + 3);
    bytes.copy(pool, 3);
    const unaligned = pool.subarray(3);
    expect(unaligned.byteOffset % 4).not.toBe(0);
    expect(Array.from(floatView(unaligned))).toEqual([0.5, -2, 3.25]);
  });
});

describe('QuantizedIndex', () => {
  it('quantises each vector to the whole int8 range', () => {
    expect(Array.from(quantise([0.5, -0.2, 0.125, 0]))).toEqual([127, -51, 32, 0]);
    expect(Array.from(quantise([0, 0]))).toEqual([0, 0]);
  });

  it('picks candidates that hold the exact top 10, per model and dimension', () => {
    const random = seededRandom(7);
    const index = new QuantizedIndex(usearch);
    const vectors = new Map<number, number[]>();
    for (let seq = 1; seq <= 3000; seq++) {
      const v = randomUnit(random, 96);
      vectors.set(seq, v);
      index.put(seq, 'a', v);
    }
    index.put(9001, 'b', randomUnit(random, 96));
    index.put(9002, 'a', randomUnit(random, 32));
    expect(index.size).toBe(3002);
    let hit = 0;
    for (let q = 0; q < 50; q++) {
      // A query near a stored vector, as a search for something written is.
      const near = vectors.get(1 + Math.floor(random() * 3000)) as number[];
      const query = near.map((x) => x + 0.1 * (random() - 0.5));
      const got = index.nearest('a', query, 100);
      expect(got.length).toBe(100);
      expect(got).not.toContain(9001);
      expect(got).not.toContain(9002);
      const top = new Set(got);
      hit += exactTop(vectors, query, 10).filter((s) => top.has(s)).length;
    }
    // Measured 100%: the exact top 10 are among the 100 int8 candidates (the store then rescores exactly).
    expect(hit / 500).toBeGreaterThanOrEqual(0.99);
    expect(index.nearest('b', randomUnit(random, 96), 10)).toEqual([9001]);
    expect(index.nearest('none', randomUnit(random, 96), 10)).toEqual([]);
  });

  it('gives back a partition a model left, and halves one mostly emptied', () => {
    const index = new QuantizedIndex(usearch);
    const random = seededRandom(9);
    for (let seq = 1; seq <= 1000; seq++) index.put(seq, 'old', randomUnit(random, 32));
    const full = index.bytes;
    expect(full).toBeGreaterThanOrEqual(1000 * 32);
    for (let seq = 1; seq <= 900; seq++) index.remove(seq);
    expect(index.bytes).toBeLessThan(full / 2);
    for (let seq = 901; seq <= 1000; seq++) index.put(seq, 'new', randomUnit(random, 32));
    const parts = (index as unknown as { parts: Map<string, unknown> }).parts;
    expect([...parts.keys()]).toEqual(['new\u000032']);
    expect(index.size).toBe(100);
  });

  it('replaces, moves between models and removes, leaving no code of a removed vector behind', () => {
    const index = new QuantizedIndex(usearch);
    index.put(1, 'a', [1, 0, 0, 0]);
    index.put(2, 'a', [0, 1, 0, 0]);
    index.put(3, 'a', [0, 0, 1, 0]);
    expect(index.nearest('a', [0, 0, 1, 0], 1)).toEqual([3]);
    index.put(3, 'a', [0, 0, 0, 1]);
    expect(index.nearest('a', [0, 0, 0, 1], 1)).toEqual([3]);
    index.put(2, 'b', [0, 1, 0, 0]);
    expect(index.nearest('a', [0, 1, 0, 0], 3).sort()).toEqual([1, 3]);
    expect(index.nearest('b', [0, 1, 0, 0], 3)).toEqual([2]);
    index.remove(1);
    index.remove(1);
    expect(index.nearest('a', [1, 0, 0, 0], 3)).toEqual([3]);
    expect(index.size).toBe(2);
    // The last slot's codes are zeroed when its vector goes (here: 4 stays, 3 in the slot after it goes).
    index.put(4, 'a', [1, 1, 0, 0]);
    index.remove(3);
    const held = (index as unknown as { parts: Map<string, { codes: Int8Array }> }).parts.get('a\u00004')?.codes as Int8Array;
    expect(Array.from(held.subarray(0, 4))).toEqual([127, 127, 0, 0]);
    expect(held.subarray(4).some((x) => x !== 0)).toBe(false);
    index.remove(4);
    expect(index.size).toBe(1);
  });
});

describe('IndexedSqliteDialect', () => {
  const dir = tempDir('reef-memory-index-');
  const open: SqliteDatabase[] = [];
  afterAll(async () => {
    for (const db of open) await db.close();
    dir.remove();
  });
  let n = 0;
  const fresh = async () => {
    const raw = new SqliteDatabase({ file: path.join(dir.path, `i${n++}.db`) });
    open.push(raw);
    const db = pluginDatabase(raw, 'memory');
    await db.migrate(MEMORY_MIGRATIONS);
    const store = await openMemoryStore(db);
    expect(store.dialect).toBeInstanceOf(IndexedSqliteDialect);
    return { db, store, dialect: store.dialect as IndexedSqliteDialect };
  };

  it('answers what an exact scan answers, scores included', async () => {
    const { db, store } = await fresh();
    const random = seededRandom(11);
    const items = Array.from({ length: 1500 }, (_, i) => newMemory({ text: `note ${i}` }, { vector: randomUnit(random, 48) }));
    for (let i = 0; i < items.length; i += 500) await store.write(items.slice(i, i + 500));
    for (let q = 0; q < 30; q++) {
      const query = randomUnit(random, 48);
      const got = await search(store, query);
      const exact = await store.dialect.exact(db, 'embed-a', query, { sql: '1 = 1', params: [] }, 10);
      expect(got.map((h) => h.id)).toEqual(exact.map((h) => h.id));
      got.forEach((h, i) => expect(h.similarity).toBeCloseTo(exact[i]?.similarity as number, 5));
    }
  });

  it('answers what an exact scan answers under a filter that passes a quarter, or one in a hundred', async () => {
    const { db, store } = await fresh();
    const random = seededRandom(17);
    const items = Array.from({ length: 2000 }, (_, i) => newMemory({ text: `note ${i}`, agent: i % 100 === 0 ? 'rare' : `agent-${i % 4}` }, { vector: randomUnit(random, 48) }));
    for (let i = 0; i < items.length; i += 500) await store.write(items.slice(i, i + 500));
    for (const agent of ['agent-1', 'rare']) {
      for (let q = 0; q < 20; q++) {
        const query = randomUnit(random, 48);
        const got = await store.vectorSearch({ model: 'embed-a', vector: query, k: 10, filter: { ...filter(), agent }, now: Date.parse('2030-01-02T00:00:00Z') });
        const exact = await store.dialect.exact(db, 'embed-a', query, { sql: 'm.agent = ?', params: [agent] }, 10);
        expect(got.map((h) => h.id)).toEqual(exact.map((h) => h.id));
      }
    }
  });

  it('drops vec0 tables only where sqlite-vec is loaded (without it SQLite cannot drop them)', async () => {
    const { db } = await fresh();
    const vec0 = await openMemoryStore(db, { vectorIndex: false });
    await vec0.write([newMemory({ text: 'kept in vec0' }, { vector: [1, 0, 0, 0] })]);
    const tables = async () => (await db.query("SELECT name FROM sqlite_master WHERE name = 'memories_vec_4'")).length;
    expect(await tables()).toBe(1);
    // A host whose sqlite-vec did not load (its probe fails) but whose usearch did: the tables stay.
    const noVec = new Proxy(db, {
      get(target, key, receiver) {
        if (key !== 'query') return Reflect.get(target, key, receiver) as unknown;
        return (sql: string, params?: unknown[]) => (sql.includes('vec_version()') ? Promise.reject(new Error('no such function: vec_version')) : target.query(sql, params));
      },
    });
    const plain = await openMemoryStore(noVec);
    expect(plain.vectorPath).toBe('usearch-i8');
    expect(await tables()).toBe(1);
    expect((await search(plain, [1, 0, 0, 0])).length).toBe(1);
    // With sqlite-vec, the index path drops them: they are not kept in step.
    await openMemoryStore(db);
    expect(await tables()).toBe(0);
  });

  it('reads the rows again after a transaction that failed past its COMMIT', async () => {
    const dir = tempDir('reef-memory-index-commit-');
    const raw = new SqliteDatabase({ file: path.join(dir.path, 'commit.db') });
    try {
      const db = pluginDatabase(raw, 'memory');
      await db.migrate(MEMORY_MIGRATIONS);
      // The real database, whose next transaction reports a failure after it committed.
      let failNext = false;
      const flaky = new Proxy(db, {
        get(target, key, receiver) {
          if (key !== 'transaction') return Reflect.get(target, key, receiver) as unknown;
          return async <T>(fn: (tx: SqlExecutor) => Promise<T>) => {
            const out = await target.transaction(fn);
            if (failNext) {
              failNext = false;
              throw new Error('failed after COMMIT');
            }
            return out;
          };
        },
      });
      const store = await openMemoryStore(flaky);
      await store.warm();
      failNext = true;
      const m = newMemory({ text: 'committed anyway' }, { vector: [0, 1, 0, 0] });
      await expect(store.write([m])).rejects.toThrow('failed after COMMIT');
      expect(await store.get(m.id)).toBeDefined();
      await expect.poll(() => (store.dialect as IndexedSqliteDialect).indexed).toBe(1);
      expect((await search(store, [0, 1, 0, 0])).map((h) => h.id)).toEqual([m.id]);
    } finally {
      await raw.close();
      dir.remove();
    }
  });

  it('keeps nothing of a transaction that rolled back, and sees its own batch before it commits', async () => {
    const { store, dialect } = await fresh();
    await store.write([newMemory({ text: 'kept' }, { vector: [1, 0, 0, 0] })]);
    await search(store, [1, 0, 0, 0]);
    expect(dialect.indexed).toBe(1);
    await expect(store.write([newMemory({ text: 'gone' }, { vector: [0, 1, 0, 0] }), newMemory({ text: 'bad', supersedes: 'me_nope' })])).rejects.toThrow();
    expect(dialect.indexed).toBe(1);
    // The second write of one batch is a near-duplicate of the first, which is not committed yet.
    const link = { mode: 'link' as const, threshold: 0.95 };
    const [a, b] = await store.write([newMemory({ text: 'first' }, { vector: [0, 0, 1, 0], duplicates: link }), newMemory({ text: 'second' }, { vector: [0, 0, 1, 0.01], duplicates: link })]);
    expect(b?.memory.duplicateOf).toBe(a?.memory.id);
    expect(dialect.indexed).toBe(3);
  });

  it('ends in step with the database when writes, deletes and re-embeds run while it is built', async () => {
    const { db, store } = await fresh();
    const random = seededRandom(5);
    const items = Array.from({ length: 6000 }, (_, i) => newMemory({ text: `row ${i}` }, { vector: randomUnit(random, 16) }));
    for (let i = 0; i < items.length; i += 1000) await store.write(items.slice(i, i + 1000));
    // A host starting on this file: its index is built on the first search, a page of 2,000 rows at a time.
    const reopened = await openMemoryStore(db);
    const dialect = reopened.dialect as IndexedSqliteDialect;
    const first = search(reopened, randomUnit(random, 16));
    const late = items.slice(5000, 5200).map((m) => m.id);
    const early = items.slice(0, 200).map((m) => m.id);
    const moved = randomUnit(random, 16);
    const changes = Promise.all([
      reopened.delete(late, 'operator:op', 'test', Date.now()),
      reopened.delete(early, 'operator:op', 'test', Date.now()),
      reopened.setEmbedding(items[5500]?.id as string, { model: 'embed-a', vector: moved }, Date.now()),
      reopened.setEmbedding(items[300]?.id as string, { model: 'embed-b', vector: moved }, Date.now()),
      reopened.write([newMemory({ text: 'new while building' }, { vector: moved })]),
    ]);
    await Promise.all([first, changes]);
    const [row] = await db.query("SELECT COUNT(*) AS n FROM memories WHERE model = 'embed-a'");
    expect(dialect.indexed).toBe(Number(row?.n) + 1);
    const hits = await search(reopened, moved, 2);
    expect(hits.map((h) => h.similarity)).toEqual([expect.closeTo(1, 5), expect.closeTo(1, 5)]);
    expect(hits.map((h) => h.id)).toContain(items[5500]?.id);
    for (const id of [...late, ...early]) expect(await reopened.get(id)).toBeUndefined();
    const b = await reopened.vectorSearch({ model: 'embed-b', vector: moved, k: 5, filter: filter(), now: Date.parse('2030-01-02T00:00:00Z') });
    expect(b.map((h) => h.id)).toEqual([items[300]?.id]);
  });
});

describe('IndexedSqliteDialect while it is built', () => {
  it('lets a change committed after a page was read win over that page', async () => {
    const dir = tempDir('reef-memory-index-race-');
    const raw = new SqliteDatabase({ file: path.join(dir.path, 'race.db') });
    try {
      const db = pluginDatabase(raw, 'memory');
      await db.migrate(MEMORY_MIGRATIONS);
      const random = seededRandom(3);
      const items = Array.from({ length: 50 }, (_, i) => newMemory({ text: `row ${i}` }, { vector: randomUnit(random, 8) }));
      await (await openMemoryStore(db)).write(items);
      // The same database, but the build's first page is handed over only when the test says so:
      // the page is read, then a delete and a re-embed commit, then the page arrives.
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      let pageRead: () => void = () => undefined;
      const read = new Promise<void>((r) => (pageRead = r));
      let held = false;
      const gated = new Proxy(db, {
        get(target, key, receiver) {
          if (key !== 'query') return Reflect.get(target, key, receiver) as unknown;
          return async (sql: string, params?: unknown[]) => {
            const rows = await target.query(sql, params);
            if (!held && sql.startsWith('SELECT seq, model, embedding FROM memories WHERE seq >')) {
              held = true;
              pageRead();
              await gate;
            }
            return rows;
          };
        },
      });
      const store = await openMemoryStore(gated);
      const dialect = store.dialect as IndexedSqliteDialect;
      const building = search(store, randomUnit(random, 8));
      await read;
      const moved = randomUnit(random, 8);
      await store.delete([items[0]?.id as string], 'operator:op', 'test', Date.now());
      await store.setEmbedding(items[1]?.id as string, { model: 'embed-b', vector: moved }, Date.now());
      release();
      await building;
      expect(dialect.indexed).toBe(49);
      const a = await store.vectorSearch({ model: 'embed-a', vector: moved, k: 60, filter: filter(), now: Date.parse('2030-01-02T00:00:00Z') });
      expect(a).toHaveLength(48);
      const b = await store.vectorSearch({ model: 'embed-b', vector: moved, k: 5, filter: filter(), now: Date.parse('2030-01-02T00:00:00Z') });
      expect(b.map((h) => h.id)).toEqual([items[1]?.id]);
    } finally {
      await raw.close();
      dir.remove();
    }
  });
});
