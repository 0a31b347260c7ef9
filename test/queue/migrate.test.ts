/**
 * `reef migrate` from SQLite to PostgreSQL: 50,000 tasks in every state, verified by row counts,
 * checksums, and the same reads on both stores; an interrupted run resumes without duplicates;
 * a non-empty target is refused without --force.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyDatabase, type CopyProgress } from '../../main/db/copy.js';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { PostgresDatabase } from '../../main/db/postgres.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import { HOST_MIGRATIONS, HOST_TABLES } from '../../main/host/host-tables.js';
import { migrations, tables } from '../../plugins/queue/host/index.js';
import { PostgresTaskStore } from '../../plugins/queue/host/postgres-store.js';
import { EnqueueSchema, ListSchema } from '../../plugins/queue/host/schemas.js';
import { SqliteTaskStore } from '../../plugins/queue/host/sqlite-store.js';
import type { TaskStore } from '../../plugins/queue/host/store.js';
import { postgresOrSkip, startPostgres, type RunningPostgres } from '../harness/postgres.js';
import { tempDir, type TempDir } from '../harness/tmp.js';

const TOTAL = 50_000;
const plans = [
  { owner: 'host', migrations: HOST_MIGRATIONS, tables: HOST_TABLES },
  { owner: 'queue', migrations, tables },
];

/** Fills a store with TOTAL tasks spread over every state, through the store's own operations. */
async function seed(store: TaskStore): Promise<void> {
  const queues = ['build', 'test', 'deploy'];
  for (let i = 0; i < TOTAL; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, TOTAL - i) }, (_, j) => {
      const n = i + j;
      return EnqueueSchema.parse({
        queue: queues[n % 3],
        type: `type${n % 5}`,
        payload: { n, text: `task ${n} ünïcødé` },
        priority: n % 7,
        tags: { product: `p${n % 4}`, agent: `a${n % 9}` },
        ...(n % 50 === 0 ? { gates: [`approval:${n}`] } : {}),
        ...(n % 50 === 1 ? { runAt: Date.now() + 86_400_000 } : {}),
        ...(n % 50 === 2 ? { idempotencyKey: `k${n}` } : {}),
      });
    });
    await store.enqueueBatch(batch, 'operator:op');
  }
  // Leased → succeeded, dead, failed (retrying), cancelled, and some left leased.
  for (let round = 0; round < 300; round++) {
    const claimed = await store.claim({ queues, worker: `w${round % 7}`, max: 100, leaseMs: 3_600_000 });
    for (const [k, t] of claimed.entries()) {
      if (k < 50) await store.complete(t.id, t.leaseToken, { ok: k });
      else if (k < 65) await store.fail(t.id, t.leaseToken, `boom ${k}`, false);
      else if (k < 80) await store.fail(t.id, t.leaseToken, `retry ${k}`, true);
      else if (k < 85) await store.cancel(t.id);
    }
  }
  await store.openGate('approval:100', 'op');
  await store.setLimit({ kind: 'queue', name: 'deploy', paused: true, maxInFlight: 5, maxDepth: null });
}

async function sameReads(a: TaskStore, b: TaskStore): Promise<void> {
  const counts = async (s: TaskStore) => (await s.counts()).sort((x, y) => `${x.queue}${x.state}`.localeCompare(`${y.queue}${y.state}`));
  expect(await counts(b)).toEqual(await counts(a));
  const states = new Set((await a.counts()).map((c) => c.state));
  expect(states).toEqual(new Set(['ready', 'scheduled', 'blocked', 'leased', 'succeeded', 'failed', 'dead', 'cancelled']));
  for (const filter of [{}, { state: ['dead'] }, { queue: 'test', 'tag.product': 'p1' }, { q: 'ünïcødé 4999' }, { state: ['blocked', 'scheduled'], limit: 500 }]) {
    const f = ListSchema.parse(filter);
    expect((await b.list(f)).tasks).toEqual((await a.list(f)).tasks);
  }
  const sample = (await a.list(ListSchema.parse({ limit: 1000 }))).tasks.filter((_, i) => i % 97 === 0);
  for (const t of sample) {
    expect(await b.get(t.id)).toEqual(await a.get(t.id));
    expect(await b.history(t.id)).toEqual(await a.history(t.id));
  }
  expect(await b.listLimits()).toEqual(await a.listLimits());
}

