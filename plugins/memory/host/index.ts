/**
 * Memory plugin, host side: the store on the host's database (migrations, then SQLite with
 * sqlite-vec or PostgreSQL), the embedder (setting `embedding-model`; from the local engine, or
 * `embedding-url`), the service on `reef.v1.memories.*` and `reef.v1.entities.*`, the /v1
 * routes, the retention sweep, and /metrics.
 */
import { every, prometheusFamily, ReefError, type HttpRoute, type PluginContext, type RequestHandler } from '../../../sdk/index.js';
import { BatchingEmbedder, upstreamTransport, vectorsOf, type EmbedTransport } from './embedder.js';
import { IndexedSqliteDialect } from './memory-dialect.js';
import { MEMORY_MIGRATIONS, MEMORY_TABLES } from './migrations.js';
import { retentionRules } from './retention.js';
import { MemoryService } from './service.js';
import { openMemoryStore } from './sql-memory-store.js';
import { registerMemoryTools } from './tools.js';

/** For `reef migrate`: the memory's tables (search indexes are rebuilt from them when the store opens). */
export const migrations = MEMORY_MIGRATIONS;
export const tables = MEMORY_TABLES;

function numberSetting(ctx: PluginContext, key: string, fallback: number, min: number, max: number): number {
  const raw = ctx.settings[key];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (Number.isFinite(v) && v >= min && v <= max) return v;
  ctx.log.warn(`setting memory.${key} must be a number from ${min} to ${max}: ${fallback}`, { value: raw });
  return fallback;
}

const text = (ctx: PluginContext, key: string) => (typeof ctx.settings[key] === 'string' ? (ctx.settings[key] as string).trim() : '');

