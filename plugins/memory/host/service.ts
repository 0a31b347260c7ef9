/**
 * The memory operations on the bus (`reef.v1.memories.*`, `reef.v1.entities.*`): parses, checks
 * who may do what (an agent writes, reads and deletes only its own memories), embeds through the
 * embedder (never an LLM in a write's path), calls the store, fuses search results (fusion.ts),
 * and publishes `reef.v1.events.memory.changed`.
 */
import { randomUUID } from 'node:crypto';
import { parseBody, ReefError, requireOperator, requireSelf, type RequestInfo } from '../../../sdk/index.js';
import type { Embedder } from './embedder.js';
import { fuse, recencyWeight } from './fusion.js';
import {
  DeleteSchema,
  EntityGetSchema,
  EntityMergeSchema,
  EntityUnmergeSchema,
  GetSchema,
  ListSchema,
  SearchSchema,
  UpdateSchema,
  WriteManySchema,
  WriteSchema,
  ReembedSchema,
  type MemoryFilter,
  type SearchHit,
  type WriteInput,
} from './schemas.js';
import type { DuplicatePolicy, MemoryStore, NewMemory, RetentionRule } from './store.js';

export const CHANGED_EVENT = 'reef.v1.events.memory.changed';

export interface MemoryServiceOptions {
  store: MemoryStore;
  /** Absent: memories are kept without vectors and search is full text only. */
  embedder?: Embedder;
  /** Embeds with any model through the same source (the re-embed command names the model). */
  embedWith?: (model: string, texts: string[]) => Promise<number[][]>;
  duplicates: DuplicatePolicy;
  entityThreshold: number;
  retention: readonly RetentionRule[];
  publish: (subject: string, body: unknown) => Promise<void>;
  now: () => number;
}

const actorOf = (info: RequestInfo) => `${info.caller.kind}:${info.caller.id}`;

/** An agent reads only its own memories: its filter is its own name, whatever it asked. */
function scoped<T extends { agent?: string | undefined }>(info: RequestInfo, filter: T): T {
  if (info.caller.kind !== 'agent') return filter;
  if (filter.agent !== undefined) requireSelf(info, filter.agent, 'read the memories of');
  return { ...filter, agent: info.caller.id };
}

export class MemoryService {
  constructor(private readonly o: MemoryServiceOptions) {}

  private async owned(id: string, info: RequestInfo) {
    const memory = await this.o.store.get(id);
    if (!memory || (info.caller.kind === 'agent' && memory.agent !== info.caller.id)) throw new ReefError('not_found', `no memory ${id}`);
    return memory;
  }

  private changed(body: Record<string, unknown>): void {
    void this.o.publish(CHANGED_EVENT, body).catch(() => undefined);
  }

  /** The embeddings of the memories' texts and of the entity names they bring, in one batch. */
  private async prepare(inputs: readonly WriteInput[], info: RequestInfo): Promise<NewMemory[]> {
    const now = this.o.now();
    const embedder = this.o.embedder;
    const names = [...new Set(inputs.flatMap((w) => [...w.entities.map((e) => e.name), ...w.relations.flatMap((r) => [r.from, r.to])]))];
    let vectors: number[][] = [];
    if (embedder) vectors = await embedder.embed([...inputs.map((w) => w.text), ...names]);
    const entityEmbeddings = new Map(names.map((n, i) => [n, vectors[inputs.length + i] as number[]]));
    return inputs.map((input, i) => ({
      id: randomUUID(),
      input,
      now,
      ...(embedder ? { embedding: { model: embedder.model, vector: vectors[i] as number[] }, entityEmbeddings } : {}),
      duplicates: this.o.duplicates,
      entityThreshold: this.o.entityThreshold,
      actor: actorOf(info),
    }));
  }

  write = async (raw: unknown, info: RequestInfo) => {
    const input = parseBody(WriteSchema, raw);
    requireSelf(info, input.agent, 'write memories as');
    const [outcome] = await this.o.store.write(await this.prepare([input], info));
    this.changed({ action: 'write', ids: [outcome?.memory.id], agent: input.agent });
    return outcome;
  };

  writeMany = async (raw: unknown, info: RequestInfo) => {
    const { memories } = parseBody(WriteManySchema, raw);
    for (const m of memories) requireSelf(info, m.agent, 'write memories as');
    const outcomes = await this.o.store.write(await this.prepare(memories, info));
    this.changed({ action: 'write', ids: outcomes.map((o) => o.memory.id) });
    return { results: outcomes };
  };

