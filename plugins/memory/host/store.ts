/**
 * The MemoryStore contract: every operation the memory service, the retention sweep and the
 * re-embed command use, with the types that cross it. One implementation, SqlMemoryStore
 * (sql-memory-store.ts), runs on SQLite (vectors through sqlite-vec, text through FTS5) and
 * PostgreSQL (vectors as real[] searched exactly in SQL, or through pgvector's index where the
 * extension is installed; text through tsvector); test/conformance/memory-store.ts asserts every
 * operation here on both.
 *
 * Embeddings are computed by the service (the store never calls a model); the store keeps each
 * memory's vector with its model and dimension and searches only among one model's vectors.
 * Times are epoch ms from the caller's clock (ctx.now). Deleting removes the text, the vectors
 * and the full-text entry for real, and leaves an audit row without the text.
 */
import type { Entity, EntityGetInput, EntityMerge, ListInput, Memory, MemoryFilter, Neighbour, Relation, UpdateInput, WriteInput } from './schemas.js';

export interface Embedding {
  model: string;
  vector: number[];
}

/** What to do with a new memory whose embedding is this close (cosine similarity) to one the same agent already has. */
export interface DuplicatePolicy {
  mode: 'link' | 'merge' | 'off';
  /** Cosine similarity from which two memories are near-duplicates (0..1), e.g. 0.95. */
  threshold: number;
}

export interface NewMemory {
  id: string;
  input: WriteInput;
  now: number;
  embedding?: Embedding;
  /** Embeddings of the entity names in `input.entities` and its relations, by name (same model), for merging by similarity. */
  entityEmbeddings?: ReadonlyMap<string, number[]>;
  duplicates: DuplicatePolicy;
  /** Cosine similarity from which a new entity of the same type is merged into a known one. */
  entityThreshold: number;
  /** Who wrote it, for the audit (`agent:<name>` or `operator:<name>`). */
  actor: string;
}

export interface WriteOutcome {
  memory: Memory;
  /** Memories this one superseded (by `key`, by `supersedes`). */
  superseded: string[];
  /** With `mode: merge`, the existing memory the text was folded into (then `memory` is that one). */
  merged: boolean;
  entityMerges: EntityMerge[];
}

export interface VectorQuery {
  model: string;
  vector: number[];
  k: number;
  filter: MemoryFilter;
  now: number;
}

export interface TextQuery {
  query: string;
  k: number;
  filter: MemoryFilter;
  now: number;
}

export interface RetentionRule {
  /** Which memories it covers: any of agent, kind, product (all given must match). */
  agent?: string;
  kind?: string;
  product?: string;
  /** Deleted this long after they were last accessed (`resetOnAccess`) or recorded. */
  ttlMs?: number;
  /** At most this many; the oldest go first. */
  maxCount?: number;
  resetOnAccess?: boolean;
}

export interface AuditRecord {
  seq: number;
  at: number;
  action: 'write' | 'supersede' | 'update' | 'delete' | 'merge' | 'keep-both' | 'expire' | 'entity-merge' | 'entity-unmerge' | 'reembed';
  memoryId: string | null;
  actor: string;
  /** What changed, never the deleted text. */
  detail: Record<string, unknown>;
}

export interface MemoryStats {
  /** Memories valid now (earlier versions of a fact not counted), per agent and per product. */
  byAgent: Array<{ agent: string; count: number }>;
  byProduct: Array<{ product: string | null; count: number }>;
  /** Memories recorded per day (UTC midnight, epoch ms), per agent, over the window asked. */
  growth: Array<{ day: number; agent: string; count: number }>;
  models: Array<{ model: string | null; dims: number | null; count: number }>;
  entities: number;
  relations: number;
  duplicates: number;
}

export interface MemoryStore {
  /** Which vector search runs: the in-memory int8 scan (SQLite), sqlite-vec, pgvector's index, or an exact scan in SQL. */
  readonly vectorPath: 'usearch-i8' | 'sqlite-vec' | 'pgvector' | 'sql-exact';

