/**
 * The memory module's wire contract (PROTOCOL.md "Memory"): zod schemas for every operation's
 * body, and the views the operations return. The panel imports these types (`import type`).
 *
 * A memory is one thing an agent learned, in text, with where it applies (agent, product, kind,
 * tags), the embedding it was searched by (model and dimension recorded), and when it was true:
 * `validFrom`..`validUntil` (valid time) and `recordedAt` (when Reef learned it). A memory that
 * replaces an earlier one supersedes it: the earlier one gets `validUntil` and `supersededBy`,
 * and stays readable as history.
 */
import { z } from 'zod';
import { instant, MAX_INSTANT_MS, storableText } from '../../../sdk/index.js';

export const agentName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 of letters, digits, ".", "_", "-", starting with a letter or digit');
const label = storableText(1, 200);
const memoryId = storableText(1, 64);
export const MAX_TEXT = 32_000;

export { instant, MAX_INSTANT_MS };

/** Tags: at most 20, names and values storable text. */
export const TagsSchema = z.record(storableText(1, 64), storableText(0, 200)).refine((t) => Object.keys(t).length <= 20, 'at most 20 tags');

export const EntityRefSchema = z.object({ name: label, type: storableText(1, 64).default('thing') }).strict();
export type EntityRef = z.output<typeof EntityRefSchema>;

/**
 * A typed relation between two entities named in the same write (or already known). `exclusive`:
 * the subject has one such relation at a time (works_at, lives_in): a new one supersedes the
 * earlier one with another object instead of piling up beside it.
 */
export const RelationInputSchema = z
  .object({
    from: label,
    fromType: storableText(1, 64).optional(),
    rel: storableText(1, 64),
    to: label,
    toType: storableText(1, 64).optional(),
    exclusive: z.boolean().default(false),
    validFrom: instant.optional(),
  })
  .strict();
export type RelationInput = z.output<typeof RelationInputSchema>;

export const WriteSchema = z
  .object({
    /** Whose memory: an agent token writes only its own (checked by the service). */
    agent: agentName,
    text: storableText(1, MAX_TEXT),
    kind: storableText(1, 64).default('fact'),
    product: label.optional(),
    tags: TagsSchema.default({}),
    pinned: z.boolean().default(false),
    /** When it became true (default: now). */
    validFrom: instant.optional(),
    /**
     * A name for what the memory is about (`deploy-target`, `user.timezone`): a later memory with
     * the same agent, product and key supersedes this one. The way to keep one current fact per
     * subject without an LLM deciding what contradicts what.
     */
    key: storableText(1, 200).optional(),
    /** An earlier memory this one replaces, by id (same agent). */
    supersedes: memoryId.optional(),
    entities: z.array(EntityRefSchema).max(50).default([]),
    relations: z.array(RelationInputSchema).max(50).default([]),
  })
  .strict();
export type WriteInput = z.output<typeof WriteSchema>;

export const WriteManySchema = z.object({ memories: z.array(WriteSchema).min(1).max(100) }).strict();

/** Filters shared by search and list. */
const filterFields = {
  agent: agentName.optional(),
  product: label.optional(),
  kind: storableText(1, 64).optional(),
  tags: TagsSchema.optional(),
  /** recordedAt bounds. */
  since: instant.optional(),
  until: instant.optional(),
  /** What was valid at this time (default: now); history included with `includeSuperseded`. */
  asOf: instant.optional(),
  includeSuperseded: z.boolean().default(false),
};

export const SearchSchema = z
  .object({
    query: storableText(1, 4000),
    k: z.number().int().min(1).max(100).default(10),
    ...filterFields,
    /** Hybrid (default) fuses vector and full-text ranks; either alone on request. */
    mode: z.enum(['hybrid', 'vector', 'text']).default('hybrid'),
    /** Recency weighting: a hit's fused score is multiplied by 0.5^(age / half-life). */
    recencyHalfLifeDays: z.number().min(0.01).max(36_500).optional(),
  })
  .strict();
export type SearchInput = z.output<typeof SearchSchema>;

/**
 * GET routes read their fields from the query string, where every value is a string: there
 * `true`/`false` are booleans and 5 to 16 digits are epoch milliseconds (4 digits stay an ISO year).
 */