  search = async (raw: unknown, info: RequestInfo): Promise<{ hits: SearchHit[]; vectorPath: string; model: string | null }> => {
    const input = scoped(info, parseBody(SearchSchema, raw));
    const now = this.o.now();
    const filter: MemoryFilter = {
      ...(input.agent !== undefined && { agent: input.agent }),
      ...(input.product !== undefined && { product: input.product }),
      ...(input.kind !== undefined && { kind: input.kind }),
      ...(input.tags !== undefined && { tags: input.tags }),
      ...(input.since !== undefined && { since: input.since }),
      ...(input.until !== undefined && { until: input.until }),
      ...(input.asOf !== undefined && { asOf: input.asOf }),
      includeSuperseded: input.includeSuperseded,
    };
    // Over-fetch each list so fusion has something to fuse.
    const depth = Math.min(200, input.k * 4);
    const embedder = this.o.embedder;
    let vector: Array<{ id: string; similarity: number }> = [];
    if (input.mode !== 'text') {
      if (!embedder) {
        if (input.mode === 'vector') throw new ReefError('unavailable', 'vector search needs an embedding model: set the memory plugin\'s embedding-model', { reason: 'no_embedder' });
      } else {
        // The full check (a count over the filtered memories) only where another model is stored at all.
        const stored = await this.o.store.modelSet();
        const models = stored.some((m) => m.model !== embedder.model) ? await this.o.store.models(filter, now) : [];
        const others = models.filter((m) => m.model !== embedder.model);
        if (others.length > 0) {
          throw new ReefError(
            'conflict',
            `these memories were embedded with ${models.map((m) => `${m.model} (${m.count})`).join(', ')}; a search embeds its query with ${embedder.model} and cannot compare vectors across models: re-embed them with \`reef memory reembed --model ${embedder.model}\`, or search with mode "text"`,
            { reason: 'mixed_models', models, searchModel: embedder.model },
          );
        }
        const [q] = await embedder.embed([input.query]);
        vector = await this.o.store.vectorSearch({ model: embedder.model, vector: q as number[], k: depth, filter, now });
      }
    }
    const text = input.mode === 'vector' ? [] : await this.o.store.textSearch({ query: input.query, k: depth, filter, now });
    let fused = fuse(vector, text);
    const memories = new Map((await this.o.store.hydrate(fused.map((f) => f.id))).map((m) => [m.id, m]));
    if (input.recencyHalfLifeDays !== undefined) {
      const half = input.recencyHalfLifeDays;
      fused = fused.map((f) => ({ ...f, score: f.score * recencyWeight(memories.get(f.id)?.recordedAt ?? now, now, half) })).sort((a, b) => b.score - a.score);
    }
    const hits = fused.slice(0, input.k).flatMap((f) => {
      const memory = memories.get(f.id);
      return memory ? [{ ...f, memory }] : [];
    });
    await this.o.store.touch(
      hits.map((h) => h.memory.id),
      now,
    );
    return { hits: hits.map(({ id: _id, ...h }) => h), vectorPath: this.o.store.vectorPath, model: embedder?.model ?? null };
  };

  list = async (raw: unknown, info: RequestInfo) => this.o.store.list(scoped(info, parseBody(ListSchema, raw)), this.o.now());

  get = async (raw: unknown, info: RequestInfo) => {
    const { id } = parseBody(GetSchema, raw);
    const memory = await this.owned(id, info);
    await this.o.store.touch([id], this.o.now());
    return { memory, history: await this.o.store.history(id) };
  };

  update = async (raw: unknown, info: RequestInfo) => {
    const input = parseBody(UpdateSchema, raw);
    await this.owned(input.id, info);
    const embedder = this.o.embedder;
    const embedding = input.text !== undefined && embedder ? { model: embedder.model, vector: (await embedder.embed([input.text]))[0] as number[] } : undefined;
    const memory = await this.o.store.update({ ...input, newId: randomUUID(), ...(embedding && { embedding }), now: this.o.now(), actor: actorOf(info) });
    this.changed({ action: 'update', ids: [input.id, memory.id] });
    return { memory };
  };

