/**
 * The MemoryStore conformance suite: every operation of plugins/memory/host/store.ts, asserted
 * the same way for every backend (a real SQLite file with sqlite-vec, a real PostgreSQL), with
 * unit vectors in 8 dimensions built here. Test-only code.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newId } from '../../plugins/memory/host/rows.js';
import { ListSchema, WriteSchema, type Memory } from '../../plugins/memory/host/schemas.js';
import type { DuplicatePolicy, MemoryStore, NewMemory, WriteOutcome } from '../../plugins/memory/host/store.js';
import type { PluginDatabase } from '../../sdk/index.js';
import { refused } from '../harness/refusal.js';

export interface MemoryStoreFixture {
  /** A store on empty tables, and the database under it (to look at what delete leaves). */
  fresh(): Promise<{ store: MemoryStore; db: PluginDatabase }>;
  /** The store opened again on the current database (as a host starting after `reef migrate`). */
  reopen(): Promise<MemoryStore>;
  close(): Promise<void>;
}

export const T0 = Date.parse('2030-01-01T00:00:00Z');
const MIN = 60_000;
const DAY = 86_400_000;
const M = 'embed-a';
const DIMS = 8;

/** The unit vector along axis i, turned towards axis j by `t` radians. */
export function vec(i: number, j = (i + 1) % DIMS, t = 0): number[] {
  const v = new Array<number>(DIMS).fill(0);
  v[i] = Math.cos(t);
  v[j] = (v[j] as number) + Math.sin(t);
  return v;
}

const OFF: DuplicatePolicy = { mode: 'off', threshold: 0.95 };

export interface WriteOptions {
  now?: number;
  vector?: number[];
  model?: string;
  duplicates?: DuplicatePolicy;
  entityEmbeddings?: Map<string, number[]>;
  entityThreshold?: number;
}

export function newMemory(body: Record<string, unknown>, o: WriteOptions = {}): NewMemory {
  const now = o.now ?? T0;
  const input = WriteSchema.parse({ agent: 'forge', text: 'something', ...body });
  return {
    id: newId('me', now),
    input,
    now,
    ...(o.vector && { embedding: { model: o.model ?? M, vector: o.vector } }),
    ...(o.entityEmbeddings && { entityEmbeddings: o.entityEmbeddings }),
    duplicates: o.duplicates ?? OFF,
    entityThreshold: o.entityThreshold ?? 0.9,
    actor: `agent:${input.agent}`,
  };
}