const fromQuery = (v: unknown) => (v === 'true' ? true : v === 'false' ? false : typeof v === 'string' && /^\d{5,16}$/.test(v) ? Number(v) : v);
const queryInstant = z.preprocess(fromQuery, instant);
const queryFilterFields = {
  ...filterFields,
  since: queryInstant.optional(),
  until: queryInstant.optional(),
  asOf: queryInstant.optional(),
  includeSuperseded: z.preprocess(fromQuery, z.boolean()).default(false),
};

export const ListSchema = z
  .object({
    ...queryFilterFields,
    q: storableText(0, 200).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    cursor: storableText(0, 64).optional(),
  })
  .strict();
export type ListInput = z.output<typeof ListSchema>;
export type MemoryFilter = Omit<ListInput, 'q' | 'limit' | 'cursor'>;

export const GetSchema = z.object({ id: memoryId }).strict();

export const UpdateSchema = z
  .object({
    id: memoryId,
    /** New text: a new version superseding this one (the old text stays as history). */
    text: storableText(1, MAX_TEXT).optional(),
    kind: storableText(1, 64).optional(),
    tags: TagsSchema.optional(),
    pinned: z.boolean().optional(),
  })
  .strict()
  .refine((u) => u.text !== undefined || u.kind !== undefined || u.tags !== undefined || u.pinned !== undefined, 'nothing to update: give text, kind, tags or pinned');
export type UpdateInput = z.output<typeof UpdateSchema>;

/** `{ids}`, or `{id}` (DELETE /v1/memories/:id). */
export const DeleteSchema = z.preprocess(
  (v) => (typeof v === 'object' && v !== null && 'id' in v && !('ids' in v) ? (({ id, ...rest }) => ({ ...rest, ids: [id] }))(v as { id: unknown }) : v),
  z.object({ ids: z.array(memoryId).min(1).max(1000), reason: storableText(0, 500).optional() }).strict(),
);

export const EntityGetSchema = z
  .object({
    name: label,
    type: storableText(1, 64).optional(),
    depth: z.coerce.number().int().min(0).max(4).default(1),
    asOf: queryInstant.optional(),
  })
  .strict();
export type EntityGetInput = z.output<typeof EntityGetSchema>;

export const EntityMergeSchema = z.object({ keep: storableText(1, 64), merge: storableText(1, 64) }).strict();
export const EntityUnmergeSchema = z.object({ mergeId: storableText(1, 64) }).strict();

export const ReembedSchema = z.object({ model: storableText(1, 256), limit: z.number().int().min(1).max(1000).default(64) }).strict();

// ─── views ─────────────────────────────────────────────────────────────────────────────────

export interface Memory {
  id: string;
  agent: string;
  product: string | null;
  kind: string;
  text: string;
  tags: Record<string, string>;
  pinned: boolean;
  key: string | null;
  /** The embedding's model and dimension; null while not embedded. */
  model: string | null;
  dims: number | null;
  recordedAt: number;
  validFrom: number;
  validUntil: number | null;
  supersedes: string | null;
  supersededBy: string | null;
  /** A near-duplicate found at write (similarity over the threshold), linked rather than merged. */
  duplicateOf: string | null;
  accessedAt: number;
  accessCount: number;
  entities: Array<{ id: string; name: string; type: string }>;
}

export type Why = 'vector' | 'text' | 'both';

export interface SearchHit {
  memory: Memory;
  /** The fused score (reciprocal rank fusion, times the recency weight when asked). */
  score: number;
  why: Why;
  vectorScore?: number;
  vectorRank?: number;
  textScore?: number;
  textRank?: number;
}

export interface Entity {
  id: string;
  name: string;
  type: string;
  createdAt: number;
  /** Names folded into this one by merges. */
  aliases: string[];
}

export interface Relation {
  id: string;
  from: string;
  rel: string;
  to: string;
  memoryId: string | null;
  recordedAt: number;
  validFrom: number;
  validUntil: number | null;
  supersededBy: string | null;
}

export interface Neighbour {
  entity: Entity;
  /** The relation that reached it, from the side nearer the start. */
  relation: Relation;
  direction: 'out' | 'in';
  hops: number;
}

export interface EntityMerge {
  id: string;
  kept: string;
  merged: string;
  at: number;
  reason: 'name' | 'embedding' | 'operator';
  similarity: number | null;
  undoneAt: number | null;
  /** The two entities' names and types, in the merges list (the ids alone mean nothing to a person). */
  keptEntity?: { name: string; type: string };
  mergedEntity?: { name: string; type: string };
}