describe.runIf(postgresOrSkip('reef migrate: SQLite to PostgreSQL'))('reef migrate: SQLite to PostgreSQL', () => {
  let dir: TempDir;
  let server: RunningPostgres;
  let source: SqliteDatabase;
  let sourceStore: TaskStore;
  beforeAll(async () => {
    dir = tempDir('reef-migrate-');
    server = await startPostgres();
    source = new SqliteDatabase({ file: path.join(dir.path, 'reef.db') });
    const pdb = pluginDatabase(source, 'queue');
    await pdb.migrate(migrations);
    sourceStore = new SqliteTaskStore(pdb);
    await seed(sourceStore);
  }, 180_000);
  afterAll(async () => {
    await source?.close();
    await server?.stop();
    dir?.remove();
  });

  it('copies 50,000 tasks in every state, verified, with the same reads on both stores', async () => {
    const target = new PostgresDatabase(server.url);
    try {
      let advanced = 0;
      const progress: CopyProgress = { start: () => {}, advance: (n) => void (advanced += n), stop: () => {} };
      const started = Date.now();
      const reports = await copyDatabase(source, target, plans, { sourceId: 'sqlite:test', batch: 1000, force: false, progress });
      console.log(`[migrate] ${TOTAL} tasks in ${Date.now() - started} ms; ${JSON.stringify(reports.map((r) => [r.table, r.targetRows]))}`);
      expect(reports.every((r) => r.ok)).toBe(true);
      expect(reports.find((r) => r.table === 'queue_tasks')?.targetRows).toBe(TOTAL);
      expect(advanced).toBe(reports.reduce((s, r) => s + r.sourceRows, 0));
      await sameReads(sourceStore, new PostgresTaskStore(pluginDatabase(target, 'queue')));

      // Running it again changes nothing and says so.
      const again = await copyDatabase(source, target, plans, { sourceId: 'sqlite:test', batch: 1000, force: false });
      expect(again.every((r) => r.ok && r.copied === 0)).toBe(true);
      // The copied event ids continue their sequence on PostgreSQL.
      const store = new PostgresTaskStore(pluginDatabase(target, 'queue'));
      const fresh = await store.enqueue(EnqueueSchema.parse({ queue: 'after', type: 't' }), 'op');
      expect((await store.history(fresh.task.id)).map((e) => e.state)).toEqual(['ready']);
    } finally {
      await target.close();
    }
  }, 180_000);

  it('resumes a run that was stopped part-way, without duplicating a row', async () => {
    const target = new PostgresDatabase(server.url);
    await target.script('CREATE SCHEMA resume; SET search_path TO resume');
    await target.close();
    const url = `${server.url}${server.url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c search_path=resume')}`;
    const resumable = new PostgresDatabase(url);
    try {
      let batches = 0;
      const stopper: CopyProgress = {
        start: () => {},
        advance: () => {
          if (++batches === 7) throw new Error('interrupted');
        },
        stop: () => {},
      };
      await expect(copyDatabase(source, resumable, plans, { sourceId: 'sqlite:resume', batch: 1000, force: false, progress: stopper })).rejects.toThrow(
        'interrupted',
      );
      const partial = Number((await resumable.query('SELECT COUNT(*) AS n FROM queue_tasks'))[0]?.n);
      expect(partial).toBe(7000);
      const reports = await copyDatabase(source, resumable, plans, { sourceId: 'sqlite:resume', batch: 1000, force: false });
      expect(reports.every((r) => r.ok)).toBe(true);
      expect(reports.find((r) => r.table === 'queue_tasks')?.copied).toBe(TOTAL - 7000);
    } finally {
      await resumable.close();
    }
  }, 180_000);

  it('refuses a non-empty target without --force, naming the table', async () => {
    const url = `${server.url}${server.url.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c search_path=other')}`;
    const setup = new PostgresDatabase(server.url);
    await setup.script('CREATE SCHEMA other');
    await setup.close();
    const target = new PostgresDatabase(url);
    try {
      await pluginDatabase(target, 'queue').migrate(migrations);
      const store = new PostgresTaskStore(pluginDatabase(target, 'queue'));
      await store.enqueue(EnqueueSchema.parse({ queue: 'mine', type: 't' }), 'op');
      await expect(copyDatabase(source, target, plans, { sourceId: 'sqlite:elsewhere', batch: 1000, force: false })).rejects.toThrow(
        /target is not empty \(queue_tasks has 1 rows\).*--force/,
      );
      expect(Number((await target.query('SELECT COUNT(*) AS n FROM queue_tasks'))[0]?.n)).toBe(1);
    } finally {
      await target.close();
    }
  }, 60_000);
});
