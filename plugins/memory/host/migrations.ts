/**
 * The memory module's tables. Times are epoch milliseconds (the caller's clock, ctx.now); JSON is
 * TEXT; booleans are INTEGER 0/1. The tables `reef migrate` copies (MEMORY_TABLES) have the same
 * columns on both databases and values both drivers read back alike: the embedding is kept
 * canonically as float32 little-endian bytes (BLOB / BYTEA) with its model and dimension.
 *
 * What is derived from them is not copied but kept in step by the database or rebuilt by the
 * store when it opens (openMemoryStore):
 * - SQLite: `memories_fts` (FTS5, external content on `memories`, kept by triggers, with
 *   secure-delete so a deleted memory's words leave the index); the vectors' index lives in the
 *   host's memory (vector-index.ts), or, where usearch cannot load, in one sqlite-vec `vec0` table per
 *   dimension, `memories_vec_<dims>` (cosine distance, the model as partition key), made on demand.
 * - PostgreSQL: an expression GIN index over to_tsvector('english', text) (an index rather than a
 *   generated column, so `SELECT *` copies between the databases column for column), and
 *   `memory_vectors` (and `memory_entity_vectors`): each embedding as a unit-length real[] searched
 *   exactly with `memory_dot`
 *   (or, where pgvector is installed, `memory_pgvec_<dims>` with an HNSW index, made on demand).
 */
import type { Migration, TableExport } from '../../../sdk/index.js';

const tables = (d: { bigint: string; blob: string; seq: string; serial: string }) => `
CREATE TABLE memories (
  seq ${d.seq},
  id TEXT NOT NULL UNIQUE,
  agent TEXT NOT NULL,
  product TEXT,
  kind TEXT NOT NULL,
  text TEXT NOT NULL,
  tags TEXT NOT NULL,
  pinned INTEGER NOT NULL DEFAULT 0,
  fact_key TEXT,
  model TEXT,
  dims INTEGER,
  embedding ${d.blob},
  recorded_at ${d.bigint} NOT NULL,
  valid_from ${d.bigint} NOT NULL,
  valid_until ${d.bigint},
  supersedes TEXT,
  superseded_by TEXT,
  duplicate_of TEXT,
  duplicate_similarity DOUBLE PRECISION,
  accessed_at ${d.bigint} NOT NULL,
  access_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX memories_agent ON memories (agent, recorded_at);
CREATE INDEX memories_recorded ON memories (recorded_at, seq);
CREATE INDEX memories_key ON memories (agent, fact_key) WHERE fact_key IS NOT NULL AND superseded_by IS NULL;
CREATE INDEX memories_model ON memories (model, dims);
CREATE INDEX memories_duplicates ON memories (duplicate_of) WHERE duplicate_of IS NOT NULL;

CREATE TABLE memory_tags (
  memory_id TEXT NOT NULL,
  name TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (memory_id, name)
);
CREATE INDEX memory_tags_value ON memory_tags (name, value);

CREATE TABLE memory_entities (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  norm TEXT NOT NULL,
  type TEXT NOT NULL,
  created_at ${d.bigint} NOT NULL,
  model TEXT,
  dims INTEGER,
  embedding ${d.blob},
  merged_into TEXT,
  UNIQUE (norm, type)
);
CREATE INDEX memory_entities_type ON memory_entities (type, model, dims) WHERE merged_into IS NULL;

CREATE TABLE memory_links (
  memory_id TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  PRIMARY KEY (memory_id, entity_id)
);
CREATE INDEX memory_links_entity ON memory_links (entity_id);

CREATE TABLE memory_relations (
  id TEXT PRIMARY KEY,
  from_id TEXT NOT NULL,
  rel TEXT NOT NULL,
  to_id TEXT NOT NULL,
  memory_id TEXT,
  recorded_at ${d.bigint} NOT NULL,
  valid_from ${d.bigint} NOT NULL,
  valid_until ${d.bigint},
  superseded_by TEXT
);
CREATE INDEX memory_relations_from ON memory_relations (from_id, rel);
CREATE INDEX memory_relations_to ON memory_relations (to_id);
CREATE INDEX memory_relations_memory ON memory_relations (memory_id) WHERE memory_id IS NOT NULL;

-- An entity folded into another: what moved (relation ends, memory links), so an undo is exact.
CREATE TABLE memory_entity_merges (
  id TEXT PRIMARY KEY,
  kept TEXT NOT NULL,
  merged TEXT NOT NULL,
  at ${d.bigint} NOT NULL,
  reason TEXT NOT NULL,
  similarity DOUBLE PRECISION,
  moved TEXT NOT NULL,
  undone_at ${d.bigint}
);

-- Who did what to which memory; never the text.
CREATE TABLE memory_audit (
  seq ${d.serial},
  at ${d.bigint} NOT NULL,
  action TEXT NOT NULL,
  memory_id TEXT,
  actor TEXT NOT NULL,
  detail TEXT NOT NULL
);
CREATE INDEX memory_audit_memory ON memory_audit (memory_id, seq);
`;