  /** Writes in one transaction: supersession, near-duplicates, entities (merged by name, then similarity), relations. */
  write(items: readonly NewMemory[]): Promise<WriteOutcome[]>;
  get(id: string): Promise<Memory | undefined>;
  /** The versions of a fact, oldest first: what it superseded, it, and what superseded it. */
  history(id: string): Promise<Memory[]>;
  /** Memories by id, in the order asked (unknown ids left out). */
  hydrate(ids: readonly string[]): Promise<Memory[]>;
  /** Newest recorded first; valid now (or `asOf`) unless `includeSuperseded`. */
  list(input: ListInput, now: number): Promise<{ memories: Memory[]; nextCursor?: string }>;
  /** The k most similar (cosine similarity, 1 = same direction) among the memories embedded with `model`. */
  vectorSearch(q: VectorQuery): Promise<Array<{ id: string; similarity: number }>>;
  /** The k best full-text matches (higher is better: bm25 on SQLite, ts_rank on PostgreSQL, each negated or as is). */
  textSearch(q: TextQuery): Promise<Array<{ id: string; score: number }>>;
  /** The embedding models the memories matching the filter were embedded with. */
  models(filter: MemoryFilter, now: number): Promise<Array<{ model: string; dims: number; count: number }>>;
  /** Every (model, dimension) any memory was embedded with, from the index (cheap: no filter, no counts). */
  modelSet(): Promise<Array<{ model: string; dims: number }>>;
  /** Tags, kind, pinned in place; new text as a new version (`newId`, its embedding) superseding this one. */
  update(input: UpdateInput & { newId: string; embedding?: Embedding; now: number; actor: string }): Promise<Memory>;
  /** Removes the memories for real (text, vectors, full-text entries, entity links); the audit keeps who, when and why. */
  delete(ids: readonly string[], actor: string, reason: string | undefined, now: number): Promise<{ deleted: string[] }>;
  /** Marks memories as read (search hits, gets): their access clock and count. */
  touch(ids: readonly string[], now: number): Promise<void>;

  /** An entity by name (and type), with the relations around it up to `depth` hops (recursive SQL). */
  entity(input: EntityGetInput, now: number): Promise<{ entity: Entity; relations: Relation[]; neighbours: Neighbour[] } | undefined>;
  mergeEntities(keep: string, merge: string, now: number, reason: EntityMerge['reason'], similarity: number | null): Promise<EntityMerge>;
  /** Undoes a merge: the merged entity comes back with the relations and memory links it brought. */
  unmergeEntities(mergeId: string, now: number): Promise<EntityMerge>;
  merges(limit: number): Promise<EntityMerge[]>;

  /** Near-duplicate pairs found at write and not yet resolved, newest first. */
  duplicates(limit: number): Promise<Array<{ memory: Memory; duplicateOf: Memory; similarity: number | null }>>;
  /** Folds `drop` into `keep` (tags and entities joined, `drop` deleted as a merge). */
  mergeMemories(keep: string, drop: string, actor: string, now: number): Promise<Memory>;
  /** The operator's "keep both": the memory is no longer marked a near-duplicate (recorded in the audit). */
  keepBoth(id: string, actor: string, now: number): Promise<Memory>;

  /** Deletes what the rules say has expired; pinned memories are exempt. */
  expire(rules: readonly RetentionRule[], now: number, actor: string): Promise<{ deleted: string[] }>;
  stats(now: number, days: number): Promise<MemoryStats>;
  audit(limit: number, memoryId?: string): Promise<AuditRecord[]>;

  /** For `reef memory reembed`: memories not yet embedded with `model`, after `afterId` in id order. */
  toReembed(model: string, afterId: string | undefined, limit: number): Promise<Array<{ id: string; text: string }>>;
  setEmbedding(id: string, embedding: Embedding, now: number): Promise<void>;
  /** Memories in all, and those embedded with `model`: the re-embed's progress. */
  embeddedCount(model: string): Promise<{ total: number; done: number }>;
}
