/**
 * The MemoryStore on an SQL database, written once for SQLite and PostgreSQL; what differs (the
 * vector index, full-text search, the write lock) is the MemoryDialect it holds
 * (memory-dialect.ts). Every write is one transaction. All user text is bound as a parameter; the
 * only names built into SQL are the per-dimension vector tables (from an integer).
 *
 * Facts keep their history: a memory superseded (by `key`, by `supersedes`, by an update of its
 * text) gets `valid_until` = the new one's `valid_from` and `superseded_by`, and stays readable.
 * Reads return what is valid at `asOf` (default now) unless `includeSuperseded`.
 */
import { ReefError, type PluginDatabase, type Row, type SqlExecutor } from '../../../sdk/index.js';
import { IndexedSqliteDialect, MAX_CANDIDATES, PgvectorDialect, PostgresDialect, SqlitePlainDialect, SqliteVecDialect, type MemoryDialect, type Scored, type Where } from './memory-dialect.js';
import { checkVector, chunks, entityFromRow, MEMORY_COLUMNS, memoryFromRow, mergeFromRow, newId, normaliseName, placeholders, relationFromRow, vectorBytes } from './rows.js';
import type { Entity, EntityGetInput, EntityMerge, ListInput, Memory, MemoryFilter, Neighbour, Relation, UpdateInput, WriteInput } from './schemas.js';
import type { AuditRecord, Embedding, MemoryStats, MemoryStore, NewMemory, RetentionRule, TextQuery, VectorQuery, WriteOutcome } from './store.js';
import { loadUsearch } from './vector-index.js';

const DAY = 86_400_000;

/** The filters shared by search, list and models, over `memories m`. */
export function filterWhere(f: Partial<MemoryFilter>, now: number): Where {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of [['m.agent', f.agent], ['m.product', f.product], ['m.kind', f.kind]] as const) {
    if (value === undefined) continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  for (const [name, value] of Object.entries(f.tags ?? {})) {
    where.push('EXISTS (SELECT 1 FROM memory_tags t WHERE t.memory_id = m.id AND t.name = ? AND t.value = ?)');
    params.push(name, value);
  }
  if (f.since !== undefined) {
    where.push('m.recorded_at >= ?');
    params.push(f.since);
  }
  if (f.until !== undefined) {
    where.push('m.recorded_at <= ?');
    params.push(f.until);
  }
  if (!f.includeSuperseded) {
    const at = f.asOf ?? now;
    where.push('m.valid_from <= ? AND (m.valid_until IS NULL OR m.valid_until > ?)');
    params.push(at, at);
  }
  return { sql: where.length ? where.join(' AND ') : '1 = 1', params };
}

const and = (a: Where, b: Where): Where => ({ sql: `${a.sql} AND ${b.sql}`, params: [...a.params, ...b.params] });

interface Moved {
  from: string[];
  to: string[];
  /** Memories whose link moved; `existed`: the kept entity was linked already (the merged link was dropped). */
  links: Array<{ memoryId: string; existed: boolean }>;
}

export interface OpenOptions {
  /** SQLite: the in-memory int8 index when usearch loads (default true); false keeps sqlite-vec's vec0 tables. */
  vectorIndex?: boolean;
}

/** Opens the store on a migrated database: picks the vector path and rebuilds missing derived rows. */
export async function openMemoryStore(db: PluginDatabase, o: OpenOptions = {}): Promise<SqlMemoryStore> {
  let dialect: MemoryDialect;
  let indexError: string | undefined;
  if (db.dialect === 'sqlite') {
    const loaded = await db.query('SELECT vec_version() AS v').then(
      () => true,
      () => false,
    );
    const base = loaded ? new SqliteVecDialect() : new SqlitePlainDialect();
    const native = o.vectorIndex === false ? undefined : loadUsearch();
    if (native && 'error' in native) indexError = `usearch did not load (${native.error}): vectors are scanned by ${base.vectorPath}`;
    dialect = native && 'usearch' in native ? new IndexedSqliteDialect(db, base, native.usearch) : base;
    // Deleted rows' bytes are overwritten in the pages they lived in (memories can hold secrets).
    await db.query('PRAGMA secure_delete = FAST');
  } else {
    const [row] = await db.query("SELECT 1 AS one FROM pg_extension WHERE extname = 'vector'");
    dialect = row ? new PgvectorDialect() : new PostgresDialect();
  }
  await dialect.reconcile(db);
  return new SqlMemoryStore(db, dialect, indexError);
}

type Audit = (r: Omit<AuditRecord, 'seq'>) => void;

export class SqlMemoryStore implements MemoryStore {
  constructor(
    private readonly db: PluginDatabase,
    readonly dialect: MemoryDialect,
    /** Why the SQLite store runs without its in-memory index, when usearch could not load. */
    readonly vectorIndexError?: string,
  ) {}

  get vectorPath(): MemoryStore['vectorPath'] {
    return this.dialect.vectorPath;
  }

  /** Builds the in-memory vector index now rather than on the first search (a host starting up). */
  async warm(): Promise<void> {
    await this.dialect.ready?.();
  }

  /** A writing transaction: the dialect's lock first, the audit rows `fn` records appended last. */
  private async tx<T>(fn: (tx: SqlExecutor, audit: Audit) => Promise<T>): Promise<T> {
    let open: SqlExecutor | undefined;
    try {
      const out = await this.db.transaction(async (raw) => {
        // One object per transaction (the database may hand every transaction the same one): what
        // the dialect keeps for this transaction until settle is its own.
        const tx: SqlExecutor = { dialect: raw.dialect, query: (sql, params) => raw.query(sql, params), execute: (sql, params) => raw.execute(sql, params) };
        open = tx;
        await this.dialect.lock(tx);
        const records: Array<Omit<AuditRecord, 'seq'>> = [];
        const result = await fn(tx, (r) => records.push(r));
        for (const r of records) {
          await tx.execute('INSERT INTO memory_audit (at, action, memory_id, actor, detail) VALUES (?, ?, ?, ?, ?)', [r.at, r.action, r.memoryId, r.actor, JSON.stringify(r.detail)]);
        }
        return result;
      });
      if (open) this.dialect.settle?.(open, true);
      return out;
    } catch (e) {
      if (open) this.dialect.settle?.(open, false);
      throw e;
    }
  }