const SQLITE = `${tables({ bigint: 'INTEGER', blob: 'BLOB', seq: 'INTEGER PRIMARY KEY', serial: 'INTEGER PRIMARY KEY AUTOINCREMENT' })}
CREATE VIRTUAL TABLE memories_fts USING fts5(text, content='memories', content_rowid='seq', tokenize='porter unicode61');
INSERT INTO memories_fts (memories_fts, rank) VALUES ('secure-delete', 1);
CREATE TRIGGER memories_fts_insert AFTER INSERT ON memories BEGIN
  INSERT INTO memories_fts (rowid, text) VALUES (new.seq, new.text);
END;
CREATE TRIGGER memories_fts_delete AFTER DELETE ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.seq, old.text);
END;
CREATE TRIGGER memories_fts_update AFTER UPDATE OF text ON memories BEGIN
  INSERT INTO memories_fts (memories_fts, rowid, text) VALUES ('delete', old.seq, old.text);
  INSERT INTO memories_fts (rowid, text) VALUES (new.seq, new.text);
END;
`;

const POSTGRES = `${tables({ bigint: 'BIGINT', blob: 'BYTEA', seq: 'BIGSERIAL PRIMARY KEY', serial: 'BIGSERIAL PRIMARY KEY' })}
CREATE INDEX memories_text ON memories USING GIN (to_tsvector('english', text));

CREATE TABLE memory_vectors (
  memory_id TEXT PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
  model TEXT NOT NULL,
  dims INTEGER NOT NULL,
  vec REAL[] NOT NULL
);
CREATE INDEX memory_vectors_model ON memory_vectors (model, dims);

CREATE TABLE memory_entity_vectors (
  entity_id TEXT PRIMARY KEY REFERENCES memory_entities (id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  model TEXT NOT NULL,
  dims INTEGER NOT NULL,
  vec REAL[] NOT NULL
);
CREATE INDEX memory_entity_vectors_model ON memory_entity_vectors (type, model, dims);

-- The dot product of two vectors of one length: the cosine similarity of unit vectors.
CREATE FUNCTION memory_dot(a REAL[], b REAL[]) RETURNS DOUBLE PRECISION
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT COALESCE(SUM(x::float8 * y::float8), 0) FROM unnest(a, b) AS t(x, y) $$;
`;

export const MEMORY_MIGRATIONS: Migration[] = [{ id: '001_memory', sql: { sqlite: SQLITE, postgres: POSTGRES } }];

/** For `reef migrate`: parents first. `memories.seq` is a sequence on PostgreSQL. */
export const MEMORY_TABLES: TableExport[] = [
  { name: 'memories', key: ['id'], serial: 'seq' },
  { name: 'memory_tags', key: ['memory_id', 'name'] },
  { name: 'memory_entities', key: ['id'] },
  { name: 'memory_links', key: ['memory_id', 'entity_id'] },
  { name: 'memory_relations', key: ['id'] },
  { name: 'memory_entity_merges', key: ['id'] },
  { name: 'memory_audit', key: ['seq'], serial: 'seq' },
];