export async function activate(ctx: PluginContext): Promise<void> {
  if (!ctx.db) throw new ReefError('internal', 'the memory plugin needs its database (permissions.database)');
  await ctx.db.migrate(MEMORY_MIGRATIONS);
  const store = await openMemoryStore(ctx.db);
  ctx.log.info(`memory store on ${ctx.db.dialect}: vector search by ${store.vectorPath}`);
  if (store.vectorIndexError) ctx.log.warn(store.vectorIndexError);
  // The in-memory index is built in the background, a page at a time, so the first search need not wait.
  if (store.vectorPath === 'usearch-i8') {
    const t0 = Date.now();
    store.warm().then(
      () => ctx.log.info(`memory vector index ready in ${Date.now() - t0} ms`),
      (e: unknown) => ctx.log.warn(`memory vector index not built at start (the first search builds it): ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  const model = text(ctx, 'embedding-model');
  const url = text(ctx, 'embedding-url');
  let transport: EmbedTransport | undefined;
  if (model && url) {
    try {
      const parsed = new URL(url);
      if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http(s)');
      transport = upstreamTransport(url, text(ctx, 'embedding-api-key') || undefined);
    } catch {
      ctx.log.warn('setting memory.embedding-url must be an http(s) URL: memories are kept without vectors');
    }
  } else if (model) {
    // The local engine (gpu plugin), over the bus: the same model files as /v1/embeddings.
    transport = async (m, input) => {
      const reply = await ctx.bus.request('reef.v1.inference.embeddings', { model: m, input }, { timeoutMs: 600_000 }).catch((err: unknown) => {
        // The engine reports a text past the model's context as an internal error: it is the text's fault, a 400.
        const message = err instanceof Error ? err.message : String(err);
        if (/longer than the (usable )?context|the context holds/i.test(message)) {
          throw new ReefError('invalid_request', `text: longer than the embedding model ${m}'s context; shorten it or split it into several memories`, { reason: 'too_long' });
        }
        throw err;
      });
      return vectorsOf(reply, input.length, `the local model ${m}`);
    };
  }
  const embedder = transport ? new BatchingEmbedder(model, transport, numberSetting(ctx, 'embedding-batch', 64, 1, 2048)) : undefined;
  if (!embedder) ctx.log.info('memory: no embedding-model set; memories are kept without vectors and search is full text only');

  const duplicates = text(ctx, 'duplicates') || 'link';
  const service = new MemoryService({
    store,
    ...(embedder ? { embedder } : {}),
    ...(transport ? { embedWith: transport } : {}),
    duplicates: {
      mode: duplicates === 'merge' || duplicates === 'off' ? duplicates : 'link',
      threshold: numberSetting(ctx, 'duplicate-threshold', 0.95, 0, 1),
    },
    entityThreshold: numberSetting(ctx, 'entity-threshold', 0.92, 0, 1),
    retention: retentionRules(text(ctx, 'retention'), (message) => ctx.log.warn(message)),
    publish: (subject, body) => ctx.bus.publish(subject, body),
    now: () => ctx.now(),
  });

  const subjects: Array<[string, RequestHandler]> = [
    ['reef.v1.memories.write', service.write],
    ['reef.v1.memories.writeMany', service.writeMany],
    ['reef.v1.memories.search', service.search],
    ['reef.v1.memories.list', service.list],
    ['reef.v1.memories.get', service.get],
    ['reef.v1.memories.update', service.update],
    ['reef.v1.memories.delete', service.delete],
    ['reef.v1.memories.duplicates', service.duplicates],
    ['reef.v1.memories.merge', service.mergeMemories],
    ['reef.v1.memories.keepBoth', service.keepBoth],
    ['reef.v1.memories.stats', service.stats],
    ['reef.v1.memories.audit', service.audit],
    ['reef.v1.memories.reembed', service.reembed],
    ['reef.v1.entities.get', service.entity],
    ['reef.v1.entities.merge', service.mergeEntities],
    ['reef.v1.entities.unmerge', service.unmergeEntities],
    ['reef.v1.entities.merges', service.merges],
  ];
  for (const [subject, handler] of subjects) await ctx.bus.serve(subject, handler, { queue: 'reef.memory' });
  const both = ['operator', 'agent'] as const;
  const operator = ['operator'] as const;
  // A write or search may wait for an embedding (a model load, the first time).
  const embedding = 120_000;
  const routes: HttpRoute[] = [
    { method: 'POST', path: '/v1/memories', subject: 'reef.v1.memories.write', scopes: both, timeoutMs: embedding },
    { method: 'POST', path: '/v1/memories/batch', subject: 'reef.v1.memories.writeMany', scopes: both, timeoutMs: embedding },
    { method: 'POST', path: '/v1/memories/search', subject: 'reef.v1.memories.search', scopes: both, timeoutMs: embedding },
    { method: 'GET', path: '/v1/memories', subject: 'reef.v1.memories.list', scopes: both, query: true },
    { method: 'GET', path: '/v1/memories/duplicates', subject: 'reef.v1.memories.duplicates', scopes: operator },
    { method: 'GET', path: '/v1/memories/stats', subject: 'reef.v1.memories.stats', scopes: operator, query: true },
    { method: 'GET', path: '/v1/memories/audit', subject: 'reef.v1.memories.audit', scopes: operator, query: true },
    { method: 'POST', path: '/v1/memories/merge', subject: 'reef.v1.memories.merge', scopes: operator },
    { method: 'POST', path: '/v1/memories/:id/keep-both', subject: 'reef.v1.memories.keepBoth', scopes: operator },
    { method: 'POST', path: '/v1/memories/reembed', subject: 'reef.v1.memories.reembed', scopes: operator, timeoutMs: 600_000 },
    { method: 'POST', path: '/v1/memories/delete', subject: 'reef.v1.memories.delete', scopes: both },
    { method: 'GET', path: '/v1/memories/:id', subject: 'reef.v1.memories.get', scopes: both },
    { method: 'PUT', path: '/v1/memories/:id', subject: 'reef.v1.memories.update', scopes: both, timeoutMs: embedding },
    { method: 'DELETE', path: '/v1/memories/:id', subject: 'reef.v1.memories.delete', scopes: both },
    { method: 'GET', path: '/v1/entities/merges', subject: 'reef.v1.entities.merges', scopes: operator },
    { method: 'POST', path: '/v1/entities/merge', subject: 'reef.v1.entities.merge', scopes: operator },
    { method: 'POST', path: '/v1/entities/unmerge', subject: 'reef.v1.entities.unmerge', scopes: operator },
    { method: 'GET', path: '/v1/entities/:name', subject: 'reef.v1.entities.get', scopes: both, query: true },
  ];
  for (const route of routes) ctx.http.route(route);
  registerMemoryTools(ctx);

  every(ctx, 60_000, 'the memory retention sweep', () => service.sweep());

  const index = store.dialect instanceof IndexedSqliteDialect ? store.dialect : undefined;
  ctx.metrics.collect(async () => {
    const s = await store.stats(ctx.now(), 1);
    return [
      prometheusFamily('reef_memory_memories', 'gauge', 'Memories valid now, by agent', s.byAgent.map((a) => ({ labels: { agent: a.agent }, value: a.count }))),
      prometheusFamily('reef_memory_entities', 'gauge', 'Entities in the graph', [{ value: s.entities }]),
      prometheusFamily('reef_memory_relations', 'gauge', 'Relations in the graph', [{ value: s.relations }]),
      prometheusFamily('reef_memory_duplicates', 'gauge', 'Near-duplicate pairs waiting for review', [{ value: s.duplicates }]),
      ...(embedder ? [prometheusFamily('reef_memory_embedding_calls_total', 'counter', 'Calls to the embedding model (each a batch)', [{ value: embedder.calls }]), prometheusFamily('reef_memory_embedded_texts_total', 'counter', 'Texts embedded', [{ value: embedder.texts }])] : []),
      ...(index
        ? [
            prometheusFamily('reef_memory_vector_index_vectors', 'gauge', 'Vectors in the in-memory int8 index (SQLite)', [{ value: index.indexed }]),
            prometheusFamily('reef_memory_vector_index_bytes', 'gauge', 'Memory the in-memory vector index holds (SQLite)', [{ value: index.indexBytes }]),
          ]
        : []),
    ].join('\n');
  });
}
