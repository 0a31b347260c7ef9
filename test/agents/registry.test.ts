/** The agents registry, liveness, fleet controls (compare-and-set) and audit against a real SQLite file and a real PostgreSQL. */
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../../main/db/database.js';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { PostgresDatabase } from '../../main/db/postgres.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import { scopedKv } from '../../main/kv/kv.js';
import { SqlKeyValue } from '../../main/kv/sql-kv.js';
import { FleetControlStore } from '../../plugins/agents/host/controls.js';
import { AGENTS_MIGRATIONS } from '../../plugins/agents/host/migrations.js';
import { AgentRegistry } from '../../plugins/agents/host/registry.js';
import type { AgentView } from '../../plugins/agents/host/schemas.js';
import { AgentsService } from '../../plugins/agents/host/service.js';
import { LeaderLease, ReefError, type Caller, type KeyValue } from '../../sdk/index.js';
import { postgresOrSkip, startPostgres } from '../harness/postgres.js';
import { tempDir } from '../harness/tmp.js';

const operator: Caller = { kind: 'operator', id: 'operator' };
const info = (caller: Caller = operator) => ({ subject: 'test', caller });

interface Backend {
  db: Database;
  /** Empties the plugin's tables and the key-value store. */
  reset(): Promise<void>;
  close(): Promise<void>;
}

