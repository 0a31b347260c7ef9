/**
 * Hybrid search's one rule: reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009). Each
 * hit's fused score is the sum, over the lists it appears in, of 1 / (RRF_K + rank), rank from
 * 1; a hit in both lists says why `both`. Ranks, not raw scores, are fused, so cosine similarity
 * and bm25/ts_rank (on different scales, per database) need no calibration. With recency
 * weighting, the fused score is multiplied by 0.5^(age / half-life), age from when the memory was
 * recorded. Ties keep the vector list's order, then the text list's.
 */
import type { SearchHit } from './schemas.js';

/** The constant of the original paper: it damps the weight of the very first ranks. */
export const RRF_K = 60;

/** A search hit before its memory is read: the memory's id in its place. */
export type Fused = Omit<SearchHit, 'memory'> & { id: string };

export function fuse(vector: ReadonlyArray<{ id: string; similarity: number }>, text: ReadonlyArray<{ id: string; score: number }>): Fused[] {
  const out = new Map<string, Fused & { order: number }>();
  let order = 0;
  vector.forEach((h, i) => {
    out.set(h.id, { id: h.id, score: 1 / (RRF_K + i + 1), why: 'vector', vectorScore: h.similarity, vectorRank: i + 1, order: order++ });
  });
  text.forEach((h, i) => {
    const add = 1 / (RRF_K + i + 1);
    const seen = out.get(h.id);
    if (seen) {
      seen.score += add;
      seen.why = 'both';
      seen.textScore = h.score;
      seen.textRank = i + 1;
    } else out.set(h.id, { id: h.id, score: add, why: 'text', textScore: h.score, textRank: i + 1, order: order++ });
  });
  return [...out.values()].sort((a, b) => b.score - a.score || a.order - b.order).map(({ order: _order, ...f }) => f);
}

/** 0.5^(age / half-life); 1 for a memory recorded now or in the future. */
export function recencyWeight(recordedAt: number, now: number, halfLifeDays: number): number {
  const age = Math.max(0, now - recordedAt);
  return 0.5 ** (age / (halfLifeDays * 86_400_000));
}
