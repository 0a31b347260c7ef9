/**
 * What the memory store does differently on each database, as one object the store holds
 * (docs/ARCHITECTURE.md "How a module is built"): the write lock, the vector index (kept beside
 * the canonical float32 bytes in `memories.embedding`), the nearest-neighbour and exact vector
 * queries, entity similarity, and full-text search. Everything else is one SQL text in
 * sql-memory-store.ts.
 *
 * - SQLite with sqlite-vec (vectorPath 'sqlite-vec'): one `vec0` table per dimension,
 *   `memories_vec_<dims>` (cosine distance, the model as partition key). A search asks it for
 *   k' = 10k (at least 100, at most 4096) nearest of the model, then filters them in SQL; when the
 *   filter leaves fewer than k and the index had more, it runs the exact `vec_distance_cosine`
 *   over the filtered rows' bytes instead. Entities: `vec_distance_cosine` over their bytes.
 * - SQLite without the extension (vectorPath 'sql-exact'): the filtered rows' bytes are scored
 *   exactly in the process.
 * - PostgreSQL (vectorPath 'sql-exact'): `memory_vectors` holds each embedding as a unit real[];
 *   `memory_dot` in SQL scores the filtered rows exactly.
 * - PostgreSQL with pgvector installed (vectorPath 'pgvector', detected when the store opens):
 *   also `memory_pgvec_<dims>` with an HNSW index (cosine), asked for k' like vec0 above, with
 *   the exact scan as the fallback.
 */
import type { PluginDatabase, SqlExecutor } from '../../../sdk/index.js';
import { bytesVector, cosine, MAX_DIMS, queryWords, unit, vectorBytes } from './rows.js';
import type { MemoryStore } from './store.js';

export interface Where {
  sql: string;
  params: unknown[];
}

export interface Scored {
  id: string;
  similarity: number;
}

/** A memory's place in the vector index. */
export interface IndexedMemory {
  seq: number;
  id: string;
  model: string;
  dims: number;
  vector: readonly number[];
}

export interface MemoryDialect {
  readonly name: 'sqlite' | 'postgres';
  readonly vectorPath: MemoryStore['vectorPath'];
  /** Serialises writers across hosts (PostgreSQL); SQLite's BEGIN IMMEDIATE holds the lock already. */
  lock(tx: SqlExecutor): Promise<void>;
  /** Keeps the index for a memory just written or re-embedded (its row is in `memories`). */
  putVector(tx: SqlExecutor, m: IndexedMemory): Promise<void>;
  /** Removes a memory's vector from the index (before its row goes). */
  removeVector(tx: SqlExecutor, m: { seq: number; id: string; dims: number }): Promise<void>;
  /** Up to k nearest among the index's rows of this model (none when there is no index). */
  nearest?(ex: SqlExecutor, model: string, vector: readonly number[], k: number): Promise<Array<{ seq: number; similarity: number }>>;
  /** The k most similar rows of `memories m` of this model and dimension passing `where`, scored exactly. */
  exact(ex: SqlExecutor, model: string, vector: readonly number[], where: Where, k: number): Promise<Scored[]>;
  putEntityVector(tx: SqlExecutor, e: { id: string; type: string; model: string; vector: readonly number[] }): Promise<void>;
  /** The most similar unmerged entity of this type and model, if any. */
  nearestEntity(ex: SqlExecutor, type: string, model: string, vector: readonly number[]): Promise<Scored | undefined>;
  /** The k best full-text matches among `memories m` passing `where`, higher scores better. */
  text(ex: SqlExecutor, query: string, where: Where, k: number): Promise<Array<{ id: string; score: number }>>;
  /** Rebuilds what is derived from `memories` and is missing (after `reef migrate` copied rows in). */
  reconcile(db: PluginDatabase): Promise<void>;
}

/** The most nearest-neighbour candidates one index query returns (vec0's own limit). */
export const MAX_CANDIDATES = 4096;

