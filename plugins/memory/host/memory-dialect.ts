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
 * - SQLite with usearch's native module loaded (vectorPath 'usearch-i8', IndexedSqliteDialect,
 *   the usual case): the nearest-neighbour step is an int8 scan of every vector of the model held in
 *   the host's memory (vector-index.ts), its candidates scored again exactly from the stored bytes;
 *   the `vec0` tables are not kept (dropped when the store opens, where sqlite-vec is loaded) and
 *   sqlite-vec serves the exact filtered scan and entity similarity as above. Full text on both
 *   SQLite paths: sqliteText (FTS5 ranks first, then the best rows are filtered).
 * - SQLite without the extension (vectorPath 'sql-exact'): the filtered rows' bytes are scored
 *   exactly in the process.
 * - PostgreSQL (vectorPath 'sql-exact'): `memory_vectors` holds each embedding as a unit real[];
 *   `memory_dot` in SQL scores the filtered rows exactly.
 * - PostgreSQL with pgvector installed (vectorPath 'pgvector', detected when the store opens):
 *   also `memory_pgvec_<dims>` with an HNSW index (cosine), asked for k' like vec0 above, with
 *   the exact scan as the fallback.
 */
import type { PluginDatabase, Row, SqlExecutor } from '../../../sdk/index.js';
import { bytesVector, chunks, cosine, floatView, MAX_DIMS, placeholders, queryWords, unit, vectorBytes } from './rows.js';
import type { MemoryStore } from './store.js';
import { QuantizedIndex, type Usearch } from './vector-index.js';

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
  /**
   * The k most similar rows of `memories m` of this model passing `where`, scored exactly, by the
   * dialect's own index and filtering (the in-memory index). Undefined: not now (the store scans).
   */
  filteredNearest?(ex: SqlExecutor, model: string, vector: readonly number[], where: Where, k: number): Promise<Scored[] | undefined>;
  /** Builds what the dialect keeps outside the database (the in-memory index), if anything. */
  ready?(): Promise<void>;
  /** Told when a writing transaction `tx` ended, whether it committed (an index kept outside the database). */
  settle?(tx: SqlExecutor, committed: boolean): void;
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

/** Above this many matches for the query's words together, the common words are left out (sqliteText). */
export const TEXT_MATCH_BUDGET = 2000;
/** A word found in more than this share of the memories is common. */
export const COMMON_WORD_SHARE = 0.05;

/**
 * The query's words that the full-text search matches. FTS5 scores (bm25) every row any word
 * matches before it keeps the best k, so a word found in a large share of the memories makes a
 * search cost a share of the whole table (at 100,000 memories, 20-100 ms for one such word) while
 * saying little about which memory is meant: its bm25 weight (IDF) is small. When the words'
 * match counts add up to more than TEXT_MATCH_BUDGET, words in more than COMMON_WORD_SHARE of all
 * memories are left out, as long as a rarer word that matches something remains. The words kept
 * score as they would have (bm25's IDF is per word). The counts are over all memories, not the
 * search's filter: sqliteText runs the whole query again when the words kept find fewer than k.
 */
export async function textWords(ex: SqlExecutor, words: readonly string[]): Promise<string[]> {
  if (words.length < 2) return [...words];
  const [all] = await ex.query('SELECT COUNT(*) AS n FROM memories');
  const common = Number(all?.n ?? 0) * COMMON_WORD_SHARE;
  // Each word's matches counted up to a cap past both limits: a common word's whole list is never
  // walked, and the sum passes the budget exactly when the full counts' sum does.
  const cap = Math.floor(Math.max(common, TEXT_MATCH_BUDGET)) + 1;
  const df: number[] = [];
  for (const w of words) {
    const [r] = await ex.query('SELECT COUNT(*) AS n FROM (SELECT 1 FROM memories_fts WHERE memories_fts MATCH ? LIMIT ?)', [`"${w}"`, cap]);
    df.push(Number(r?.n ?? 0));
  }
  if (df.reduce((a, b) => a + b, 0) <= TEXT_MATCH_BUDGET) return [...words];
  const rare = words.filter((_, i) => (df[i] as number) > 0 && (df[i] as number) <= common);
  return rare.length ? rare : [...words];
}

