/**
 * The SQLite tier's nearest-neighbour index, held in the host's memory: every stored embedding
 * quantised to int8 and kept in one dense array per model and dimension, scanned exactly with
 * usearch's SIMD kernels (`exactSearch`, cosine). Each vector is scaled by its own largest
 * component before rounding, which cosine does not see, so every vector uses the whole int8 range.
 *
 * Why: sqlite-vec 0.1.9's `vec0` has no approximate index; its scan reads every vector through
 * SQLite's pages at ~1 µs a row (97 ms a query at 100,000 × 384 on the 2-core machine), where
 * this scan takes ~2.5 ms and holds 384 bytes a memory. The int8 scores only pick the candidates:
 * the caller scores them again exactly from the stored float32 bytes (IndexedSqliteDialect).
 *
 * The index is derived, never the truth: built from `memories` at start or on first use, and kept
 * in step by the store's committed transactions. It lives in one process, which holds for SQLite: one host owns
 * its data dir (docs/OPERATIONS.md).
 */
import { createRequire } from 'node:module';

/** The part of usearch this index uses. */
export interface Usearch {
  exactSearch(dataset: Int8Array, query: Int8Array, dimensions: number, count: number, metric: 'cos', threads?: number): { keys: BigUint64Array; distances: Float32Array };
}

/** usearch's native module, or why it could not be loaded (then the store keeps sqlite-vec's scan). */
export function loadUsearch(): { usearch: Usearch } | { error: string } {
  try {
    const mod = createRequire(import.meta.url)('usearch') as Usearch & { default?: Usearch };
    const usearch = typeof mod.exactSearch === 'function' ? mod : mod.default;
    if (!usearch || typeof usearch.exactSearch !== 'function') return { error: 'usearch has no exactSearch' };
    return { usearch };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/** A vector as int8, scaled so that its largest component is ±127. */
export function quantise(vector: ArrayLike<number>, out: Int8Array = new Int8Array(vector.length)): Int8Array {
  let max = 0;
  for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i] as number));
  const scale = max > 0 ? 127 / max : 0;
  for (let i = 0; i < vector.length; i++) out[i] = Math.round((vector[i] as number) * scale);
  return out;
}

const MIN_ROWS = 64;

class Partition {
  codes: Int8Array;
  readonly seqs: number[] = [];
  constructor(
    readonly key: string,
    readonly dims: number,
  ) {
    this.codes = new Int8Array(dims * MIN_ROWS);
  }
  append(seq: number, vector: ArrayLike<number>): number {
    const slot = this.seqs.length;
    if ((slot + 1) * this.dims > this.codes.length) {
      const grown = new Int8Array(this.codes.length * 2);
      grown.set(this.codes);
      this.codes = grown;
    }
    this.seqs.push(seq);
    this.write(slot, vector);
    return slot;
  }
  write(slot: number, vector: ArrayLike<number>): void {
    quantise(vector, this.codes.subarray(slot * this.dims, (slot + 1) * this.dims));
  }
}

export class QuantizedIndex {
  private readonly parts = new Map<string, Partition>();
  private readonly where = new Map<number, { part: Partition; slot: number }>();

  constructor(private readonly usearch: Usearch) {}

  get size(): number {
    return this.where.size;
  }

  /** Bytes held for the codes (capacity, not only the filled part). */
  get bytes(): number {
    let n = 0;
    for (const p of this.parts.values()) n += p.codes.byteLength + p.seqs.length * 8;
    return n;
  }

  /** Adds or replaces memory `seq`'s vector (a re-embedded memory may move to another model). */
  put(seq: number, model: string, vector: ArrayLike<number>): void {
    const key = `${model}\u0000${vector.length}`;
    const at = this.where.get(seq);
    if (at && at.part === this.parts.get(key)) {
      at.part.write(at.slot, vector);
      return;
    }
    if (at) this.remove(seq);
    let part = this.parts.get(key);
    if (!part) this.parts.set(key, (part = new Partition(key, vector.length)));
    this.where.set(seq, { part, slot: part.append(seq, vector) });
  }

  /** Forgets memory `seq`'s vector: the last of its partition moves into its slot. */
  remove(seq: number): void {
    const at = this.where.get(seq);
    if (!at) return;
    this.where.delete(seq);
    const { part, slot } = at;
    const last = part.seqs.length - 1;
    if (slot !== last) {
      const moved = part.seqs[last] as number;
      part.codes.copyWithin(slot * part.dims, last * part.dims, (last + 1) * part.dims);
      part.seqs[slot] = moved;
      this.where.set(moved, { part, slot });
    }
    part.seqs.pop();
    // No copy of a deleted memory's vector stays behind in the array's spare room.
    part.codes.fill(0, last * part.dims, (last + 1) * part.dims);
    // A model re-embedded away empties its partition: give the memory back.
    if (part.seqs.length === 0) this.parts.delete(part.key);
    else if (part.codes.length > part.dims * MIN_ROWS && part.seqs.length * 4 < part.codes.length / part.dims) part.codes = part.codes.slice(0, (part.codes.length / 2) | 0);
  }

  /** Up to k memories of this model and dimension nearest to `vector` by the int8 codes' cosine, nearest first. */
  nearest(model: string, vector: readonly number[], k: number): number[] {
    const part = this.parts.get(`${model}\u0000${vector.length}`);
    const count = part ? Math.min(k, part.seqs.length) : 0;
    if (!part || count < 1) return [];
    const { keys } = this.usearch.exactSearch(part.codes.subarray(0, part.seqs.length * part.dims), quantise(vector), part.dims, count, 'cos', 1);
    const out = new Array<number>(keys.length);
    for (let i = 0; i < keys.length; i++) out[i] = part.seqs[Number(keys[i])] as number;
    return out;
  }
}