const dimsOf = (dims: number): number => {
  if (!Number.isSafeInteger(dims) || dims < 1 || dims > MAX_DIMS) throw new Error(`bad vector dimension ${dims}`);
  return dims;
};

// ─── SQLite ────────────────────────────────────────────────────────────────────────────────

function sqliteText(ex: SqlExecutor, query: string, where: Where, k: number): Promise<Array<{ id: string; score: number }>> {
  const words = queryWords(query);
  if (!words.length) return Promise.resolve([]);
  // Each word a quoted FTS5 string (no operators from the user's text); any of them matches.
  const match = words.map((w) => `"${w}"`).join(' OR ');
  return ex
    .query(
      `SELECT m.id, bm25(memories_fts) AS s FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
       WHERE memories_fts MATCH ? AND ${where.sql} ORDER BY s, m.seq DESC LIMIT ?`,
      [match, ...where.params, k],
    )
    .then((rows) => rows.map((r) => ({ id: String(r.id), score: -Number(r.s) })));
}

export class SqliteVecDialect implements MemoryDialect {
  readonly name = 'sqlite' as const;
  readonly vectorPath = 'sqlite-vec' as const;
  private readonly tables = new Set<number>();

  async lock(): Promise<void> {}

  private async table(ex: SqlExecutor, dims: number): Promise<string> {
    const name = `memories_vec_${dimsOf(dims)}`;
    if (!this.tables.has(dims)) {
      await ex.execute(`CREATE VIRTUAL TABLE IF NOT EXISTS ${name} USING vec0(memory_seq INTEGER PRIMARY KEY, embedding float[${dims}] distance_metric=cosine, model TEXT PARTITION KEY)`);
      this.tables.add(dims);
    }
    return name;
  }

  async putVector(tx: SqlExecutor, m: IndexedMemory): Promise<void> {
    const t = await this.table(tx, m.dims);
    await tx.execute(`DELETE FROM ${t} WHERE memory_seq = (SELECT seq FROM memories WHERE id = ?)`, [m.id]);
    // Copied from the row in SQL: vec0's key must be bound as an integer.
    await tx.execute(`INSERT INTO ${t} (memory_seq, embedding, model) SELECT seq, embedding, model FROM memories WHERE id = ?`, [m.id]);
  }

  async removeVector(tx: SqlExecutor, m: { seq: number; id: string; dims: number }): Promise<void> {
    const t = await this.table(tx, m.dims);
    // vec0 zeroes the vector's bytes in its chunk when it deletes it.
    await tx.execute(`DELETE FROM ${t} WHERE memory_seq = (SELECT seq FROM memories WHERE id = ?)`, [m.id]);
  }

  async nearest(ex: SqlExecutor, model: string, vector: readonly number[], k: number): Promise<Array<{ seq: number; similarity: number }>> {
    const t = await this.table(ex, vector.length);
    const rows = await ex.query(`SELECT memory_seq, distance FROM ${t} WHERE embedding MATCH ? AND k = ? AND model = ?`, [vectorBytes(vector), Math.min(k, MAX_CANDIDATES), model]);
    return rows.map((r) => ({ seq: Number(r.memory_seq), similarity: 1 - Number(r.distance) }));
  }

  async exact(ex: SqlExecutor, model: string, vector: readonly number[], where: Where, k: number): Promise<Scored[]> {
    const rows = await ex.query(
      `SELECT m.id, vec_distance_cosine(m.embedding, ?) AS d FROM memories m
       WHERE m.model = ? AND m.dims = ? AND m.embedding IS NOT NULL AND ${where.sql} ORDER BY d, m.seq DESC LIMIT ?`,
      [vectorBytes(vector), model, vector.length, ...where.params, k],
    );
    return rows.map((r) => ({ id: String(r.id), similarity: 1 - Number(r.d) }));
  }

  async putEntityVector(): Promise<void> {
    // The entity's bytes in memory_entities are what vec_distance_cosine reads.
  }

