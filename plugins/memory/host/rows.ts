/** Rows of the memory tables to and from the wire shapes; vectors as bytes; names normalised. */
import { ReefError, sortableId, type Row } from '../../../sdk/index.js';
import type { Entity, EntityMerge, Memory, Relation } from './schemas.js';

export function newId(prefix: string, now: number = Date.now()): string {
  return sortableId(prefix, now);
}

/** The columns a Memory is read from (never the embedding's bytes). */
export const MEMORY_COLUMNS =
  'm.seq, m.id, m.agent, m.product, m.kind, m.text, m.tags, m.pinned, m.fact_key, m.model, m.dims, m.recorded_at, m.valid_from, m.valid_until, m.supersedes, m.superseded_by, m.duplicate_of, m.duplicate_similarity, m.accessed_at, m.access_count';

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

export function memoryFromRow(r: Row, entities: Memory['entities'] = []): Memory {
  return {
    id: String(r.id),
    agent: String(r.agent),
    product: str(r.product),
    kind: String(r.kind),
    text: String(r.text),
    tags: JSON.parse(String(r.tags)) as Record<string, string>,
    pinned: Number(r.pinned) === 1,
    key: str(r.fact_key),
    model: str(r.model),
    dims: num(r.dims),
    recordedAt: Number(r.recorded_at),
    validFrom: Number(r.valid_from),
    validUntil: num(r.valid_until),
    supersedes: str(r.supersedes),
    supersededBy: str(r.superseded_by),
    duplicateOf: str(r.duplicate_of),
    accessedAt: Number(r.accessed_at),
    accessCount: Number(r.access_count),
    entities,
  };
}

export function entityFromRow(r: Row, aliases: string[] = []): Entity {
  return { id: String(r.id), name: String(r.name), type: String(r.type), createdAt: Number(r.created_at), aliases };
}

export function relationFromRow(r: Row): Relation {
  return {
    id: String(r.id),
    from: String(r.from_id),
    rel: String(r.rel),
    to: String(r.to_id),
    memoryId: str(r.memory_id),
    recordedAt: Number(r.recorded_at),
    validFrom: Number(r.valid_from),
    validUntil: num(r.valid_until),
    supersededBy: str(r.superseded_by),
  };
}

export function mergeFromRow(r: Row): EntityMerge {
  return {
    id: String(r.id),
    kept: String(r.kept),
    merged: String(r.merged),
    at: Number(r.at),
    reason: r.reason as EntityMerge['reason'],
    similarity: num(r.similarity),
    undoneAt: num(r.undone_at),
    ...(r.kept_name !== undefined && r.kept_name !== null && { keptEntity: { name: String(r.kept_name), type: String(r.kept_type) } }),
    ...(r.merged_name !== undefined && r.merged_name !== null && { mergedEntity: { name: String(r.merged_name), type: String(r.merged_type) } }),
  };
}

/** An entity's name for matching: Unicode-normalised, lowercase, trimmed, whitespace collapsed. */
export function normaliseName(name: string): string {
  return name.normalize('NFKC').trim().toLowerCase().replace(/\s+/g, ' ');
}

export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** Ids per statement (well under both databases' parameter limits). */
const CHUNK = 500;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Largest dimension accepted (table names are made from it). */
export const MAX_DIMS = 16_384;

/** Refuses a vector that cannot be searched: empty, too long, not finite, or all zeros. */
export function checkVector(vector: readonly number[], what = 'embedding'): void {
  if (!Array.isArray(vector) || vector.length === 0 || vector.length > MAX_DIMS) {
    throw new ReefError('invalid_request', `the ${what} must have 1 to ${MAX_DIMS} numbers`);
  }
  let sq = 0;
  for (const x of vector) {
    if (typeof x !== 'number' || !Number.isFinite(x)) throw new ReefError('invalid_request', `the ${what} holds a value that is not a finite number`);
    sq += x * x;
  }
  if (sq === 0) throw new ReefError('invalid_request', `the ${what} is all zeros (no direction to compare)`);
}

/** float32 little-endian bytes: the canonical stored form (BLOB / BYTEA). */
export function vectorBytes(vector: readonly number[]): Buffer {
  const f = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) f[i] = vector[i] as number;
  return Buffer.from(f.buffer, f.byteOffset, f.byteLength);
}

export function bytesVector(bytes: unknown): number[] {
  const b = bytes as Buffer;
  const out = new Array<number>(b.byteLength >> 2);
  for (let i = 0; i < out.length; i++) out[i] = b.readFloatLE(i * 4);
  return out;
}

/**
 * The stored bytes read in place as float32 (copied only when not 4-byte aligned): the hot path's
 * bytesVector. The bytes are little-endian, as are the platforms Reef runs on (x64, arm64).
 */
export function floatView(bytes: unknown): Float32Array {
  const b = bytes as Uint8Array;
  if (b.byteOffset % 4 === 0) return new Float32Array(b.buffer, b.byteOffset, b.byteLength >> 2);
  // A copy (Buffer's own slice() would share the pool's memory, offset and all).
  return new Float32Array(Uint8Array.from(b).buffer, 0, b.byteLength >> 2);
}

export function unit(vector: readonly number[]): number[] {
  let sq = 0;
  for (const x of vector) sq += x * x;
  const n = Math.sqrt(sq) || 1;
  return vector.map((x) => x / n);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

/** Full-text words of a query (letters and digits), at most 64: the terms both databases match any of. */
export function queryWords(query: string): string[] {
  return (query.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 64);
}