/** Full-text candidates ranked inside FTS5 per result wanted, before the filter reads their rows. */
const TEXT_OVERSAMPLE = 4;
/** Past this many ranked candidates without k passing the filter, one joined query does it all. */
const TEXT_MAX_RANKED = 16_384;

/**
 * The k best full-text matches passing `where`. FTS5 ranks the matches by bm25 from its own index
 * first (the memories' rows hold their embeddings, so reading a row per match cost five times the
 * ranking), then only the best of them are read and filtered; when too few pass, more are ranked.
 * The order is the joined query's: bm25, then the newest first.
 */
async function sqliteText(ex: SqlExecutor, query: string, where: Where, k: number): Promise<Array<{ id: string; score: number }>> {
  const words = queryWords(query);
  if (!words.length) return [];
  const kept = await textWords(ex, words);
  const found = await rankedText(ex, kept, where, k);
  // The words left out may be the ones the filtered memories hold.
  return found.length < k && kept.length < words.length ? rankedText(ex, words, where, k) : found;
}

async function rankedText(ex: SqlExecutor, words: readonly string[], where: Where, k: number): Promise<Array<{ id: string; score: number }>> {
  // Each word a quoted FTS5 string (no operators from the user's text); any of them matches.
  const match = words.map((w) => `"${w}"`).join(' OR ');
  for (let n = Math.max(k * TEXT_OVERSAMPLE, 64); n <= TEXT_MAX_RANKED; n *= 8) {
    const ranked = await ex.query('SELECT rowid AS seq, bm25(memories_fts) AS s FROM memories_fts WHERE memories_fts MATCH ? ORDER BY s, rowid DESC LIMIT ?', [match, n]);
    const passed = new Map<number, string>();
    for (const chunk of chunks(ranked.map((r) => Number(r.seq)))) {
      const rows = await ex.query(`SELECT m.seq, m.id FROM memories m WHERE m.seq IN (${placeholders(chunk.length)}) AND ${where.sql}`, [...chunk, ...where.params]);
      for (const r of rows) passed.set(Number(r.seq), String(r.id));
    }
    if (passed.size >= k || ranked.length < n) {
      return ranked.flatMap((r) => (passed.has(Number(r.seq)) ? [{ id: passed.get(Number(r.seq)) as string, score: -Number(r.s) }] : [])).slice(0, k);
    }
  }
  const rows = await ex.query(
    `SELECT m.id, bm25(memories_fts) AS s FROM memories_fts JOIN memories m ON m.seq = memories_fts.rowid
     WHERE memories_fts MATCH ? AND ${where.sql} ORDER BY s, m.seq DESC LIMIT ?`,
    [match, ...where.params, k],
  );
  return rows.map((r) => ({ id: String(r.id), score: -Number(r.s) }));
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
      .map((r) => ({ id: String(r.id), similarity: cosine(vector, floatView(r.embedding)) }))
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
      const similarity = cosine(vector, floatView(r.embedding));
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

// ─── SQLite with the in-memory index ──────────────────────────────────────────────────────

type IndexOp = { op: 'put'; seq: number; model: string; vector: readonly number[] } | { op: 'remove'; seq: number };

/** Rows read a page at a time when the index is built. */
const BUILD_PAGE = 2000;
/**
 * The int8 scan's candidates per result, all scored again exactly (at least MIN_CANDIDATES): four
 * times k measured recall@10 of 100% at 100,000 × 384 (bench/memory); past MAX_RESCORED
 * candidates without k passing the filter, the exact SQL scan over the filtered rows is cheaper.
 */
const OVERSAMPLE = 4;
const MIN_CANDIDATES = 40;
const MAX_RESCORED = 8192;

/**
 * SQLite where usearch loaded: the nearest-neighbour step asks the in-memory int8 index
 * (vector-index.ts) for the candidates and scores them exactly from `memories.embedding`; the rest
 * (exact filtered scans, entities, full text) is the base dialect's (sqlite-vec's, or the plain one).
 *
 * The index follows committed transactions only: putVector and removeVector are kept per
 * transaction and applied when the store says it committed (settle), so a rolled-back write leaves
 * no vector behind. Inside a transaction its own pending vectors are searched too (a batch's
 * near-duplicates of each other). The index is built when the host starts (ready) or on first
 * use, a page of rows at a time outside any transaction, while writes go on: a change committed
 * after a page was read wins over that page.
 */
export class IndexedSqliteDialect implements MemoryDialect {
  readonly name = 'sqlite' as const;
  readonly vectorPath = 'usearch-i8' as const;
  private readonly index: QuantizedIndex;
  private readonly pending = new WeakMap<SqlExecutor, IndexOp[]>();
  private built = false;
  private building?: Promise<void>;
  /** Bumped by every applied change; while rows are read outside a transaction, which seq changed at which version. */
  private version = 0;
  private touched?: Map<number, number>;
  private readers = 0;

  constructor(
    private readonly db: PluginDatabase,
    private readonly base: SqliteVecDialect | SqlitePlainDialect,
    usearch: Usearch,
  ) {
    this.index = new QuantizedIndex(usearch);
  }

  /** Vectors held in the index (for /metrics, tests and the bench). */
  get indexed(): number {
    return this.index.size;
  }

  /** Bytes the index holds (its arrays' capacity). */
  get indexBytes(): number {
    return this.index.bytes;
  }

  lock(): Promise<void> {
    return this.base.lock();
  }

  private journal(tx: SqlExecutor): IndexOp[] {
    let ops = this.pending.get(tx);
    if (!ops) this.pending.set(tx, (ops = []));
    return ops;
  }

  async putVector(tx: SqlExecutor, m: IndexedMemory): Promise<void> {
    this.journal(tx).push({ op: 'put', seq: m.seq, model: m.model, vector: m.vector });
  }

  async removeVector(tx: SqlExecutor, m: { seq: number; id: string; dims: number }): Promise<void> {
    this.journal(tx).push({ op: 'remove', seq: m.seq });
  }

  settle(tx: SqlExecutor, committed: boolean): void {
    const ops = this.pending.get(tx);
    this.pending.delete(tx);
    if (!ops?.length) return;
    if (!committed) {
      // Usually a rollback, and then nothing changed; but a transaction can fail after its COMMIT
      // (a step after it threw): the rows say what holds.
      this.recheck([...new Set(ops.map((o) => o.seq))]).catch(() => undefined);
      return;
    }
    for (const o of ops) {
      this.version++;
      this.touched?.set(o.seq, this.version);
      if (o.op === 'put') this.index.put(o.seq, o.model, o.vector);
      else this.index.remove(o.seq);
    }
  }

  /** Builds the index once from the committed rows (retried on the next use if it failed). */
  ready(): Promise<void> {
    if (this.built) return Promise.resolve();
    this.building ??= this.build().then(
      () => {
        this.built = true;
      },
      (e: unknown) => {
        this.building = undefined;
        throw e;
      },
    );
    return this.building;
  }

  /**
   * Reads rows outside any transaction and applies them, except where a change committed after the
   * read was issued (settle marks it while a reader runs): that change is newer than the rows.
   */
  private async read(sql: string, params: unknown[], apply: (rows: Row[], fresh: (seq: number) => boolean) => void): Promise<Row[]> {
    this.readers++;
    this.touched ??= new Map();
    try {
      const at = this.version;
      const rows = await this.db.query(sql, params);
      const touched = this.touched;
      apply(rows, (seq) => (touched.get(seq) ?? -1) <= at);
      return rows;
    } finally {
      if (--this.readers === 0) this.touched = undefined;
    }
  }

  private async build(): Promise<void> {
    for (let after = -1; ; ) {
      const rows = await this.read('SELECT seq, model, embedding FROM memories WHERE seq > ? AND embedding IS NOT NULL AND model IS NOT NULL ORDER BY seq LIMIT ?', [after, BUILD_PAGE], (rows, fresh) => {
        for (const r of rows) if (fresh(Number(r.seq))) this.index.put(Number(r.seq), String(r.model), floatView(r.embedding));
      });
      if (rows.length < BUILD_PAGE) return;
      after = Number(rows[rows.length - 1]?.seq);
    }
  }

  /** Puts these memories' vectors as their rows hold them now (removed where there is none). */
  private async recheck(seqs: number[]): Promise<void> {
    for (const chunk of chunks(seqs)) {
      await this.read(`SELECT seq, model, embedding FROM memories WHERE seq IN (${placeholders(chunk.length)}) AND embedding IS NOT NULL AND model IS NOT NULL`, chunk, (rows, fresh) => {
        const found = new Map(rows.map((r) => [Number(r.seq), r]));
        for (const seq of chunk) {
          if (!fresh(seq)) continue;
          const r = found.get(seq);
          if (r) this.index.put(seq, String(r.model), floatView(r.embedding));
          else this.index.remove(seq);
        }
      });
    }
  }

  async filteredNearest(ex: SqlExecutor, model: string, vector: readonly number[], where: Where, k: number): Promise<Scored[] | undefined> {
    const ops = this.pending.get(ex);
    if (!this.built) {
      // Inside a transaction the build (outside it) would wait for it to end: scan exactly this time.
      if (ops || ex !== this.db) {
        this.ready().catch(() => undefined);
        return undefined;
      }
      // A build that failed (the database busy or closing) leaves this search to the exact scan.
      if (!(await this.ready().then(() => true, () => false))) return undefined;
    }
    // This transaction's own changes, not in the index yet: the last word per memory.
    const mine = new Map<number, IndexOp>();
    for (const o of ops ?? []) mine.set(o.seq, o);
    for (let want = Math.max(k * OVERSAMPLE, MIN_CANDIDATES); want <= MAX_RESCORED; want *= 8) {
      const fromIndex = this.index.nearest(model, vector, want + mine.size);
      const seqs = new Set(fromIndex.filter((s) => !mine.has(s)));
      for (const o of mine.values()) if (o.op === 'put' && o.model === model && o.vector.length === vector.length) seqs.add(o.seq);
      // Scored exactly from the stored bytes, and filtered, in one read of the candidates' rows.
      const hits: Array<Scored & { seq: number }> = [];
      for (const chunk of chunks([...seqs])) {
        const rows = await ex.query(
          `SELECT m.seq, m.id, m.embedding FROM memories m
           WHERE m.seq IN (${placeholders(chunk.length)}) AND m.model = ? AND m.dims = ? AND m.embedding IS NOT NULL AND ${where.sql}`,
          [...chunk, model, vector.length, ...where.params],
        );
        for (const r of rows) hits.push({ seq: Number(r.seq), id: String(r.id), similarity: cosine(vector, floatView(r.embedding)) });
      }
      // Twice k passed the filter (the k-th well inside the candidates, as unfiltered it is a
      // quarter of the way), or the index holds no more of this model: the answer. Memories with
      // identical vectors beyond the candidates may be left out of a tie (exact() keeps the newest).
      if (hits.length >= 2 * k || fromIndex.length < want + mine.size) {
        return hits
          .sort((a, b) => b.similarity - a.similarity || b.seq - a.seq)
          .slice(0, k)
          .map(({ id, similarity }) => ({ id, similarity }));
      }
    }
    // A filter that leaves few of many: SQL finds those rows by its indexes and scores them exactly.
    return undefined;
  }

  exact(ex: SqlExecutor, model: string, vector: readonly number[], where: Where, k: number): Promise<Scored[]> {
    return this.base.exact(ex, model, vector, where, k);
  }

  putEntityVector(): Promise<void> {
    return this.base.putEntityVector();
  }

  nearestEntity(ex: SqlExecutor, type: string, model: string, vector: readonly number[]): Promise<Scored | undefined> {
    return this.base.nearestEntity(ex, type, model, vector);
  }

  text(ex: SqlExecutor, query: string, where: Where, k: number): Promise<Array<{ id: string; score: number }>> {
    return this.base.text(ex, query, where, k);
  }

  /** The vec0 tables are not kept in step on this path: dropped, so a start without usearch rebuilds them whole. */
  async reconcile(db: PluginDatabase): Promise<void> {
    // Without sqlite-vec loaded SQLite cannot drop a vec0 table (no such module): they stay, unused.
    if (!(this.base instanceof SqliteVecDialect)) return;
    const tables = await db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'memories_vec_[0-9]*' AND sql LIKE 'CREATE VIRTUAL TABLE%'");
    for (const t of tables) await db.execute(`DROP TABLE IF EXISTS "${String(t.name).replace(/"/g, '')}"`);
  }
}