  async nearestEntity(ex: SqlExecutor, type: string, model: string, vector: readonly number[]): Promise<Scored | undefined> {
    const [r] = await ex.query(
      `SELECT id, vec_distance_cosine(embedding, ?) AS d FROM memory_entities
       WHERE merged_into IS NULL AND type = ? AND model = ? AND dims = ? AND embedding IS NOT NULL ORDER BY d, id LIMIT 1`,
      [vectorBytes(vector), type, model, vector.length],
    );
    return r ? { id: String(r.id), similarity: 1 - Number(r.d) } : undefined;
  }

  text(ex: SqlExecutor, query: string, where: Where, k: number): Promise<Array<{ id: string; score: number }>> {
    return sqliteText(ex, query, where, k);
  }

  async reconcile(db: PluginDatabase): Promise<void> {
    const dims = await db.query('SELECT DISTINCT dims FROM memories WHERE embedding IS NOT NULL AND dims IS NOT NULL');
    for (const d of dims) {
      await db.transaction(async (tx) => {
        const t = await this.table(tx, Number(d.dims));
        await tx.execute(
          `INSERT INTO ${t} (memory_seq, embedding, model) SELECT m.seq, m.embedding, m.model FROM memories m
           WHERE m.dims = ? AND m.embedding IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${t} v WHERE v.memory_seq = m.seq)`,
          [Number(d.dims)],
        );
      });
    }
  }
}

/** SQLite where sqlite-vec could not load: the filtered rows' bytes scored in the process. */
export class SqlitePlainDialect implements MemoryDialect {
  readonly name = 'sqlite' as const;
  readonly vectorPath = 'sql-exact' as const;
  async lock(): Promise<void> {}
  async putVector(): Promise<void> {}
  async removeVector(): Promise<void> {}

  async exact(ex: SqlExecutor, model: string, vector: readonly number[], where: Where, k: number): Promise<Scored[]> {
    const rows = await ex.query(`SELECT m.id, m.embedding FROM memories m WHERE m.model = ? AND m.dims = ? AND m.embedding IS NOT NULL AND ${where.sql}`, [
      model,
      vector.length,
      ...where.params,
    ]);
    return rows
      .map((r) => ({ id: String(r.id), similarity: cosine(vector, bytesVector(r.embedding)) }))
      .sort((a, b) => b.similarity - a.similarity)
      .slice(0, k);
  }

  async putEntityVector(): Promise<void> {}

  async nearestEntity(ex: SqlExecutor, type: string, model: string, vector: readonly number[]): Promise<Scored | undefined> {
    const rows = await ex.query('SELECT id, embedding FROM memory_entities WHERE merged_into IS NULL AND type = ? AND model = ? AND dims = ? AND embedding IS NOT NULL', [
      type,
      model,
      vector.length,
    ]);
    let best: Scored | undefined;
    for (const r of rows) {
      const similarity = cosine(vector, bytesVector(r.embedding));
      if (!best || similarity > best.similarity) best = { id: String(r.id), similarity };
    }
    return best;
  }

  text(ex: SqlExecutor, query: string, where: Where, k: number): Promise<Array<{ id: string; score: number }>> {
    return sqliteText(ex, query, where, k);
  }

  async reconcile(): Promise<void> {}
}

// ─── PostgreSQL ────────────────────────────────────────────────────────────────────────────

export class PostgresDialect implements MemoryDialect {
  readonly name = 'postgres' as const;
  readonly vectorPath: MemoryStore['vectorPath'] = 'sql-exact';