/** `path`: the vector path the backend must run (SQLite: the in-memory index, or vec0 when asked for). */
export function memoryStoreConformance(name: string, makeFixture: () => Promise<MemoryStoreFixture>, path?: MemoryStore['vectorPath']): void {
  describe(`MemoryStore conformance: ${name}`, () => {
    let fixture: MemoryStoreFixture;
    let store: MemoryStore;
    let db: PluginDatabase;
    beforeAll(async () => {
      fixture = await makeFixture();
    });
    afterAll(async () => fixture?.close());
    beforeEach(async () => {
      ({ store, db } = await fixture.fresh());
    });

    const write = async (body: Record<string, unknown>, o: WriteOptions = {}): Promise<WriteOutcome> => {
      const [out] = await store.write([newMemory(body, o)]);
      return out as WriteOutcome;
    };
    const put = async (body: Record<string, unknown>, o: WriteOptions = {}): Promise<Memory> => (await write(body, o)).memory;
    const filter = (f: Record<string, unknown> = {}) => {
      const { q: _q, limit: _l, cursor: _c, ...rest } = ListSchema.parse(f);
      return rest;
    };
    const ids = (xs: Array<{ id: string }>) => xs.map((x) => x.id);

    it('says which vector path runs', () => {
      console.log(`MemoryStore ${name}: vector search by ${store.vectorPath}`);
      expect(['usearch-i8', 'sqlite-vec', 'pgvector', 'sql-exact']).toContain(store.vectorPath);
      if (path) expect(store.vectorPath).toBe(path);
    });

    it('writes memories with their defaults and reads them back, one or many', async () => {
      const a = await put({ text: 'Deploys go to fly.io', product: 'acme', kind: 'decision', tags: { env: 'prod' }, pinned: true, key: 'deploy-target' }, { vector: vec(0) });
      expect(a).toMatchObject({
        agent: 'forge', product: 'acme', kind: 'decision', text: 'Deploys go to fly.io', tags: { env: 'prod' }, pinned: true, key: 'deploy-target',
        model: M, dims: 8, recordedAt: T0, validFrom: T0, validUntil: null, supersedes: null, supersededBy: null, duplicateOf: null, accessedAt: T0, accessCount: 0, entities: [],
      });
      expect(await store.get(a.id)).toEqual(a);
      expect(await store.get('me_missing')).toBeUndefined();
      const b = await put({ text: 'no vector' });
      expect(b).toMatchObject({ model: null, dims: null, product: null, kind: 'fact', pinned: false, key: null });
      expect(ids(await store.hydrate([b.id, 'me_missing', a.id]))).toEqual([b.id, a.id]);
    });

    it('lists newest recorded first with filters and a cursor', async () => {
      const made: Memory[] = [];
      for (let i = 0; i < 5; i++) {
        made.push(await put({ text: `Note number ${i}`, agent: i < 3 ? 'forge' : 'quill', kind: i % 2 ? 'obs' : 'fact', product: 'p', tags: { n: String(i) } }, { now: T0 + i * MIN }));
      }
      const now = T0 + DAY;
      const page1 = await store.list(ListSchema.parse({ limit: 2 }), now);
      expect(ids(page1.memories)).toEqual([made[4]?.id, made[3]?.id]);
      const page2 = await store.list(ListSchema.parse({ limit: 2, cursor: page1.nextCursor }), now);
      expect(ids(page2.memories)).toEqual([made[2]?.id, made[1]?.id]);
      const page3 = await store.list(ListSchema.parse({ limit: 2, cursor: page2.nextCursor }), now);
      expect(page3).toEqual({ memories: [made[0]] });
      expect(ids((await store.list(ListSchema.parse({ agent: 'quill' }), now)).memories)).toEqual([made[4]?.id, made[3]?.id]);
      expect(ids((await store.list(ListSchema.parse({ kind: 'obs' }), now)).memories)).toEqual([made[3]?.id, made[1]?.id]);
      expect(ids((await store.list(ListSchema.parse({ tags: { n: '2' } }), now)).memories)).toEqual([made[2]?.id]);
      expect(ids((await store.list(ListSchema.parse({ since: T0 + MIN, until: T0 + 2 * MIN }), now)).memories)).toEqual([made[2]?.id, made[1]?.id]);
      expect(ids((await store.list(ListSchema.parse({ q: 'NUMBER 3' }), now)).memories)).toEqual([made[3]?.id]);
      expect((await store.list(ListSchema.parse({ q: '%' }), now)).memories).toEqual([]);
      expect((await refused(store.list(ListSchema.parse({ cursor: 'nonsense' }), now))).code).toBe('invalid_request');
    });

    it('supersedes by key (same agent and product) and by id, keeping the history', async () => {
      const v1 = await put({ text: 'Timezone is UTC', key: 'user.tz' }, { now: T0 });
      const other = await put({ text: 'Timezone is CET', key: 'user.tz', product: 'acme' }, { now: T0 + 1 });
      const quill = await put({ text: 'Timezone is PST', key: 'user.tz', agent: 'quill' }, { now: T0 + 2 });
      const v2 = await write({ text: 'Timezone is Europe/Berlin', key: 'user.tz' }, { now: T0 + MIN });
      expect(v2.superseded).toEqual([v1.id]);
      expect(v2.memory.supersedes).toBe(v1.id);
      expect(await store.get(v1.id)).toMatchObject({ validUntil: T0 + MIN, supersededBy: v2.memory.id });
      // Another product's and another agent's fact with the same key stand.
      expect((await store.get(other.id))?.supersededBy).toBeNull();
      expect((await store.get(quill.id))?.supersededBy).toBeNull();

      const v3 = await write({ text: 'Timezone is Asia/Tokyo', supersedes: v2.memory.id, validFrom: T0 + 2 * MIN }, { now: T0 + 3 * MIN });
      expect(v3.superseded).toEqual([v2.memory.id]);
      expect(await store.get(v2.memory.id)).toMatchObject({ validUntil: T0 + 2 * MIN, supersededBy: v3.memory.id });
      expect(ids(await store.history(v2.memory.id))).toEqual([v1.id, v2.memory.id, v3.memory.id]);
      expect(ids(await store.history(v1.id))).toEqual([v1.id, v2.memory.id, v3.memory.id]);
      expect(await store.history('me_missing')).toEqual([]);

      expect((await refused(store.write([newMemory({ text: 'x', supersedes: quill.id })]))).code).toBe('invalid_request');
      expect((await refused(store.write([newMemory({ text: 'x', supersedes: v1.id })]))).code).toBe('conflict');
      expect((await refused(store.write([newMemory({ text: 'x', supersedes: 'me_nope' })]))).code).toBe('not_found');

      // Valid now, at a point in time, or every version.
      const now = T0 + DAY;
      const current = (f: Record<string, unknown>) => store.list(ListSchema.parse({ agent: 'forge', product: undefined, ...f }), now).then((r) => ids(r.memories));
      expect(await current({})).toEqual([v3.memory.id, other.id]);
      expect(await current({ asOf: T0 + 30_000 })).toEqual([other.id, v1.id]);
      expect(await current({ asOf: T0 + MIN + 1 })).toEqual([v2.memory.id, other.id]);
      expect((await current({ includeSuperseded: true })).sort()).toEqual([v1.id, other.id, v2.memory.id, v3.memory.id].sort());
    });

    it('searches vectors among one model only, with filters, valid now or at a time', async () => {
      const a = await put({ text: 'alpha', product: 'acme', tags: { team: 'red' } }, { vector: vec(0), now: T0 });
      const b = await put({ text: 'beta', kind: 'obs' }, { vector: vec(0, 1, 0.3), now: T0 + MIN });
      const c = await put({ text: 'gamma', agent: 'quill' }, { vector: vec(0, 1, 0.6), now: T0 + 2 * MIN });
      const otherModel = await put({ text: 'delta' }, { vector: vec(0), model: 'embed-b', now: T0 });
      const otherDims = await put({ text: 'epsilon' }, { vector: [1, 0, 0, 0], now: T0 });
      const now = T0 + DAY;
      const search = (f: Record<string, unknown> = {}, model = M, vector = vec(0), k = 10) => store.vectorSearch({ model, vector, k, filter: filter(f), now });

      const all = await search();
      expect(ids(all)).toEqual([a.id, b.id, c.id]);
      expect(all[0]?.similarity).toBeCloseTo(1, 5);
      expect(all[1]?.similarity).toBeCloseTo(Math.cos(0.3), 4);
      expect(ids(await search({}, M, vec(0), 2))).toEqual([a.id, b.id]);
      // Model X never answers with model Y's rows (nor another dimension's).
      expect(ids(await search({}, 'embed-b'))).toEqual([otherModel.id]);
      expect(ids(await search({}, M, [1, 0, 0, 0]))).toEqual([otherDims.id]);
      expect(await search({}, 'embed-none')).toEqual([]);

      expect(ids(await search({ agent: 'quill' }))).toEqual([c.id]);
      expect(ids(await search({ product: 'acme' }))).toEqual([a.id]);
      expect(ids(await search({ kind: 'obs' }))).toEqual([b.id]);
      expect(ids(await search({ tags: { team: 'red' } }))).toEqual([a.id]);
      expect(ids(await search({ tags: { team: 'blue' } }))).toEqual([]);
      expect(ids(await search({ since: T0 + MIN }))).toEqual([b.id, c.id]);
      expect(ids(await search({ until: T0 + MIN }))).toEqual([a.id, b.id]);

      const a2 = await put({ text: 'alpha two', supersedes: a.id }, { vector: vec(0, 1, 0.1), now: T0 + 10 * MIN });
      expect(ids(await search())).toEqual([a2.id, b.id, c.id]);
      expect(ids(await search({ asOf: T0 + 5 * MIN }))).toEqual([a.id, b.id, c.id]);
      expect(ids(await search({ includeSuperseded: true }))).toEqual([a.id, a2.id, b.id, c.id]);

      expect(await store.models(filter({}), now)).toEqual(
        expect.arrayContaining([
          { model: M, dims: 8, count: 3 },
          { model: 'embed-b', dims: 8, count: 1 },
          { model: M, dims: 4, count: 1 },
        ]),
      );
      expect(await store.models(filter({ agent: 'quill' }), now)).toEqual([{ model: M, dims: 8, count: 1 }]);
    });

    it('finds the filtered nearest even when many closer rows are filtered out', async () => {
      const crowd = Array.from({ length: 150 }, (_, i) => newMemory({ text: `crowd ${i}`, agent: 'crowd' }, { vector: vec(0, 1, 0.001 * i) }));
      await store.write(crowd);
      const far = await put({ text: 'far away', agent: 'loner' }, { vector: vec(5) });
      const hits = await store.vectorSearch({ model: M, vector: vec(0), k: 3, filter: filter({ agent: 'loner' }), now: T0 + 1 });
      expect(ids(hits)).toEqual([far.id]);
      expect(hits[0]?.similarity).toBeCloseTo(0, 5);
    });

    it('searches text, with the same filters, best first', async () => {
      const a = await put({ text: 'The deploy target is fly.io in region ams', tags: { k: 'v' } });
      const b = await put({ text: 'Deploying requires the staging key', agent: 'quill' });
      await put({ text: 'Lunch is at noon' });
      const now = T0 + 1;
      const search = (query: string, f: Record<string, unknown> = {}) => store.textSearch({ query, k: 10, filter: filter(f), now });
      expect(ids(await search('deploy target')).slice(0, 1)).toEqual([a.id]);
      expect(ids(await search('deploy')).sort()).toEqual([a.id, b.id].sort());
      expect(ids(await search('deploy', { agent: 'quill' }))).toEqual([b.id]);
      expect(ids(await search('deploy', { tags: { k: 'v' } }))).toEqual([a.id]);
      expect(await search('zebra')).toEqual([]);
      // Operators and quotes in the query are words, not syntax.
      expect(ids(await search('"deploy" OR (target) AND -lunch* NEAR'))).toContain(a.id);
      expect(await search('!!! ??')).toEqual([]);
      const hits = await search('deploy target');
      expect(hits[0]?.score).toBeGreaterThan(hits[1]?.score ?? -Infinity);
    });

    it('links, merges or ignores near-duplicates at write', async () => {
      const link: DuplicatePolicy = { mode: 'link', threshold: 0.95 };
      const first = await put({ text: 'The API key lives in vault', tags: { a: '1' } }, { vector: vec(0) });
      const linked = await write({ text: 'API key is in the vault' }, { vector: vec(0, 1, 0.1), duplicates: link, now: T0 + 1 });
      expect(linked.memory.duplicateOf).toBe(first.id);
      // Below the threshold, another agent's or another product's: no link.
      expect((await put({ text: 'x' }, { vector: vec(0, 1, 0.5), duplicates: link })).duplicateOf).toBeNull();
      expect((await put({ text: 'x', agent: 'quill' }, { vector: vec(0), duplicates: link })).duplicateOf).toBeNull();
      expect((await put({ text: 'x', product: 'p' }, { vector: vec(0), duplicates: link })).duplicateOf).toBeNull();
      expect((await put({ text: 'y', product: 'p' }, { vector: vec(0), duplicates: OFF })).duplicateOf).toBeNull();

      const dups = await store.duplicates(10);
      expect(dups.map((d) => [d.memory.id, d.duplicateOf.id])).toEqual([[linked.memory.id, first.id]]);
      expect(dups[0]?.similarity).toBeCloseTo(Math.cos(0.1), 4);

      const folded = newMemory({ text: 'Vault holds the API key', tags: { b: '2' }, pinned: true }, { vector: vec(0, 1, 0.05), duplicates: { mode: 'merge', threshold: 0.99 }, now: T0 + 2 });
      const [merged] = (await store.write([folded])) as [WriteOutcome];
      expect(merged.merged).toBe(true);
      expect(merged.memory.id).toBe(first.id);
      expect(merged.memory).toMatchObject({ text: 'The API key lives in vault', tags: { a: '1', b: '2' }, pinned: true });
      expect(await store.get(folded.id)).toBeUndefined();

      // The operator resolves the link: the duplicate folds into the first.
      const kept = await store.mergeMemories(first.id, linked.memory.id, 'operator:op', T0 + 3);
      expect(kept.id).toBe(first.id);
      expect(await store.get(linked.memory.id)).toBeUndefined();
      expect(await store.duplicates(10)).toEqual([]);
      expect((await store.audit(10, linked.memory.id))[0]).toMatchObject({ action: 'merge', actor: 'operator:op', detail: { into: first.id } });

      // Or keeps both: the mark goes, both stay, the audit says who decided.
      const again = await store.write([newMemory({ text: 'The API key is kept in vault' }, { vector: vec(0, 1, 0.1), duplicates: link, now: T0 + 4 })]);
      const second = (again[0] as WriteOutcome).memory;
      expect(second.duplicateOf).toBe(first.id);
      expect(await store.keepBoth(second.id, 'operator:op', T0 + 5)).toMatchObject({ id: second.id, duplicateOf: null });
      expect(await store.duplicates(10)).toEqual([]);
      expect((await store.audit(10, second.id))[0]).toMatchObject({ action: 'keep-both', actor: 'operator:op', detail: { duplicateOf: first.id } });
      expect((await refused(store.keepBoth(second.id, 'operator:op', T0 + 6))).code).toBe('conflict');
      expect((await refused(store.keepBoth('me_nope', 'operator:op', T0 + 6))).code).toBe('not_found');
    });

    it('merges entities by normalised name and type, and by embedding similarity (undoably)', async () => {
      const m1 = await put({ text: 'Alice works at Acme', entities: [{ name: 'Alice  Smith', type: 'person' }, { name: 'Acme', type: 'org' }] });
      const m2 = await put({ text: 'alice again', entities: [{ name: ' alice smith ', type: 'person' }, { name: 'Acme', type: 'place' }] });
      expect(m2.entities.find((e) => e.type === 'person')?.id).toBe(m1.entities.find((e) => e.type === 'person')?.id);
      // Same name, other type: another entity.
      expect(m2.entities.find((e) => e.type === 'place')?.id).not.toBe(m1.entities.find((e) => e.type === 'org')?.id);

      const org = m1.entities.find((e) => e.type === 'org')?.id as string;
      // New names with embeddings far from every known one of their type: new entities, nothing merged.
      const embeddings = new Map([['ACME Corp', vec(3, 4, 0.1)], ['Globex', vec(6)]]);
      const g = await write({ text: 'Globex and ACME Corp', entities: [{ name: 'Globex', type: 'org' }, { name: 'ACME Corp', type: 'org' }] }, { vector: vec(7), entityEmbeddings: embeddings });
      expect(g.entityMerges).toEqual([]);
      const close = new Map([['Acme Corporation', vec(3, 4, 0.2)]]);
      const h = await write({ text: 'Acme Corporation hires', entities: [{ name: 'Acme Corporation', type: 'org' }] }, { vector: vec(7), entityEmbeddings: close, entityThreshold: 0.9 });
      expect(h.entityMerges).toHaveLength(1);
      const merge = h.entityMerges[0];
      const acmeCorp = g.memory.entities.find((e) => e.name === 'ACME Corp')?.id as string;
      expect(merge).toMatchObject({ kept: acmeCorp, reason: 'embedding', undoneAt: null });
      expect(merge?.similarity).toBeCloseTo(Math.cos(0.1), 4);
      expect(h.memory.entities.map((e) => e.id)).toEqual([acmeCorp]);
      const viewed = await store.entity({ name: 'acme corporation', depth: 1 }, T0 + 1);
      expect(viewed?.entity).toMatchObject({ id: acmeCorp, name: 'ACME Corp', aliases: ['Acme Corporation'] });
      expect((await store.merges(10)).map((x) => x.id)).toEqual([merge?.id]);
      // The list names both sides (the record holds ids).
      expect((await store.merges(10))[0]).toMatchObject({ keptEntity: { name: 'ACME Corp', type: 'org' }, mergedEntity: { name: 'Acme Corporation', type: 'org' } });

      const undone = await store.unmergeEntities(merge?.id as string, T0 + 5);
      expect(undone.undoneAt).toBe(T0 + 5);
      expect((await store.get(h.memory.id))?.entities.map((e) => e.name)).toEqual(['Acme Corporation']);
      expect((await store.entity({ name: 'acme corporation', depth: 1 }, T0 + 6))?.entity.aliases).toEqual([]);
      expect((await refused(store.unmergeEntities(merge?.id as string, T0 + 6))).code).toBe('conflict');
      expect((await refused(store.unmergeEntities('em_nope', T0 + 6))).code).toBe('not_found');

      // An operator merge moves relations and links; the undo puts back exactly what moved.
      const r = await put({ text: 'Bob at Acme', relations: [{ from: 'Bob', fromType: 'person', rel: 'works_at', to: 'Acme', toType: 'org' }], entities: [{ name: 'Acme', type: 'org' }] });
      const globex = g.memory.entities.find((e) => e.name === 'Globex')?.id as string;
      const both = await put({ text: 'Acme and Globex', entities: [{ name: 'Acme', type: 'org' }, { name: 'Globex', type: 'org' }] });
      const om = await store.mergeEntities(globex, org, T0 + 10, 'operator', null);
      expect(om).toMatchObject({ kept: globex, merged: org, reason: 'operator', similarity: null });
      expect((await store.get(r.id))?.entities.map((e) => e.id).sort()).toEqual([globex, r.entities.find((e) => e.name === 'Bob')?.id].sort());
      expect((await store.get(both.id))?.entities.map((e) => e.id)).toEqual([globex]);
      expect((await store.entity({ name: 'Bob', depth: 1 }, T0 + 11))?.neighbours.map((n) => n.entity.id)).toEqual([globex]);
      expect((await refused(store.mergeEntities(globex, org, T0 + 11, 'operator', null))).code).toBe('conflict');
      await store.unmergeEntities(om.id, T0 + 12);
      expect((await store.get(both.id))?.entities.map((e) => e.id).sort()).toEqual([org, globex].sort());
      expect((await store.get(r.id))?.entities.map((e) => e.id)).toContain(org);
      expect((await store.entity({ name: 'Bob', depth: 1 }, T0 + 13))?.neighbours.map((n) => n.entity.id)).toEqual([org]);
      expect(await store.entity({ name: 'nobody', depth: 1 }, T0)).toBeUndefined();
    });

    it('keeps relations typed, supersedes exclusive ones, and walks neighbours 1 and 2 hops (or at a time)', async () => {
      const rel = (from: string, r: string, to: string, exclusive = false) => ({ from, rel: r, to, exclusive });
      await put({ text: 'a', relations: [rel('Alice', 'works_at', 'Acme', true), rel('Alice', 'knows', 'Bob'), rel('Bob', 'lives_in', 'Paris')] }, { now: T0 });
      await put({ text: 'b', relations: [rel('Paris', 'in', 'France'), rel('Carol', 'knows', 'Alice')] }, { now: T0 + 1 });
      const d1 = await store.entity({ name: 'alice', depth: 1 }, T0 + 2);
      expect(d1?.neighbours.map((n) => [n.entity.name, n.relation.rel, n.direction, n.hops]).sort()).toEqual([
        ['Acme', 'works_at', 'out', 1],
        ['Bob', 'knows', 'out', 1],
        ['Carol', 'knows', 'in', 1],
      ]);
      const d2 = await store.entity({ name: 'Alice', depth: 2 }, T0 + 2);
      expect(d2?.neighbours.map((n) => [n.entity.name, n.hops]).sort()).toEqual([['Acme', 1], ['Bob', 1], ['Carol', 1], ['Paris', 2]]);
      expect(d2?.relations).toHaveLength(4);
      expect((await store.entity({ name: 'Alice', depth: 3 }, T0 + 2))?.neighbours.map((n) => n.entity.name)).toContain('France');
      expect((await store.entity({ name: 'Alice', depth: 0 }, T0 + 2))?.neighbours).toEqual([]);

      // An exclusive relation with another object supersedes the earlier one.
      await put({ text: 'moved', relations: [rel('Alice', 'works_at', 'Globex', true), rel('Alice', 'knows', 'Dan')] }, { now: T0 + DAY });
      const after = await store.entity({ name: 'Alice', depth: 1 }, T0 + DAY + 1);
      expect(after?.neighbours.map((n) => n.entity.name).sort()).toEqual(['Bob', 'Carol', 'Dan', 'Globex']);
      const was = await store.entity({ name: 'Alice', depth: 1, asOf: T0 + 5 }, T0 + DAY + 1);
      expect(was?.neighbours.map((n) => n.entity.name).sort()).toEqual(['Acme', 'Bob', 'Carol']);
      const old = was?.relations.find((r) => r.rel === 'works_at');
      expect(old).toMatchObject({ validUntil: T0 + DAY, validFrom: T0 });
      expect(old?.supersededBy).toBe(after?.relations.find((r) => r.rel === 'works_at')?.id);
      expect((await store.stats(T0 + DAY + 1, 7)).relations).toBe(6);
    });

    it('deletes for real: text, vectors, full-text entries and links gone; the audit keeps no text', async () => {
      const secret = 'the password is hunter2 zebrafish';
      const m = await put({ text: secret, tags: { s: '1' }, entities: [{ name: 'Vault', type: 'thing' }], relations: [{ from: 'Vault', rel: 'holds', to: 'Password' }] }, { vector: vec(2) });
      const keep = await put({ text: 'harmless' }, { vector: vec(2, 3, 0.2) });
      expect(ids(await store.textSearch({ query: 'zebrafish', k: 5, filter: filter(), now: T0 + 1 }))).toEqual([m.id]);
      expect(await store.delete([m.id, 'me_missing'], 'operator:op', 'leaked', T0 + 1)).toEqual({ deleted: [m.id] });
      expect(await store.get(m.id)).toBeUndefined();
      expect(await store.textSearch({ query: 'zebrafish', k: 5, filter: filter({ includeSuperseded: true }), now: T0 + 2 })).toEqual([]);
      expect(ids(await store.vectorSearch({ model: M, vector: vec(2), k: 5, filter: filter({ includeSuperseded: true }), now: T0 + 2 }))).toEqual([keep.id]);

      const count = async (sql: string, params: unknown[] = []) => Number((await db.query(sql, params))[0]?.n);
      expect(await count('SELECT COUNT(*) AS n FROM memories WHERE id = ?', [m.id])).toBe(0);
      expect(await count('SELECT COUNT(*) AS n FROM memory_tags WHERE memory_id = ?', [m.id])).toBe(0);
      expect(await count('SELECT COUNT(*) AS n FROM memory_links WHERE memory_id = ?', [m.id])).toBe(0);
      expect(await count('SELECT COUNT(*) AS n FROM memory_relations WHERE memory_id = ?', [m.id])).toBe(0);
      if (db.dialect === 'sqlite') {
        expect(await count("SELECT COUNT(*) AS n FROM memories_fts WHERE memories_fts MATCH 'zebrafish'")).toBe(0);
        // The in-memory index keeps no copy of the vectors on disk (and drops vec0's, should an older version have made them).
        const vec0 = await count("SELECT COUNT(*) AS n FROM sqlite_master WHERE name LIKE 'memories_vec_%'");
        if (store.vectorPath === 'usearch-i8') expect(vec0).toBe(0);
        else expect(await count('SELECT COUNT(*) AS n FROM memories_vec_8')).toBe(1);
        // The FTS index's own pages no longer hold the words (secure-delete), and vec0's chunks hold only the kept vector.
        const blocks = await db.query('SELECT block FROM memories_fts_data');
        expect(blocks.some((b) => Buffer.from(b.block as Uint8Array).toString('latin1').includes('zebrafish'))).toBe(false);
        if (store.vectorPath === 'sqlite-vec') {
          const chunks = await db.query('SELECT vectors FROM memories_vec_8_vector_chunks00');
          const floats = chunks.flatMap((c) => {
            const b = c.vectors as Buffer;
            return Array.from({ length: b.byteLength / 4 }, (_, i) => b.readFloatLE(i * 4));
          });
          expect(floats.filter((x) => x !== 0)).toHaveLength(2);
        }
      } else {
        expect(await count('SELECT COUNT(*) AS n FROM memory_vectors WHERE memory_id = ?', [m.id])).toBe(0);
        expect(await count("SELECT COUNT(*) AS n FROM memories WHERE to_tsvector('english', text) @@ to_tsquery('english', 'zebrafish')")).toBe(0);
      }
      const all = JSON.stringify(await db.query('SELECT * FROM memory_audit'));
      expect(all).not.toContain('hunter2');
      expect(all).not.toContain('zebrafish');
      expect((await store.audit(5, m.id)).map((a) => a.action)).toEqual(['delete', 'write']);
      expect((await store.audit(1, m.id))[0]).toMatchObject({ actor: 'operator:op', detail: { reason: 'leaked', agent: 'forge' } });
      expect((await store.audit(100)).length).toBeGreaterThanOrEqual(3);
    });

    it('expires by time to live (from recording or last access), by count oldest first, never pinned', async () => {
      const old = await put({ text: 'old', agent: 'scratch' }, { now: T0 });
      const oldPinned = await put({ text: 'old pinned', agent: 'scratch', pinned: true }, { now: T0 });
      const read = await put({ text: 'old but read', agent: 'scratch' }, { now: T0 });
      const fresh = await put({ text: 'fresh', agent: 'scratch' }, { now: T0 + 6 * DAY });
      const other = await put({ text: 'other agent', agent: 'forge' }, { now: T0 });
      await store.touch([read.id, read.id], T0 + 5 * DAY);
      expect(await store.get(read.id)).toMatchObject({ accessedAt: T0 + 5 * DAY, accessCount: 1 });
      await store.touch([read.id], T0 + 5 * DAY);
      expect((await store.get(read.id))?.accessCount).toBe(2);

      const now = T0 + 7 * DAY;
      const byRecorded = await store.expire([{ agent: 'scratch', ttlMs: 3 * DAY, resetOnAccess: true }], now, 'retention');
      expect(byRecorded.deleted).toEqual([old.id]);
      expect((await store.expire([{ agent: 'scratch', ttlMs: 3 * DAY }], now, 'retention')).deleted).toEqual([read.id]);
      expect(await store.get(oldPinned.id)).toBeDefined();
      expect(await store.get(other.id)).toBeDefined();

      const more = [];
      for (let i = 0; i < 3; i++) more.push(await put({ text: `k${i}`, agent: 'counted', kind: 'obs' }, { now: T0 + i }));
      await put({ text: 'pinned', agent: 'counted', kind: 'obs', pinned: true }, { now: T0 - 1 });
      expect((await store.expire([{ kind: 'obs', agent: 'counted', maxCount: 1 }], now, 'retention')).deleted.sort()).toEqual([more[0]?.id, more[1]?.id].sort());
      expect(ids((await store.list(ListSchema.parse({ agent: 'counted' }), now)).memories)).toHaveLength(2);
      expect((await store.audit(1, old.id))[0]).toMatchObject({ action: 'expire', actor: 'retention' });
      expect(await store.get(fresh.id)).toBeDefined();
    });

    it('updates tags, kind and pinned in place, and text as a new version', async () => {
      const m = await put({ text: 'v1', tags: { a: '1' }, key: 'k', entities: [{ name: 'E' }] }, { vector: vec(1) });
      const tagged = await store.update({ id: m.id, tags: { b: '2' }, pinned: true, newId: 'unused', now: T0 + 1, actor: 'operator:op' });
      expect(tagged).toMatchObject({ id: m.id, tags: { b: '2' }, pinned: true, text: 'v1' });
      expect(ids((await store.list(ListSchema.parse({ tags: { b: '2' } }), T0 + 2)).memories)).toEqual([m.id]);
      const v2 = await store.update({ id: m.id, text: 'v2', newId: newId('me', T0 + 3), embedding: { model: M, vector: vec(2) }, now: T0 + 3, actor: 'operator:op' });
      expect(v2).toMatchObject({ text: 'v2', supersedes: m.id, tags: { b: '2' }, pinned: true, key: 'k', model: M });
      expect(v2.entities.map((e) => e.name)).toEqual(['E']);
      expect(await store.get(m.id)).toMatchObject({ supersededBy: v2.id, validUntil: T0 + 3 });
      expect(ids(await store.vectorSearch({ model: M, vector: vec(2), k: 1, filter: filter(), now: T0 + 4 }))).toEqual([v2.id]);
      expect((await refused(store.update({ id: m.id, text: 'v3', newId: 'x', now: T0 + 5, actor: 'op' }))).code).toBe('conflict');
      expect((await refused(store.update({ id: 'me_nope', kind: 'x', newId: 'x', now: T0 + 5, actor: 'op' }))).code).toBe('not_found');
    });

    it('counts for the panel', async () => {
      await put({ text: 'a', entities: [{ name: 'X' }] }, { vector: vec(0), now: T0 });
      await put({ text: 'b' }, { vector: vec(0), now: T0 + DAY, duplicates: { mode: 'link', threshold: 0.9 } });
      await put({ text: 'c', agent: 'quill', product: 'p' }, { now: T0 + DAY + 5 });
      const s = await store.stats(T0 + 2 * DAY, 7);
      expect(s.byAgent).toEqual([{ agent: 'forge', count: 2 }, { agent: 'quill', count: 1 }]);
      expect(s.byProduct).toEqual(expect.arrayContaining([{ product: null, count: 2 }, { product: 'p', count: 1 }]));
      expect(s.growth).toEqual([
        { day: T0, agent: 'forge', count: 1 },
        { day: T0 + DAY, agent: 'forge', count: 1 },
        { day: T0 + DAY, agent: 'quill', count: 1 },
      ]);
      expect(s.models).toEqual(expect.arrayContaining([{ model: M, dims: 8, count: 2 }, { model: null, dims: null, count: 1 }]));
      expect(s).toMatchObject({ entities: 1, relations: 0, duplicates: 1 });
      expect((await store.stats(T0 + 2 * DAY, 1)).growth).toHaveLength(2);
      // A replaced fact counts once: its earlier version is history.
      await put({ text: 'v1', key: 'k' }, { now: T0 + 2 * DAY });
      await put({ text: 'v2', key: 'k' }, { now: T0 + 2 * DAY + 1 });
      expect((await store.stats(T0 + 2 * DAY + 2, 7)).byAgent).toEqual([{ agent: 'forge', count: 3 }, { agent: 'quill', count: 1 }]);
    });

    it('knows every embedding model stored, from its index', async () => {
      expect(await store.modelSet()).toEqual([]);
      await put({ text: 'plain' });
      expect(await store.modelSet()).toEqual([]);
      await put({ text: 'a' }, { vector: vec(0), model: 'm-b' });
      await put({ text: 'b' }, { vector: vec(1), model: 'm-b' });
      expect(await store.modelSet()).toEqual([{ model: 'm-b', dims: 8 }]);
      await put({ text: 'c' }, { vector: vec(2), model: 'm-a' });
      expect(await store.modelSet()).toEqual([
        { model: 'm-a', dims: 8 },
        { model: 'm-b', dims: 8 },
      ]);
    });

    it('re-embeds: lists what is not yet on a model, sets embeddings, counts progress', async () => {
      const made: Memory[] = [];
      for (let i = 0; i < 3; i++) made.push(await put({ text: `t${i}` }, i === 0 ? { vector: vec(0), model: 'new' } : { vector: vec(0), model: 'old' }));
      made.push(await put({ text: 'none' }));
      expect(await store.embeddedCount('new')).toEqual({ total: 4, done: 1 });
      const sorted = made.slice(1).map((m) => m.id).sort();
      const first = await store.toReembed('new', undefined, 2);
      expect(first.map((x) => x.id)).toEqual(sorted.slice(0, 2));
      expect((await store.toReembed('new', first[1]?.id, 2)).map((x) => x.id)).toEqual(sorted.slice(2));
      for (const id of sorted) await store.setEmbedding(id, { model: 'new', vector: vec(4) }, T0 + 1);
      expect(await store.embeddedCount('new')).toEqual({ total: 4, done: 4 });
      expect(await store.toReembed('new', undefined, 10)).toEqual([]);
      expect(await store.vectorSearch({ model: 'old', vector: vec(0), k: 5, filter: filter(), now: T0 + 2 })).toEqual([]);
      expect(ids(await store.vectorSearch({ model: 'new', vector: vec(4), k: 3, filter: filter(), now: T0 + 2 })).sort()).toEqual(sorted);
      expect((await store.audit(1, sorted[0]))[0]).toMatchObject({ action: 'reembed', detail: { model: 'new', dims: 8 } });
      expect((await refused(store.setEmbedding('me_nope', { model: 'new', vector: vec(0) }, T0))).code).toBe('not_found');
      expect((await refused(store.write([newMemory({ text: 'bad' }, { vector: [0, 0, 0] })]))).code).toBe('invalid_request');
    });

    it('rebuilds the vector index from the canonical bytes when it opens (rows copied in by reef migrate)', async () => {
      const a = await put({ text: 'a' }, { vector: vec(0) });
      const b = await put({ text: 'b' }, { vector: vec(1) });
      // What `reef migrate` leaves: the rows, none of what is derived from them (the in-memory index starts empty anyway).
      if (store.vectorPath !== 'usearch-i8') await db.execute(db.dialect === 'sqlite' ? 'DELETE FROM memories_vec_8' : 'DELETE FROM memory_vectors');
      const reopened = await fixture.reopen();
      expect(ids(await reopened.vectorSearch({ model: M, vector: vec(1), k: 2, filter: filter(), now: T0 + 1 }))).toEqual([b.id, a.id]);
    });

    it('rolls a batch back whole when one write in it is refused', async () => {
      const ok = newMemory({ text: 'fine' });
      await expect(store.write([ok, newMemory({ text: 'bad', supersedes: 'me_nope' })])).rejects.toThrow();
      expect(await store.get(ok.id)).toBeUndefined();
    });
  });
}