function agentsSuite(name: string, open: () => Promise<Backend>) {
  describe(`agents on ${name}`, () => {
    let backend: Backend;
    let kv: KeyValue;
    let clock: number;
    let published: Array<{ subject: string; body: unknown }>;
    let service: AgentsService;
    let controls: FleetControlStore;
    const now = () => clock;

    beforeAll(async () => {
      backend = await open();
      await pluginDatabase(backend.db, 'agents').migrate(AGENTS_MIGRATIONS);
      const store = new SqlKeyValue(backend.db);
      await store.init();
      kv = scopedKv(store, 'agents');
    });
    afterAll(async () => backend?.close());

    beforeEach(async () => {
      await backend.reset();
      clock = Date.UTC(2025, 5, 1, 12, 0, 0);
      published = [];
      const db = pluginDatabase(backend.db, 'agents', now);
      controls = new FleetControlStore(kv, db, now);
      service = new AgentsService({
        registry: new AgentRegistry(db, now),
        controls,
        publish: async (subject, body) => void published.push({ subject, body }),
        now,
        warn: () => undefined,
      });
    });

    const list = async (body: Record<string, unknown> = {}) => ((await service.list(body)) as { agents: AgentView[] }).agents;
    const beat = (agentId: string, body: Record<string, unknown> = {}, caller: Caller = operator) =>
      service.heartbeat({ agentId, status: 'idle', ...body }, info(caller));

    it('registers an agent on its first heartbeat, keeps firstSeenAt, and takes the newest state from each', async () => {
      await beat('forge', { status: 'busy', taskId: 't_1', model: 'qwen3-8b', product: 'acme', intervalMs: 5000, meta: { host: 'box-1' } });
      const first = clock;
      clock += 3000;
      await beat('forge', { status: 'idle', product: 'acme', intervalMs: 5000 });
      const [agent] = await list();
      expect(agent).toEqual({
        id: 'forge',
        liveness: 'online',
        lastSeenAt: new Date(clock).toISOString(),
        firstSeenAt: new Date(first).toISOString(),
        status: 'idle',
        product: 'acme',
        intervalMs: 5000,
        control: 'running',
      });
    });

    it('computes liveness when read: stale after 2 missed intervals, offline after 5', async () => {
      await beat('a', { intervalMs: 1000 });
      await beat('b', { intervalMs: 10_000 });
      const liveness = async () => Object.fromEntries((await list()).map((a) => [a.id, a.liveness]));
      clock += 2000;
      expect(await liveness()).toEqual({ a: 'online', b: 'online' });
      clock += 1;
      expect(await liveness()).toEqual({ a: 'stale', b: 'online' });
      clock += 3000;
      expect(await liveness()).toEqual({ a: 'offline', b: 'online' });
      expect((await list({ liveness: 'offline' })).map((a) => a.id)).toEqual(['a']);
      await beat('a', { intervalMs: 1000 });
      expect(await liveness()).toEqual({ a: 'online', b: 'online' });
    });

    it('filters by product and by text in the id, model, product or task', async () => {
      await beat('forge-1', { product: 'acme', model: 'qwen3-8b' });
      await beat('forge-2', { product: 'globex', taskId: 't_needle' });
      await beat('scout', { product: 'acme', model: 'llama-70b' });
      expect((await list({ product: 'acme' })).map((a) => a.id)).toEqual(['forge-1', 'scout']);
      expect((await list({ q: 'LLAMA' })).map((a) => a.id)).toEqual(['scout']);
      expect((await list({ q: 'needle' })).map((a) => a.id)).toEqual(['forge-2']);
      expect((await list({ q: 'forge', product: 'acme' })).map((a) => a.id)).toEqual(['forge-1']);
    });

    it('refuses a heartbeat an agent token sends for another agent, and bad bodies with the field named', async () => {
      await expect(beat('scout', {}, { kind: 'agent', id: 'forge' })).rejects.toMatchObject({ code: 'forbidden' });
      await beat('forge', {}, { kind: 'agent', id: 'forge' });
      const bad = await beat('forge', { status: 'sleeping', intervalMs: 10, extra: 1 }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(ReefError);
      expect((bad as ReefError).message).toMatch(/status/);
      expect((bad as ReefError).message).toMatch(/intervalMs/);
      expect((bad as ReefError).message).toMatch(/extra/);
      await expect(beat('-bad id')).rejects.toMatchObject({ code: 'invalid_request' });
      expect((await list()).map((a) => a.id)).toEqual(['forge']);
    });

    it('announces liveness changes from its 1 s tick, and a seen event at most once a second per agent', async () => {
      await service.tick();
      await beat('a', { intervalMs: 1000 });
      await beat('a', { intervalMs: 1000, status: 'busy' });
      await beat('a', { intervalMs: 1000, status: 'error' });
      const seen = () => published.filter((p) => p.subject === 'reef.v1.events.agent.seen').map((p) => (p.body as { agent: AgentView }).agent.status);
      expect(seen()).toEqual(['idle']);
      clock += 500;
      await service.tick();
      // The newest held-back state goes out with the tick, the ones in between do not.
      expect(seen()).toEqual(['idle', 'error']);
      const transitions = () => published.filter((p) => p.subject === 'reef.v1.events.agent.liveness').map((p) => (p.body as { liveness: string }).liveness);
      clock += 2000;
      await service.tick();
      expect(transitions()).toEqual(['stale']);
      clock += 3000;
      await service.tick();
      await service.tick();
      expect(transitions()).toEqual(['stale', 'offline']);
      await beat('a', { intervalMs: 1000 });
      expect(transitions()).toEqual(['stale', 'offline', 'online']);
      const status = published.filter((p) => p.subject === 'reef.v1.events.agents.status').at(-1)?.body;
      expect(status).toEqual({ text: '0 online · 1 offline', tone: 'error' });
    });

    it('lets only the leader of several hosts announce liveness and the status; another takes over when it stops', async () => {
      const db = pluginDatabase(backend.db, 'agents', now);
      const hosts = ['a', 'b'].map((name) => {
        const out: string[] = [];
        const lease = new LeaderLease(kv, 'liveness.leader', name, 5000, now);
        const svc = new AgentsService({
          registry: new AgentRegistry(db, now),
          controls: new FleetControlStore(kv, db, now),
          publish: async (subject) => void out.push(subject),
          now,
          warn: () => undefined,
          leader: lease,
        });
        return { svc, lease, out };
      });
      const [a, b] = hosts as [(typeof hosts)[0], (typeof hosts)[0]];
      const tickBoth = async () => {
        await a.svc.tick();
        await b.svc.tick();
      };
      const announced = (h: typeof a) => h.out.filter((s) => s === 'reef.v1.events.agent.liveness' || s === 'reef.v1.events.agents.status').length;
      await tickBoth();
      await a.svc.heartbeat({ agentId: 'x', status: 'idle', intervalMs: 1000 }, info());
      clock += 2500;
      await tickBoth();
      expect(announced(a)).toBeGreaterThan(0);
      expect(announced(b)).toBe(0);
      // The leader goes away (its lease runs out); the other takes over within a lease.
      const before = announced(a);
      clock += 6000;
      await b.svc.tick();
      await b.svc.heartbeat({ agentId: 'x', status: 'idle', intervalMs: 1000 }, info());
      clock += 2500;
      await b.svc.tick();
      expect(b.out).toContain('reef.v1.events.agent.liveness');
      expect(announced(a)).toBe(before);
    });

    it('keeps both of two concurrent pauses of different products (compare-and-set retries)', async () => {
      await beat('forge', { product: 'acme' });
      await beat('scout', { product: 'globex' });
      await beat('other', { product: 'initech' });
      await Promise.all([service.pause({ scope: 'product', name: 'acme' }, info()), service.pause({ scope: 'product', name: 'globex' }, info())]);
      const state = (await service.controls({})) as { pausedProducts: string[]; revision: number };
      expect(state.pausedProducts).toEqual(['acme', 'globex']);
      expect(Object.fromEntries((await list()).map((a) => [a.id, a.control]))).toEqual({ forge: 'paused', other: 'running', scout: 'paused' });
      const told = published.filter((p) => /^reef\.v1\.agents\.[^.]+\.control$/.test(p.subject)).map((p) => p.subject);
      expect(told.sort()).toEqual(['reef.v1.agents.forge.control', 'reef.v1.agents.scout.control']);
    });

    it('keeps every change when many stores race on one key', async () => {
      const db = pluginDatabase(backend.db, 'agents', now);
      let conflicts = 0;
      // Every store's first read waits for the other seven's: all start from one revision, so
      // seven of them must lose the compare-and-set and retry (unscheduled, on a loaded machine
      // the eight could run one after another and never race).
      let arrived = 0;
      let allRead: () => void = () => undefined;
      const barrier = new Promise<void>((resolve) => (allRead = resolve));
      const counting: KeyValue = {
        ...kv,
        get: async (key) => {
          const entry = await kv.get(key);
          if (arrived < 8) {
            if (++arrived === 8) allRead();
            await barrier;
          }
          return entry;
        },
        update: (key, value, revision) =>
          kv.update(key, value, revision).catch((err: unknown) => {
            if (err instanceof ReefError && err.code === 'conflict') conflicts++;
            throw err;
          }),
      };
      const stores = Array.from({ length: 8 }, () => new FleetControlStore(counting, db, now));
      await service.pause({ scope: 'agent', name: 'first' }, info());
      await Promise.all(stores.map((s, i) => s.change('pause', { scope: 'agent', name: `agent-${i}` }, { agents: [`agent-${i}`] }, 'operator:operator')));
      // The race really happened (writers lost and retried), and no change was lost to it.
      expect(conflicts).toBeGreaterThan(0);
      expect((await controls.read()).controls.pausedAgents).toEqual([...Array.from({ length: 8 }, (_, i) => `agent-${i}`), 'first']);
    });

    it('drains a product as its agents now, resumes by scope, and pause-all wins over everything', async () => {
      await beat('forge', { product: 'acme' });
      await beat('smith', { product: 'acme' });
      await beat('scout', { product: 'globex' });
      const drained = (await service.drain({ scope: 'product', name: 'acme' }, info())) as { affected: number };
      expect(drained.affected).toBe(2);
      await service.pause({ scope: 'agent', name: 'scout' }, info());
      const controlOf = async () => Object.fromEntries((await list()).map((a) => [a.id, a.control]));
      expect(await controlOf()).toEqual({ forge: 'draining', smith: 'draining', scout: 'paused' });
      await service.resume({ scope: 'agent', name: 'forge' }, info());
      expect(await controlOf()).toEqual({ forge: 'running', smith: 'draining', scout: 'paused' });
      await service.pause({ scope: 'all' }, info());
      expect(await controlOf()).toEqual({ forge: 'paused', smith: 'paused', scout: 'paused' });
      expect(published.filter((p) => p.subject === 'reef.v1.agents.all.control')).toHaveLength(1);
      await service.resume({ scope: 'all' }, info());
      expect(await controlOf()).toEqual({ forge: 'running', smith: 'running', scout: 'running' });
      await expect(service.pause({ scope: 'product' }, info())).rejects.toThrow(/name: is required/);
      await expect(service.pause({ scope: 'all', name: 'x' }, info())).rejects.toThrow(/name: must be left out/);
    });

    it('refuses controls from an agent, and writes every action to the audit log, newest first, with who and when', async () => {
      await beat('forge', { product: 'acme' });
      await expect(service.pause({ scope: 'product', name: 'acme' }, info({ kind: 'agent', id: 'forge' }))).rejects.toMatchObject({ code: 'forbidden' });
      await service.pause({ scope: 'product', name: 'acme' }, info());
      clock += 60_000;
      await service.resume({ scope: 'product', name: 'acme' }, info({ kind: 'plugin', id: 'queue' }));
      const { entries } = (await service.audit({ limit: 10 })) as unknown as { entries: Array<Record<string, unknown>> };
      expect(entries.map((e) => [e.action, e.scope, e.name, e.by, e.at, e.affected])).toEqual([
        ['resume', 'product', 'acme', 'plugin:queue', new Date(clock).toISOString(), 1],
        ['pause', 'product', 'acme', 'operator:operator', new Date(clock - 60_000).toISOString(), 1],
      ]);
      expect(entries[1]?.before).toMatchObject({ pausedProducts: [] });
      expect(entries[1]?.after).toMatchObject({ pausedProducts: ['acme'] });
      expect(((await service.audit({ limit: 1 })) as { entries: unknown[] }).entries).toHaveLength(1);
    });
  });
}

agentsSuite('SQLite', async () => {
  const dir = tempDir('reef-agents-sqlite-');
  const db = new SqliteDatabase({ file: path.join(dir.path, 'agents.db') });
  return {
    db,
    reset: async () => {
      await db.execute('DELETE FROM agents_registry');
      await db.execute('DELETE FROM agents_audit');
      await db.execute('DELETE FROM reef_kv');
    },
    close: async () => {
      await db.close();
      dir.remove();
    },
  };
});

describe.runIf(postgresOrSkip('agents: PostgreSQL'))('PostgreSQL', () => {
  agentsSuite('PostgreSQL', async () => {
    const server = await startPostgres();
    const db = new PostgresDatabase(server.url);
    return {
      db,
      reset: async () => {
        await db.script('TRUNCATE agents_registry, agents_audit, reef_kv');
      },
      close: async () => {
        await db.close();
        await server.stop();
      },
    };
  });
});