  delete = async (raw: unknown, info: RequestInfo) => {
    const { ids, reason } = parseBody(DeleteSchema, raw);
    for (const id of ids) await this.owned(id, info);
    const result = await this.o.store.delete(ids, actorOf(info), reason, this.o.now());
    this.changed({ action: 'delete', ids: result.deleted });
    return result;
  };

  entity = async (raw: unknown) => {
    const input = parseBody(EntityGetSchema, raw);
    const found = await this.o.store.entity(input, this.o.now());
    if (!found) throw new ReefError('not_found', `no entity ${input.name}${input.type ? ` of type ${input.type}` : ''}`);
    return found;
  };

  mergeEntities = async (raw: unknown, info: RequestInfo) => {
    requireOperator(info, 'merging entities');
    const { keep, merge } = parseBody(EntityMergeSchema, raw);
    return { merge: await this.o.store.mergeEntities(keep, merge, this.o.now(), 'operator', null) };
  };

  unmergeEntities = async (raw: unknown, info: RequestInfo) => {
    requireOperator(info, 'undoing an entity merge');
    const { mergeId } = parseBody(EntityUnmergeSchema, raw);
    return { merge: await this.o.store.unmergeEntities(mergeId, this.o.now()) };
  };

  merges = async (_raw: unknown, info: RequestInfo) => {
    requireOperator(info, 'reading entity merges');
    return { merges: await this.o.store.merges(200) };
  };

  duplicates = async (_raw: unknown, info: RequestInfo) => {
    requireOperator(info, 'reviewing near-duplicates');
    return { duplicates: await this.o.store.duplicates(200) };
  };

  mergeMemories = async (raw: unknown, info: RequestInfo) => {
    requireOperator(info, 'merging memories');
    const { keep, merge } = parseBody(EntityMergeSchema, raw);
    const memory = await this.o.store.mergeMemories(keep, merge, actorOf(info), this.o.now());
    this.changed({ action: 'merge', ids: [keep, merge] });
    return { memory };
  };

  keepBoth = async (raw: unknown, info: RequestInfo) => {
    requireOperator(info, 'reviewing near-duplicates');
    const { id } = parseBody(GetSchema, raw);
    const memory = await this.o.store.keepBoth(id, actorOf(info), this.o.now());
    this.changed({ action: 'keep-both', ids: [id] });
    return { memory };
  };

  stats = async (raw: unknown, info: RequestInfo) => {
    requireOperator(info, 'reading memory statistics');
    const days = Number((raw as { days?: unknown } | null)?.days ?? 30);
    if (!Number.isInteger(days) || days < 1 || days > 366) throw new ReefError('invalid_request', 'days: must be a whole number from 1 to 366');
    return this.o.store.stats(this.o.now(), days);
  };

  audit = async (raw: unknown, info: RequestInfo) => {
    requireOperator(info, 'reading the memory audit');
    const id = (raw as { id?: unknown } | null)?.id;
    if (id !== undefined && (typeof id !== 'string' || id.length > 64)) throw new ReefError('invalid_request', 'id: must be a memory id');
    return { records: await this.o.store.audit(500, id as string | undefined) };
  };

  /**
   * One step of `reef memory reembed`: the next `limit` memories not yet embedded with `model`
   * get its vectors. The state is the data itself, so a run killed midway resumes where it was.
   */
  reembed = async (raw: unknown, info: RequestInfo) => {
    requireOperator(info, 're-embedding memories');
    const { model, limit } = parseBody(ReembedSchema, raw);
    if (!this.o.embedWith) throw new ReefError('unavailable', 'no embedding source: set the memory plugin\'s embedding-model (and embedding-url for an upstream)', { reason: 'no_embedder' });
    const batch = await this.o.store.toReembed(model, undefined, limit);
    if (batch.length > 0) {
      const vectors = await this.o.embedWith(
        model,
        batch.map((b) => b.text),
      );
      const now = this.o.now();
      for (const [i, b] of batch.entries()) await this.o.store.setEmbedding(b.id, { model, vector: vectors[i] as number[] }, now);
    }
    return { ...(await this.o.store.embeddedCount(model)), processed: batch.length };
  };

  /** The retention sweep (every minute): what the rules say has expired is deleted, pinned memories kept. */
  sweep = async (): Promise<number> => {
    if (this.o.retention.length === 0) return 0;
    const { deleted } = await this.o.store.expire(this.o.retention, this.o.now(), 'host:retention');
    if (deleted.length) this.changed({ action: 'expire', ids: deleted });
    return deleted.length;
  };
}