  // ─── reading ───────────────────────────────────────────────────────────────────────────

  private async rows(ex: SqlExecutor, ids: readonly string[]): Promise<Map<string, Row>> {
    const out = new Map<string, Row>();
    for (const chunk of chunks(ids)) {
      for (const r of await ex.query(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE m.id IN (${placeholders(chunk.length)})`, chunk)) out.set(String(r.id), r);
    }
    return out;
  }

  private async withEntities(ex: SqlExecutor, rows: readonly Row[]): Promise<Memory[]> {
    const ids = rows.map((r) => String(r.id));
    const byMemory = new Map<string, Memory['entities']>();
    for (const chunk of chunks(ids)) {
      const links = await ex.query(
        `SELECT l.memory_id, e.id, e.name, e.type FROM memory_links l JOIN memory_entities e ON e.id = l.entity_id
         WHERE l.memory_id IN (${placeholders(chunk.length)}) ORDER BY e.name, e.id`,
        chunk,
      );
      for (const l of links) {
        const list = byMemory.get(String(l.memory_id)) ?? [];
        list.push({ id: String(l.id), name: String(l.name), type: String(l.type) });
        byMemory.set(String(l.memory_id), list);
      }
    }
    return rows.map((r) => memoryFromRow(r, byMemory.get(String(r.id)) ?? []));
  }

  private async getIn(ex: SqlExecutor, id: string): Promise<Memory | undefined> {
    const row = (await this.rows(ex, [id])).get(id);
    return row ? (await this.withEntities(ex, [row]))[0] : undefined;
  }

  private async mustGet(ex: SqlExecutor, id: string): Promise<Row> {
    const row = (await this.rows(ex, [id])).get(id);
    if (!row) throw new ReefError('not_found', `no memory ${id}`, { id });
    return row;
  }

  get(id: string): Promise<Memory | undefined> {
    return this.getIn(this.db, id);
  }

  async hydrate(ids: readonly string[]): Promise<Memory[]> {
    const rows = await this.rows(this.db, ids);
    const memories = await this.withEntities(this.db, [...rows.values()]);
    const byId = new Map(memories.map((m) => [m.id, m]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }

  async history(id: string): Promise<Memory[]> {
    const start = (await this.rows(this.db, [id])).get(id);
    if (!start) return [];
    const chain: Row[] = [start];
    const seen = new Set([id]);
    for (let r = start; r.supersedes && !seen.has(String(r.supersedes)); ) {
      const prev = (await this.rows(this.db, [String(r.supersedes)])).get(String(r.supersedes));
      if (!prev) break;
      seen.add(String(prev.id));
      chain.unshift(prev);
      r = prev;
    }
    for (let r = start; r.superseded_by && !seen.has(String(r.superseded_by)); ) {
      const next = (await this.rows(this.db, [String(r.superseded_by)])).get(String(r.superseded_by));
      if (!next) break;
      seen.add(String(next.id));
      chain.push(next);
      r = next;
    }
    return this.withEntities(this.db, chain);
  }

  async list(input: ListInput, now: number): Promise<{ memories: Memory[]; nextCursor?: string }> {
    let where = filterWhere(input, now);
    if (input.q) {
      const like = `%${input.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where = and(where, { sql: "LOWER(m.text) LIKE ? ESCAPE '\\'", params: [like] });
    }
    if (input.cursor) {
      const m = /^(\d{1,16})\.(\d{1,16})$/.exec(input.cursor);
      if (!m) throw new ReefError('invalid_request', 'cursor is not one this list returned');
      const [at, seq] = [Number(m[1]), Number(m[2])];
      where = and(where, { sql: '(m.recorded_at < ? OR (m.recorded_at = ? AND m.seq < ?))', params: [at, at, seq] });
    }
    const rows = await this.db.query(`SELECT ${MEMORY_COLUMNS} FROM memories m WHERE ${where.sql} ORDER BY m.recorded_at DESC, m.seq DESC LIMIT ?`, [...where.params, input.limit + 1]);
    const page = rows.slice(0, input.limit);
    const memories = await this.withEntities(this.db, page);
    const last = page[page.length - 1];
    return rows.length > input.limit && last ? { memories, nextCursor: `${Number(last.recorded_at)}.${Number(last.seq)}` } : { memories };
  }

  /** The k nearest rows of `model` passing `where`: the dialect's own filtered index, an index's candidates filtered, or the exact scan. */
  private async nearest(ex: SqlExecutor, model: string, vector: readonly number[], where: Where, k: number): Promise<Scored[]> {
    checkVector(vector, 'query vector');
    const found = await this.dialect.filteredNearest?.(ex, model, vector, where, k);
    if (found) return found;
    if (this.dialect.nearest) {
      const want = Math.min(MAX_CANDIDATES, Math.max(k * 10, 100));
      const candidates = await this.dialect.nearest(ex, model, vector, want);
      if (candidates.length === 0) return [];
      const passed = new Map<number, string>();
      for (const chunk of chunks(candidates.map((c) => c.seq))) {
        const rows = await ex.query(`SELECT m.seq, m.id FROM memories m WHERE m.seq IN (${placeholders(chunk.length)}) AND ${where.sql}`, [...chunk, ...where.params]);
        for (const r of rows) passed.set(Number(r.seq), String(r.id));
      }
      const hits = candidates.flatMap((c) => (passed.has(c.seq) ? [{ id: passed.get(c.seq) as string, similarity: c.similarity }] : []));
      // Enough left after the filter, or the index had no more of this model: the answer is exact.
      if (hits.length >= k || candidates.length < want) return hits.slice(0, k);
    }
    return this.dialect.exact(ex, model, vector, where, k);
  }

  vectorSearch(q: VectorQuery): Promise<Array<{ id: string; similarity: number }>> {
    return this.nearest(this.db, q.model, q.vector, filterWhere(q.filter, q.now), q.k);
  }

  textSearch(q: TextQuery): Promise<Array<{ id: string; score: number }>> {
    return this.dialect.text(this.db, q.query, filterWhere(q.filter, q.now), q.k);
  }

  async models(filter: MemoryFilter, now: number): Promise<Array<{ model: string; dims: number; count: number }>> {
    const where = filterWhere(filter, now);
    const rows = await this.db.query(
      `SELECT m.model, m.dims, COUNT(*) AS n FROM memories m WHERE m.model IS NOT NULL AND ${where.sql} GROUP BY m.model, m.dims ORDER BY COUNT(*) DESC, m.model`,
      where.params,
    );
    return rows.map((r) => ({ model: String(r.model), dims: Number(r.dims), count: Number(r.n) }));
  }

  async modelSet(): Promise<Array<{ model: string; dims: number }>> {
    // The ends of the (model, dims) index: one pair at both ends means one pair in all, found in
    // two seeks; only a mixed corpus walks the index.
    const ends = await this.db.query(
      'SELECT (SELECT model FROM memories WHERE model IS NOT NULL ORDER BY model, dims LIMIT 1) AS m1, (SELECT dims FROM memories WHERE model IS NOT NULL ORDER BY model, dims LIMIT 1) AS d1, (SELECT model FROM memories WHERE model IS NOT NULL ORDER BY model DESC, dims DESC LIMIT 1) AS m2, (SELECT dims FROM memories WHERE model IS NOT NULL ORDER BY model DESC, dims DESC LIMIT 1) AS d2',
    );
    const e = ends[0];
    if (!e || e.m1 === null || e.m1 === undefined) return [];
    if (e.m1 === e.m2 && Number(e.d1) === Number(e.d2)) return [{ model: String(e.m1), dims: Number(e.d1) }];
    const rows = await this.db.query('SELECT DISTINCT model, dims FROM memories WHERE model IS NOT NULL ORDER BY model, dims');
    return rows.map((r) => ({ model: String(r.model), dims: Number(r.dims) }));
  }

  // ─── writing ───────────────────────────────────────────────────────────────────────────

  private async insertMemory(
    tx: SqlExecutor,
    m: { id: string; agent: string; product: string | null; kind: string; text: string; tags: Record<string, string>; pinned: boolean; key: string | null; embedding?: Embedding | undefined; now: number; validFrom: number; supersedes: string | null; duplicateOf?: Scored | undefined },
  ): Promise<void> {
    const e = m.embedding;
    if (e) checkVector(e.vector);
    const [row] = await tx.query(
      `INSERT INTO memories (id, agent, product, kind, text, tags, pinned, fact_key, model, dims, embedding, recorded_at, valid_from, supersedes, duplicate_of, duplicate_similarity, accessed_at, access_count)
       VALUES (${placeholders(18)}) RETURNING seq`,
      [
        m.id, m.agent, m.product, m.kind, m.text, JSON.stringify(m.tags), m.pinned ? 1 : 0, m.key, e?.model ?? null, e ? e.vector.length : null, e ? vectorBytes(e.vector) : null,
        m.now, m.validFrom, m.supersedes, m.duplicateOf?.id ?? null, m.duplicateOf?.similarity ?? null, m.now, 0,
      ],
    );
    await this.putTags(tx, m.id, m.tags);
    if (e) await this.dialect.putVector(tx, { seq: Number(row?.seq), id: m.id, model: e.model, dims: e.vector.length, vector: e.vector });
  }

  private async putTags(tx: SqlExecutor, id: string, tags: Record<string, string>): Promise<void> {
    await tx.execute('DELETE FROM memory_tags WHERE memory_id = ?', [id]);
    const entries = Object.entries(tags);
    if (entries.length) await tx.execute(`INSERT INTO memory_tags (memory_id, name, value) VALUES ${entries.map(() => '(?, ?, ?)').join(', ')}`, entries.flatMap(([k, v]) => [id, k, v]));
  }

  /** Marks `ids` superseded by `by` from `at`. */
  private async supersede(tx: SqlExecutor, ids: readonly string[], by: string, at: number): Promise<void> {
    for (const id of ids) await tx.execute('UPDATE memories SET valid_until = ?, superseded_by = ? WHERE id = ?', [at, by, id]);
  }

  async write(items: readonly NewMemory[]): Promise<WriteOutcome[]> {
    return this.tx(async (tx, audit) => {
      const out: WriteOutcome[] = [];
      for (const item of items) out.push(await this.writeOne(tx, audit, item));
      return out;
    });
  }

  private async writeOne(tx: SqlExecutor, audit: Audit, item: NewMemory): Promise<WriteOutcome> {
    const i = item.input;
    const now = item.now;
    const product = i.product ?? null;
    const validFrom = i.validFrom ?? now;
    const superseded: string[] = [];
    if (i.supersedes !== undefined) {
      const target = await this.mustGet(tx, i.supersedes);
      if (target.agent !== i.agent) throw new ReefError('invalid_request', `memory ${i.supersedes} is agent ${String(target.agent)}'s, not ${i.agent}'s: a memory supersedes only its own agent's`, { id: i.supersedes });
      if (target.superseded_by) throw new ReefError('conflict', `memory ${i.supersedes} was superseded already by ${String(target.superseded_by)}`, { id: i.supersedes, supersededBy: target.superseded_by });
      superseded.push(i.supersedes);
    }
    if (i.key !== undefined) {
      const current = await tx.query('SELECT id FROM memories WHERE agent = ? AND product IS NOT DISTINCT FROM ? AND fact_key = ? AND superseded_by IS NULL ORDER BY seq', [i.agent, product, i.key]);
      for (const r of current) if (!superseded.includes(String(r.id))) superseded.push(String(r.id));
    }

    // A near-duplicate among the agent's current originals (of this product), the superseded aside.
    let duplicate: Scored | undefined;
    if (item.embedding && item.duplicates.mode !== 'off') {
      checkVector(item.embedding.vector);
      let where: Where = { sql: 'm.agent = ? AND m.product IS NOT DISTINCT FROM ? AND m.superseded_by IS NULL AND m.duplicate_of IS NULL AND m.valid_from <= ? AND (m.valid_until IS NULL OR m.valid_until > ?)', params: [i.agent, product, now, now] };
      if (superseded.length) where = and(where, { sql: `m.id NOT IN (${placeholders(superseded.length)})`, params: superseded });
      const [best] = await this.nearest(tx, item.embedding.model, item.embedding.vector, where, 1);
      if (best && best.similarity >= item.duplicates.threshold) duplicate = best;
    }

    const entityMerges: EntityMerge[] = [];
    // Merge: folded into the existing memory (only a write that supersedes nothing; one that does is a new version).
    if (duplicate && item.duplicates.mode === 'merge' && superseded.length === 0) {
      const existing = await this.mustGet(tx, duplicate.id);
      const tags = { ...(JSON.parse(String(existing.tags)) as Record<string, string>), ...i.tags };
      await tx.execute('UPDATE memories SET tags = ?, pinned = ? WHERE id = ?', [JSON.stringify(tags), Number(existing.pinned) === 1 || i.pinned ? 1 : 0, duplicate.id]);
      await this.putTags(tx, duplicate.id, tags);
      await this.linkEntities(tx, audit, item, duplicate.id, entityMerges);
      audit({ at: now, action: 'merge', memoryId: duplicate.id, actor: item.actor, detail: { folded: item.id, similarity: duplicate.similarity, tags: Object.keys(i.tags) } });
      return { memory: (await this.getIn(tx, duplicate.id)) as Memory, superseded: [], merged: true, entityMerges };
    }

    await this.insertMemory(tx, {
      id: item.id, agent: i.agent, product, kind: i.kind, text: i.text, tags: i.tags, pinned: i.pinned, key: i.key ?? null,
      embedding: item.embedding, now, validFrom, supersedes: superseded[0] ?? null, duplicateOf: duplicate,
    });
    await this.supersede(tx, superseded, item.id, validFrom);
    await this.linkEntities(tx, audit, item, item.id, entityMerges);
    audit({
      at: now, action: 'write', memoryId: item.id, actor: item.actor,
      detail: { agent: i.agent, product, kind: i.kind, key: i.key ?? null, model: item.embedding?.model ?? null, dims: item.embedding?.vector.length ?? null, duplicateOf: duplicate?.id ?? null, similarity: duplicate?.similarity ?? null },
    });
    for (const id of superseded) audit({ at: now, action: 'supersede', memoryId: id, actor: item.actor, detail: { supersededBy: item.id, validUntil: validFrom } });
    return { memory: (await this.getIn(tx, item.id)) as Memory, superseded, merged: false, entityMerges };
  }

  // ─── entities ──────────────────────────────────────────────────────────────────────────

  /** The entity an id stands for now: itself, or what it was merged into (transitively). */
  private async survivor(ex: SqlExecutor, id: string): Promise<string> {
    let current = id;
    for (let n = 0; n < 100; n++) {
      const [row] = await ex.query('SELECT merged_into FROM memory_entities WHERE id = ?', [current]);
      if (!row?.merged_into) return current;
      current = String(row.merged_into);
    }
    return current;
  }

  /** The entity named so (by normalised name and type), made when new and merged into a similar one when its embedding is close enough. */
  private async resolveEntity(tx: SqlExecutor, item: NewMemory, name: string, type: string, pending: Array<{ keep: string; merge: string; similarity: number }>): Promise<string> {
    const norm = normaliseName(name);
    const [known] = await tx.query('SELECT id FROM memory_entities WHERE norm = ? AND type = ?', [norm, type]);
    if (known) return this.survivor(tx, String(known.id));
    const vector = item.entityEmbeddings?.get(name);
    const model = item.embedding?.model;
    const id = newId('en', item.now);
    const embedded = vector && model ? (checkVector(vector, `embedding of entity "${name}"`), { model, vector }) : undefined;
    const similar = embedded ? await this.dialect.nearestEntity(tx, type, embedded.model, embedded.vector) : undefined;
    await tx.execute('INSERT INTO memory_entities (id, name, norm, type, created_at, model, dims, embedding) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [
      id, name.trim(), norm, type, item.now, embedded?.model ?? null, embedded ? embedded.vector.length : null, embedded ? vectorBytes(embedded.vector) : null,
    ]);
    if (embedded) await this.dialect.putEntityVector(tx, { id, type, model: embedded.model, vector: embedded.vector });
    // Merged once the memory's links and relations name it, so the merge records them and an undo gives them back.
    if (similar && similar.similarity >= item.entityThreshold) pending.push({ keep: similar.id, merge: id, similarity: similar.similarity });
    return id;
  }

  private async linkEntities(tx: SqlExecutor, audit: Audit, item: NewMemory, memoryId: string, merges: EntityMerge[]): Promise<void> {
    const i: WriteInput = item.input;
    const typeOf = new Map(i.entities.map((e) => [normaliseName(e.name), e.type]));
    const resolved = new Map<string, string>();
    const pending: Array<{ keep: string; merge: string; similarity: number }> = [];
    const resolve = async (name: string, type: string) => {
      const k = `${normaliseName(name)}\u0000${type}`;
      let id = resolved.get(k);
      if (id === undefined) {
        id = await this.resolveEntity(tx, item, name, type, pending);
        resolved.set(k, id);
      }
      return id;
    };
    const linked = new Set<string>();
    for (const e of i.entities) linked.add(await resolve(e.name, e.type));
    for (const r of i.relations) {
      const from = await resolve(r.from, r.fromType ?? typeOf.get(normaliseName(r.from)) ?? 'thing');
      const to = await resolve(r.to, r.toType ?? typeOf.get(normaliseName(r.to)) ?? 'thing');
      linked.add(from);
      linked.add(to);
      await this.addRelation(tx, { from, rel: r.rel, to, exclusive: r.exclusive, validFrom: r.validFrom ?? i.validFrom ?? item.now, memoryId, now: item.now });
    }
    for (const entityId of linked) {
      await tx.execute('INSERT INTO memory_links (memory_id, entity_id) VALUES (?, ?) ON CONFLICT (memory_id, entity_id) DO NOTHING', [memoryId, entityId]);
    }
    for (const p of pending) merges.push(await this.mergeIn(tx, audit, p.keep, p.merge, item.now, 'embedding', p.similarity, item.actor));
  }

  private async addRelation(tx: SqlExecutor, r: { from: string; rel: string; to: string; exclusive: boolean; validFrom: number; memoryId: string; now: number }): Promise<void> {
    const [same] = await tx.query('SELECT id FROM memory_relations WHERE from_id = ? AND rel = ? AND to_id = ? AND superseded_by IS NULL AND valid_until IS NULL', [r.from, r.rel, r.to]);
    if (same) return;
    const id = newId('rl', r.now);
    if (r.exclusive) {
      await tx.execute('UPDATE memory_relations SET valid_until = ?, superseded_by = ? WHERE from_id = ? AND rel = ? AND to_id <> ? AND superseded_by IS NULL AND valid_until IS NULL', [
        r.validFrom, id, r.from, r.rel, r.to,
      ]);
    }
    await tx.execute('INSERT INTO memory_relations (id, from_id, rel, to_id, memory_id, recorded_at, valid_from) VALUES (?, ?, ?, ?, ?, ?, ?)', [
      id, r.from, r.rel, r.to, r.memoryId, r.now, r.validFrom,
    ]);
  }

  private async mergeIn(tx: SqlExecutor, audit: Audit, keep: string, merge: string, now: number, reason: EntityMerge['reason'], similarity: number | null, actor: string): Promise<EntityMerge> {
    if (keep === merge) throw new ReefError('invalid_request', 'an entity cannot be merged into itself');
    const rows = await tx.query(`SELECT id, merged_into FROM memory_entities WHERE id IN (?, ?)`, [keep, merge]);
    for (const id of [keep, merge]) {
      const row = rows.find((r) => r.id === id);
      if (!row) throw new ReefError('not_found', `no entity ${id}`, { id });
      if (row.merged_into) throw new ReefError('conflict', `entity ${id} was merged into ${String(row.merged_into)} already`, { id, mergedInto: row.merged_into });
    }
    const moved: Moved = {
      from: (await tx.query('SELECT id FROM memory_relations WHERE from_id = ? ORDER BY id', [merge])).map((r) => String(r.id)),
      to: (await tx.query('SELECT id FROM memory_relations WHERE to_id = ? ORDER BY id', [merge])).map((r) => String(r.id)),
      links: (
        await tx.query(
          `SELECT l.memory_id, CASE WHEN EXISTS (SELECT 1 FROM memory_links k WHERE k.memory_id = l.memory_id AND k.entity_id = ?) THEN 1 ELSE 0 END AS existed
           FROM memory_links l WHERE l.entity_id = ? ORDER BY l.memory_id`,
          [keep, merge],
        )
      ).map((r) => ({ memoryId: String(r.memory_id), existed: Number(r.existed) === 1 })),
    };
    await tx.execute('UPDATE memory_relations SET from_id = ? WHERE from_id = ?', [keep, merge]);
    await tx.execute('UPDATE memory_relations SET to_id = ? WHERE to_id = ?', [keep, merge]);
    await tx.execute('DELETE FROM memory_links WHERE entity_id = ?', [merge]);
    for (const l of moved.links) if (!l.existed) await tx.execute('INSERT INTO memory_links (memory_id, entity_id) VALUES (?, ?)', [l.memoryId, keep]);
    await tx.execute('UPDATE memory_entities SET merged_into = ? WHERE id = ?', [keep, merge]);
    const id = newId('em', now);
    await tx.execute('INSERT INTO memory_entity_merges (id, kept, merged, at, reason, similarity, moved) VALUES (?, ?, ?, ?, ?, ?, ?)', [id, keep, merge, now, reason, similarity, JSON.stringify(moved)]);
    audit({ at: now, action: 'entity-merge', memoryId: null, actor, detail: { mergeId: id, kept: keep, merged: merge, reason, similarity, relations: moved.from.length + moved.to.length, links: moved.links.length } });
    return { id, kept: keep, merged: merge, at: now, reason, similarity, undoneAt: null };
  }

  mergeEntities(keep: string, merge: string, now: number, reason: EntityMerge['reason'], similarity: number | null): Promise<EntityMerge> {
    return this.tx((tx, audit) => this.mergeIn(tx, audit, keep, merge, now, reason, similarity, reason === 'operator' ? 'operator' : 'memory'));
  }

  unmergeEntities(mergeId: string, now: number): Promise<EntityMerge> {
    return this.tx(async (tx, audit) => {
      const [row] = await tx.query('SELECT * FROM memory_entity_merges WHERE id = ?', [mergeId]);
      if (!row) throw new ReefError('not_found', `no entity merge ${mergeId}`, { mergeId });
      if (row.undone_at !== null && row.undone_at !== undefined) throw new ReefError('conflict', `entity merge ${mergeId} was undone already`, { mergeId });
      const merged = String(row.merged);
      const [entity] = await tx.query('SELECT merged_into FROM memory_entities WHERE id = ?', [merged]);
      if (!entity) throw new ReefError('not_found', `the merged entity ${merged} is gone`, { mergeId });
      const moved = JSON.parse(String(row.moved)) as Moved;
      for (const chunk of chunks(moved.from)) await tx.execute(`UPDATE memory_relations SET from_id = ? WHERE id IN (${placeholders(chunk.length)})`, [merged, ...chunk]);
      for (const chunk of chunks(moved.to)) await tx.execute(`UPDATE memory_relations SET to_id = ? WHERE id IN (${placeholders(chunk.length)})`, [merged, ...chunk]);
      const kept = await this.survivor(tx, String(row.kept));
      for (const l of moved.links) {
        const [exists] = await tx.query('SELECT 1 AS one FROM memories WHERE id = ?', [l.memoryId]);
        if (!exists) continue;
        if (!l.existed) await tx.execute('DELETE FROM memory_links WHERE memory_id = ? AND entity_id = ?', [l.memoryId, kept]);
        await tx.execute('INSERT INTO memory_links (memory_id, entity_id) VALUES (?, ?) ON CONFLICT (memory_id, entity_id) DO NOTHING', [l.memoryId, merged]);
      }
      await tx.execute('UPDATE memory_entities SET merged_into = NULL WHERE id = ?', [merged]);
      const [updated] = await tx.query('UPDATE memory_entity_merges SET undone_at = ? WHERE id = ? RETURNING *', [now, mergeId]);
      audit({ at: now, action: 'entity-unmerge', memoryId: null, actor: 'operator', detail: { mergeId, kept: row.kept, merged } });
      return mergeFromRow(updated as Row);
    });
  }

  async merges(limit: number): Promise<EntityMerge[]> {
    return (
      await this.db.query(
        `SELECT g.*, k.name AS kept_name, k.type AS kept_type, m.name AS merged_name, m.type AS merged_type
         FROM memory_entity_merges g LEFT JOIN memory_entities k ON k.id = g.kept LEFT JOIN memory_entities m ON m.id = g.merged
         ORDER BY g.at DESC, g.id DESC LIMIT ?`,
        [limit],
      )
    ).map(mergeFromRow);
  }

  private async aliases(ex: SqlExecutor, id: string): Promise<string[]> {
    const out: string[] = [];
    let frontier = [id];
    for (let n = 0; n < 20 && frontier.length; n++) {
      const rows = await ex.query(`SELECT id, name FROM memory_entities WHERE merged_into IN (${placeholders(frontier.length)}) ORDER BY name`, frontier);
      out.push(...rows.map((r) => String(r.name)));
      frontier = rows.map((r) => String(r.id));
    }
    return out;
  }

  private async entityById(ex: SqlExecutor, id: string): Promise<Entity | undefined> {
    const [row] = await ex.query('SELECT id, name, type, created_at FROM memory_entities WHERE id = ?', [id]);
    return row ? entityFromRow(row, await this.aliases(ex, id)) : undefined;
  }

  async entity(input: EntityGetInput, now: number): Promise<{ entity: Entity; relations: Relation[]; neighbours: Neighbour[] } | undefined> {
    const norm = normaliseName(input.name);
    const [found] = input.type
      ? await this.db.query('SELECT id FROM memory_entities WHERE norm = ? AND type = ?', [norm, input.type])
      : await this.db.query('SELECT id FROM memory_entities WHERE norm = ? ORDER BY CASE WHEN merged_into IS NULL THEN 0 ELSE 1 END, created_at, id LIMIT 1', [norm]);
    if (!found) return undefined;
    const start = await this.survivor(this.db, String(found.id));
    const entity = await this.entityById(this.db, start);
    if (!entity) return undefined;
    const at = input.asOf ?? now;
    // Breadth-first over the relations valid at `at`, both directions, up to `depth` hops.
    const walk = await this.db.query(
      `WITH RECURSIVE walk (entity_id, rel_id, direction, hops) AS (
         SELECT CAST(? AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT), 0
         UNION
         SELECT CASE WHEN r.from_id = w.entity_id THEN r.to_id ELSE r.from_id END, r.id,
                CASE WHEN r.from_id = w.entity_id THEN 'out' ELSE 'in' END, w.hops + 1
         FROM walk w JOIN memory_relations r ON r.from_id = w.entity_id OR r.to_id = w.entity_id
         WHERE w.hops < ? AND r.valid_from <= ? AND (r.valid_until IS NULL OR r.valid_until > ?)
       )
       SELECT entity_id, rel_id, direction, hops FROM walk WHERE hops > 0 ORDER BY hops, rel_id, entity_id`,
      [start, input.depth, at, at],
    );
    const relIds = [...new Set(walk.map((w) => String(w.rel_id)))];
    const relations = new Map<string, Relation>();
    for (const chunk of chunks(relIds)) {
      for (const r of await this.db.query(`SELECT * FROM memory_relations WHERE id IN (${placeholders(chunk.length)})`, chunk)) relations.set(String(r.id), relationFromRow(r));
    }
    const neighbours: Neighbour[] = [];
    const seen = new Set([start]);
    for (const w of walk) {
      const id = String(w.entity_id);
      if (seen.has(id)) continue;
      seen.add(id);
      const e = await this.entityById(this.db, id);
      const relation = relations.get(String(w.rel_id));
      if (e && relation) neighbours.push({ entity: e, relation, direction: w.direction === 'out' ? 'out' : 'in', hops: Number(w.hops) });
    }
    return { entity, relations: relIds.flatMap((id) => relations.get(id) ?? []), neighbours };
  }

  // ─── changing and removing ─────────────────────────────────────────────────────────────

  update(input: UpdateInput & { newId: string; embedding?: Embedding; now: number; actor: string }): Promise<Memory> {
    return this.tx(async (tx, audit) => {
      const row = await this.mustGet(tx, input.id);
      const fields = (['text', 'kind', 'tags', 'pinned'] as const).filter((f) => input[f] !== undefined);
      const tags = input.tags ?? (JSON.parse(String(row.tags)) as Record<string, string>);
      const pinned = input.pinned ?? Number(row.pinned) === 1;
      const kind = input.kind ?? String(row.kind);
      if (input.text === undefined) {
        await tx.execute('UPDATE memories SET kind = ?, tags = ?, pinned = ? WHERE id = ?', [kind, JSON.stringify(tags), pinned ? 1 : 0, input.id]);
        if (input.tags) await this.putTags(tx, input.id, tags);
        audit({ at: input.now, action: 'update', memoryId: input.id, actor: input.actor, detail: { fields } });
        return (await this.getIn(tx, input.id)) as Memory;
      }
      if (row.superseded_by) throw new ReefError('conflict', `memory ${input.id} was superseded by ${String(row.superseded_by)}: update the current version`, { id: input.id, supersededBy: row.superseded_by });
      await this.insertMemory(tx, {
        id: input.newId, agent: String(row.agent), product: row.product === null || row.product === undefined ? null : String(row.product), kind, text: input.text, tags, pinned,
        key: row.fact_key === null || row.fact_key === undefined ? null : String(row.fact_key), embedding: input.embedding, now: input.now, validFrom: input.now, supersedes: input.id,
      });
      await this.supersede(tx, [input.id], input.newId, input.now);
      await tx.execute('INSERT INTO memory_links (memory_id, entity_id) SELECT ?, entity_id FROM memory_links WHERE memory_id = ?', [input.newId, input.id]);
      audit({ at: input.now, action: 'update', memoryId: input.newId, actor: input.actor, detail: { fields, supersedes: input.id, model: input.embedding?.model ?? null } });
      audit({ at: input.now, action: 'supersede', memoryId: input.id, actor: input.actor, detail: { supersededBy: input.newId, validUntil: input.now } });
      return (await this.getIn(tx, input.newId)) as Memory;
    });
  }

  /** Removes memories for real: vectors, tags, entity links, the row (and with it the full-text entry); relations keep their ends but lose the memory. */
  private async remove(tx: SqlExecutor, audit: Audit, ids: readonly string[], action: 'delete' | 'expire' | 'merge', actor: string, now: number, detail: Record<string, unknown>): Promise<string[]> {
    const deleted: string[] = [];
    for (const chunk of chunks(ids)) {
      const rows = await tx.query(`SELECT seq, id, agent, product, kind, model, dims FROM memories WHERE id IN (${placeholders(chunk.length)})`, chunk);
      if (!rows.length) continue;
      const found = rows.map((r) => String(r.id));
      const list = placeholders(found.length);
      for (const r of rows) if (r.dims !== null && r.dims !== undefined) await this.dialect.removeVector(tx, { seq: Number(r.seq), id: String(r.id), dims: Number(r.dims) });
      await tx.execute(`DELETE FROM memory_tags WHERE memory_id IN (${list})`, found);
      await tx.execute(`DELETE FROM memory_links WHERE memory_id IN (${list})`, found);
      await tx.execute(`UPDATE memory_relations SET memory_id = NULL WHERE memory_id IN (${list})`, found);
      await tx.execute(`UPDATE memories SET duplicate_of = NULL, duplicate_similarity = NULL WHERE duplicate_of IN (${list})`, found);
      await tx.execute(`DELETE FROM memories WHERE id IN (${list})`, found);
      for (const r of rows) {
        audit({ at: now, action, memoryId: String(r.id), actor, detail: { ...detail, agent: r.agent, product: r.product ?? null, kind: r.kind, model: r.model ?? null } });
        deleted.push(String(r.id));
      }
    }
    return deleted;
  }

  delete(ids: readonly string[], actor: string, reason: string | undefined, now: number): Promise<{ deleted: string[] }> {
    return this.tx(async (tx, audit) => ({ deleted: await this.remove(tx, audit, ids, 'delete', actor, now, reason === undefined ? {} : { reason }) }));
  }

  async touch(ids: readonly string[], now: number): Promise<void> {
    for (const chunk of chunks(ids)) {
      await this.db.execute(`UPDATE memories SET accessed_at = ?, access_count = access_count + 1 WHERE id IN (${placeholders(chunk.length)})`, [now, ...chunk]);
    }
  }

  async duplicates(limit: number): Promise<Array<{ memory: Memory; duplicateOf: Memory; similarity: number | null }>> {
    const rows = await this.db.query(
      `SELECT m.id, m.duplicate_of, m.duplicate_similarity FROM memories m JOIN memories d ON d.id = m.duplicate_of ORDER BY m.recorded_at DESC, m.seq DESC LIMIT ?`,
      [limit],
    );
    const byId = new Map((await this.hydrate(rows.flatMap((r) => [String(r.id), String(r.duplicate_of)]))).map((m) => [m.id, m]));
    return rows.flatMap((r) => {
      const memory = byId.get(String(r.id));
      const duplicateOf = byId.get(String(r.duplicate_of));
      return memory && duplicateOf ? [{ memory, duplicateOf, similarity: r.duplicate_similarity === null ? null : Number(r.duplicate_similarity) }] : [];
    });
  }

  mergeMemories(keep: string, drop: string, actor: string, now: number): Promise<Memory> {
    return this.tx(async (tx, audit) => {
      if (keep === drop) throw new ReefError('invalid_request', 'a memory cannot be merged into itself');
      const k = await this.mustGet(tx, keep);
      const d = await this.mustGet(tx, drop);
      if (k.agent !== d.agent) throw new ReefError('invalid_request', `memories ${keep} and ${drop} belong to different agents`);
      const tags = { ...(JSON.parse(String(d.tags)) as Record<string, string>), ...(JSON.parse(String(k.tags)) as Record<string, string>) };
      const pinned = Number(k.pinned) === 1 || Number(d.pinned) === 1;
      const dupOf = k.duplicate_of === drop ? null : (k.duplicate_of ?? null);
      await tx.execute('UPDATE memories SET tags = ?, pinned = ? WHERE id = ?', [JSON.stringify(tags), pinned ? 1 : 0, keep]);
      if (dupOf === null) await tx.execute('UPDATE memories SET duplicate_of = NULL, duplicate_similarity = NULL WHERE id = ?', [keep]);
      await this.putTags(tx, keep, tags);
      await tx.execute('INSERT INTO memory_links (memory_id, entity_id) SELECT ?, entity_id FROM memory_links WHERE memory_id = ? ON CONFLICT (memory_id, entity_id) DO NOTHING', [keep, drop]);
      await tx.execute('UPDATE memory_relations SET memory_id = ? WHERE memory_id = ?', [keep, drop]);
      await tx.execute('UPDATE memories SET duplicate_of = ? WHERE duplicate_of = ? AND id <> ?', [keep, drop, keep]);
      await this.remove(tx, audit, [drop], 'merge', actor, now, { into: keep });
      return (await this.getIn(tx, keep)) as Memory;
    });
  }

  keepBoth(id: string, actor: string, now: number): Promise<Memory> {
    return this.tx(async (tx, audit) => {
      const m = await this.mustGet(tx, id);
      if (m.duplicate_of === null || m.duplicate_of === undefined) throw new ReefError('conflict', `memory ${id} is not marked a near-duplicate`);
      await tx.execute('UPDATE memories SET duplicate_of = NULL, duplicate_similarity = NULL WHERE id = ?', [id]);
      audit({ at: now, action: 'keep-both', memoryId: id, actor, detail: { duplicateOf: String(m.duplicate_of) } });
      return (await this.getIn(tx, id)) as Memory;
    });
  }

  expire(rules: readonly RetentionRule[], now: number, actor: string): Promise<{ deleted: string[] }> {
    return this.tx(async (tx, audit) => {
      const deleted: string[] = [];
      for (const [n, rule] of rules.entries()) {
        const where: string[] = ['m.pinned = 0'];
        const params: unknown[] = [];
        for (const [column, value] of [['m.agent', rule.agent], ['m.kind', rule.kind], ['m.product', rule.product]] as const) {
          if (value === undefined) continue;
          where.push(`${column} = ?`);
          params.push(value);
        }
        const ids = new Set<string>();
        if (rule.ttlMs !== undefined) {
          const clock = rule.resetOnAccess ? 'm.accessed_at' : 'm.recorded_at';
          for (const r of await tx.query(`SELECT m.id FROM memories m WHERE ${where.join(' AND ')} AND ${clock} <= ?`, [...params, now - rule.ttlMs])) ids.add(String(r.id));
        }
        if (rule.maxCount !== undefined) {
          // Past the newest maxCount (pinned ones neither count nor go).
          const rows = await tx.query(`SELECT m.id FROM memories m WHERE ${where.join(' AND ')} ORDER BY m.recorded_at DESC, m.seq DESC LIMIT ? OFFSET ?`, [...params, Number.MAX_SAFE_INTEGER, rule.maxCount]);
          for (const r of rows) ids.add(String(r.id));
        }
        deleted.push(...(await this.remove(tx, audit, [...ids], 'expire', actor, now, { rule: n, ttlMs: rule.ttlMs ?? null, maxCount: rule.maxCount ?? null })));
      }
      return { deleted };
    });
  }

  async stats(now: number, days: number): Promise<MemoryStats> {
    const since = now - days * DAY;
    const count = async (sql: string, params: unknown[] = []) => Number((await this.db.query(sql, params))[0]?.n ?? 0);
    // What is valid now: an earlier version of a fact is history, not another memory.
    const current = 'WHERE superseded_by IS NULL AND valid_from <= ? AND (valid_until IS NULL OR valid_until > ?)';
    return {
      byAgent: (await this.db.query(`SELECT agent, COUNT(*) AS n FROM memories ${current} GROUP BY agent ORDER BY COUNT(*) DESC, agent`, [now, now])).map((r) => ({ agent: String(r.agent), count: Number(r.n) })),
      byProduct: (await this.db.query(`SELECT product, COUNT(*) AS n FROM memories ${current} GROUP BY product ORDER BY COUNT(*) DESC, product`, [now, now])).map((r) => ({
        product: r.product === null ? null : String(r.product),
        count: Number(r.n),
      })),
      growth: (
        await this.db.query(`SELECT day, agent, COUNT(*) AS n FROM (SELECT recorded_at - (recorded_at % ${DAY}) AS day, agent FROM memories WHERE recorded_at >= ?) g GROUP BY day, agent ORDER BY day, agent`, [since])
      ).map((r) => ({ day: Number(r.day), agent: String(r.agent), count: Number(r.n) })),
      models: (await this.db.query('SELECT model, dims, COUNT(*) AS n FROM memories GROUP BY model, dims ORDER BY COUNT(*) DESC, model')).map((r) => ({
        model: r.model === null ? null : String(r.model),
        dims: r.dims === null ? null : Number(r.dims),
        count: Number(r.n),
      })),
      entities: await count('SELECT COUNT(*) AS n FROM memory_entities WHERE merged_into IS NULL'),
      relations: await count('SELECT COUNT(*) AS n FROM memory_relations WHERE valid_until IS NULL AND superseded_by IS NULL'),
      duplicates: await count('SELECT COUNT(*) AS n FROM memories m JOIN memories d ON d.id = m.duplicate_of'),
    };
  }

  async audit(limit: number, memoryId?: string): Promise<AuditRecord[]> {
    const rows =
      memoryId === undefined
        ? await this.db.query('SELECT * FROM memory_audit ORDER BY seq DESC LIMIT ?', [limit])
        : await this.db.query('SELECT * FROM memory_audit WHERE memory_id = ? ORDER BY seq DESC LIMIT ?', [memoryId, limit]);
    return rows.map((r) => ({
      seq: Number(r.seq),
      at: Number(r.at),
      action: r.action as AuditRecord['action'],
      memoryId: r.memory_id === null ? null : String(r.memory_id),
      actor: String(r.actor),
      detail: JSON.parse(String(r.detail)) as Record<string, unknown>,
    }));
  }

  // ─── re-embedding ──────────────────────────────────────────────────────────────────────

  async toReembed(model: string, afterId: string | undefined, limit: number): Promise<Array<{ id: string; text: string }>> {
    const rows = await this.db.query('SELECT id, text FROM memories WHERE (model IS NULL OR model <> ?) AND id > ? ORDER BY id LIMIT ?', [model, afterId ?? '', limit]);
    return rows.map((r) => ({ id: String(r.id), text: String(r.text) }));
  }

  setEmbedding(id: string, embedding: Embedding, now: number): Promise<void> {
    checkVector(embedding.vector);
    return this.tx(async (tx, audit) => {
      const row = await this.mustGet(tx, id);
      if (row.dims !== null && row.dims !== undefined) await this.dialect.removeVector(tx, { seq: Number(row.seq), id, dims: Number(row.dims) });
      await tx.execute('UPDATE memories SET model = ?, dims = ?, embedding = ? WHERE id = ?', [embedding.model, embedding.vector.length, vectorBytes(embedding.vector), id]);
      await this.dialect.putVector(tx, { seq: Number(row.seq), id, model: embedding.model, dims: embedding.vector.length, vector: embedding.vector });
      audit({ at: now, action: 'reembed', memoryId: id, actor: 'reembed', detail: { from: row.model ?? null, model: embedding.model, dims: embedding.vector.length } });
    });
  }

  async embeddedCount(model: string): Promise<{ total: number; done: number }> {
    const [row] = await this.db.query('SELECT COUNT(*) AS total, SUM(CASE WHEN model = ? THEN 1 ELSE 0 END) AS done FROM memories', [model]);
    return { total: Number(row?.total ?? 0), done: Number(row?.done ?? 0) };
  }
}