  async lock(tx: SqlExecutor): Promise<void> {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('reef.memory.write')) AS locked");
  }

  async putVector(tx: SqlExecutor, m: IndexedMemory): Promise<void> {
    await tx.execute(
      `INSERT INTO memory_vectors (memory_id, model, dims, vec) VALUES (?, ?, ?, CAST(? AS REAL[]))
       ON CONFLICT (memory_id) DO UPDATE SET model = EXCLUDED.model, dims = EXCLUDED.dims, vec = EXCLUDED.vec`,
      [m.id, m.model, m.dims, unit(m.vector)],
    );
  }

  async removeVector(tx: SqlExecutor, m: { seq: number; id: string; dims: number }): Promise<void> {
    await tx.execute('DELETE FROM memory_vectors WHERE memory_id = ?', [m.id]);
  }

  async exact(ex: SqlExecutor, model: string, vector: readonly number[], where: Where, k: number): Promise<Scored[]> {
    const rows = await ex.query(
      `SELECT m.id, memory_dot(v.vec, CAST(? AS REAL[])) AS sim FROM memory_vectors v JOIN memories m ON m.id = v.memory_id
       WHERE v.model = ? AND v.dims = ? AND ${where.sql} ORDER BY sim DESC, m.seq DESC LIMIT ?`,
      [unit(vector), model, vector.length, ...where.params, k],
    );
    return rows.map((r) => ({ id: String(r.id), similarity: Number(r.sim) }));
  }

  async putEntityVector(tx: SqlExecutor, e: { id: string; type: string; model: string; vector: readonly number[] }): Promise<void> {
    await tx.execute(
      `INSERT INTO memory_entity_vectors (entity_id, type, model, dims, vec) VALUES (?, ?, ?, ?, CAST(? AS REAL[]))
       ON CONFLICT (entity_id) DO UPDATE SET type = EXCLUDED.type, model = EXCLUDED.model, dims = EXCLUDED.dims, vec = EXCLUDED.vec`,
      [e.id, e.type, e.model, e.vector.length, unit(e.vector)],
    );
  }

  async nearestEntity(ex: SqlExecutor, type: string, model: string, vector: readonly number[]): Promise<Scored | undefined> {
    const [r] = await ex.query(
      `SELECT e.id, memory_dot(v.vec, CAST(? AS REAL[])) AS sim FROM memory_entity_vectors v JOIN memory_entities e ON e.id = v.entity_id
       WHERE e.merged_into IS NULL AND v.type = ? AND v.model = ? AND v.dims = ? ORDER BY sim DESC, e.id LIMIT 1`,
      [unit(vector), type, model, vector.length],
    );
    return r ? { id: String(r.id), similarity: Number(r.sim) } : undefined;
  }

  async text(ex: SqlExecutor, query: string, where: Where, k: number): Promise<Array<{ id: string; score: number }>> {
    const words = queryWords(query);
    if (!words.length) return [];
    // Any of the words (letters and digits only, so no tsquery operators from the user); stop words drop out.
    const rows = await ex.query(
      `SELECT m.id, ts_rank(to_tsvector('english', m.text), q.q) AS s
       FROM memories m, (SELECT to_tsquery('english', ?) AS q) q
       WHERE to_tsvector('english', m.text) @@ q.q AND ${where.sql} ORDER BY s DESC, m.seq DESC LIMIT ?`,
      [words.join(' | '), ...where.params, k],
    );
    return rows.map((r) => ({ id: String(r.id), score: Number(r.s) }));
  }

  async reconcile(db: PluginDatabase): Promise<void> {
    for (;;) {
      const rows = await db.query(
        `SELECT m.id, m.seq, m.model, m.dims, m.embedding FROM memories m
         WHERE m.embedding IS NOT NULL AND m.model IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_vectors v WHERE v.memory_id = m.id) ORDER BY m.seq LIMIT 500`,
      );
      if (!rows.length) break;
      await db.transaction(async (tx) => {
        for (const r of rows) await this.putVector(tx, { seq: Number(r.seq), id: String(r.id), model: String(r.model), dims: Number(r.dims), vector: bytesVector(r.embedding) });
      });
    }
    for (;;) {
      const rows = await db.query(
        `SELECT e.id, e.type, e.model, e.embedding FROM memory_entities e
         WHERE e.embedding IS NOT NULL AND e.model IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_entity_vectors v WHERE v.entity_id = e.id) ORDER BY e.id LIMIT 500`,
      );
      if (!rows.length) break;
      await db.transaction(async (tx) => {
        for (const r of rows) await this.putEntityVector(tx, { id: String(r.id), type: String(r.type), model: String(r.model), vector: bytesVector(r.embedding) });
      });
    }
  }
}

/** pgvector's HNSW index holds at most this many dimensions; longer vectors stay on the exact path. */
const PGVECTOR_INDEX_MAX_DIMS = 2000;

/**
 * PostgreSQL with pgvector installed: the exact tables as above, plus one `vector(<dims>)` table
 * per dimension with an HNSW cosine index for the nearest-neighbour step.
 */
export class PgvectorDialect extends PostgresDialect {
  override readonly vectorPath = 'pgvector' as const;
  private readonly tables = new Set<number>();

  private async table(ex: SqlExecutor, dims: number): Promise<string | undefined> {
    if (dimsOf(dims) > PGVECTOR_INDEX_MAX_DIMS) return undefined;
    const name = `memory_pgvec_${dims}`;
    if (!this.tables.has(dims)) {
      await ex.execute(`CREATE TABLE IF NOT EXISTS ${name} (memory_id TEXT PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE, seq BIGINT NOT NULL, model TEXT NOT NULL, v vector(${dims}) NOT NULL)`);
      await ex.execute(`CREATE INDEX IF NOT EXISTS ${name}_hnsw ON ${name} USING hnsw (v vector_cosine_ops)`);
      this.tables.add(dims);
    }
    return name;
  }

  override async putVector(tx: SqlExecutor, m: IndexedMemory): Promise<void> {
    await super.putVector(tx, m);
    const t = await this.table(tx, m.dims);
    if (!t) return;
    await tx.execute(
      `INSERT INTO ${t} (memory_id, seq, model, v) VALUES (?, ?, ?, CAST(? AS vector))
       ON CONFLICT (memory_id) DO UPDATE SET model = EXCLUDED.model, v = EXCLUDED.v`,
      [m.id, m.seq, m.model, JSON.stringify(m.vector)],
    );
  }

  override async removeVector(tx: SqlExecutor, m: { seq: number; id: string; dims: number }): Promise<void> {
    await super.removeVector(tx, m);
    const t = await this.table(tx, m.dims);
    if (t) await tx.execute(`DELETE FROM ${t} WHERE memory_id = ?`, [m.id]);
  }

  async nearest(ex: SqlExecutor, model: string, vector: readonly number[], k: number): Promise<Array<{ seq: number; similarity: number }>> {
    const t = await this.table(ex, vector.length);
    if (!t) return [];
    const literal = JSON.stringify(vector);
    const rows = await ex.query(`SELECT seq, 1 - (v <=> CAST(? AS vector)) AS sim FROM ${t} WHERE model = ? ORDER BY v <=> CAST(? AS vector) LIMIT ?`, [
      literal,
      model,
      literal,
      Math.min(k, MAX_CANDIDATES),
    ]);
    return rows.map((r) => ({ seq: Number(r.seq), similarity: Number(r.sim) }));
  }

  override async reconcile(db: PluginDatabase): Promise<void> {
    await super.reconcile(db);
    const dims = await db.query('SELECT DISTINCT dims FROM memory_vectors');
    for (const d of dims) {
      await db.transaction(async (tx) => {
        const t = await this.table(tx, Number(d.dims));
        if (!t) return;
        await tx.execute(
          `INSERT INTO ${t} (memory_id, seq, model, v) SELECT v.memory_id, m.seq, v.model, CAST(v.vec AS vector) FROM memory_vectors v
           JOIN memories m ON m.id = v.memory_id
           WHERE v.dims = ? AND NOT EXISTS (SELECT 1 FROM ${t} p WHERE p.memory_id = v.memory_id)`,
          [Number(d.dims)],
        );
      });
    }
  }
}
