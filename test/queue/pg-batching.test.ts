/**
 * The PostgreSQL store's batching (batcher.ts) against a real PostgreSQL: concurrent workers'
 * claims share statements and so do their completions, yet each task is leased to one worker
 * at a time, succeeds once, and its history names the worker that held it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PostgresDatabase, numberPlaceholders } from '../../main/db/postgres.js';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { QUEUE_MIGRATIONS } from '../../plugins/queue/host/migrations.js';
import { PG_CLOCK, PostgresTaskStore, completeBatchSql } from '../../plugins/queue/host/postgres-store.js';
import { EnqueueSchema } from '../../plugins/queue/host/schemas.js';
import type { PluginDatabase } from '../../sdk/index.js';
import { postgresOrSkip, startPostgres, type RunningPostgres } from '../harness/postgres.js';
import { loopsWithNext } from '../conformance/task-store.js';

describe.runIf(postgresOrSkip('PostgreSQL batching'))('PostgreSQL claims and completions sharing statements', () => {
  let server: RunningPostgres;
  let db: PostgresDatabase;
  let pdb: PluginDatabase;
  let statements = 0;
  let lastStatement: { sql: string; params: readonly unknown[] } | undefined;
  let store: PostgresTaskStore;

  beforeAll(async () => {
    server = await startPostgres();
    db = new PostgresDatabase(server.url);
    const inner = pluginDatabase(db, 'queue');
    await inner.migrate(QUEUE_MIGRATIONS);
    // Counts the statements the store sends outside transactions (its hot path).
    pdb = { ...inner, query: (sql, params) => (statements++, (lastStatement = { sql, params: params ?? [] }), inner.query(sql, params)) } as PluginDatabase;
  });
  afterAll(async () => {
    await db?.close();
    await server?.stop();
  });
  beforeEach(async () => {
    await db.script('TRUNCATE queue_tasks, queue_task_events CASCADE');
    store = new PostgresTaskStore(pdb);
  });

  const enqueue = (n: number, queue = 'q') =>
    store.enqueueBatch(Array.from({ length: n }, (_, i) => EnqueueSchema.parse({ queue, type: 't', payload: { i } })), 'test');

  it('drains 600 tasks with 10 workers in fewer statements than transitions, each task once, history true', async () => {
    await enqueue(600);
    statements = 0;
    const byWorker = new Map<string, string>();
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (;;) {
          const [task] = await store.claim({ queues: ['q'], worker: `w${w}`, max: 1, leaseMs: 60_000 });
          if (!task) return;
          expect(byWorker.has(task.id)).toBe(false);
          byWorker.set(task.id, `w${w}`);
          const { changed, task: done } = await store.complete(task.id, task.leaseToken, { by: w });
          expect(changed).toBe(true);
          expect(done.state).toBe('succeeded');
        }
      }),
    );
    expect(byWorker.size).toBe(600);
    // 1,200 transitions (600 claims, 600 completions); one statement each would be 1,200.
    console.log(`[batching] ${statements} statements for 1,200 transitions`);
    expect(statements).toBeLessThan(600);
    const counts = await db.query<{ state: string; n: number }>(`SELECT state, COUNT(*)::int AS n FROM queue_tasks GROUP BY state`);
    expect(counts).toEqual([{ state: 'succeeded', n: 600 }]);
    const events = await db.query<{ task_id: string; states: string; workers: string }>(
      `SELECT task_id, string_agg(state, ',' ORDER BY id) AS states, string_agg(COALESCE(worker, '-'), ',' ORDER BY id) AS workers
       FROM queue_task_events GROUP BY task_id`,
    );
    expect(events).toHaveLength(600);
    for (const e of events) {
      expect(e.states).toBe('ready,leased,succeeded');
      const w = byWorker.get(e.task_id);
      expect(e.workers).toBe(`-,${w},${w}`);
    }
  });

  it('drains 600 tasks with complete-and-claim in one statement per batch of workers, each task once, history true', async () => {
    await enqueue(600);
    statements = 0;
    const byWorker = await loopsWithNext(store, 10, 60_000);
    // 1,200 transitions; the plain loop's statements (two per batch) would be about 120.
    console.log(`[batching] complete-and-claim: ${statements} statements for 1,200 transitions`);
    expect(statements).toBeLessThan(100);
    expect(byWorker.size).toBe(600);
    const events = await db.query<{ task_id: string; states: string; workers: string }>(
      `SELECT task_id, string_agg(state, ',' ORDER BY id) AS states, string_agg(COALESCE(worker, '-'), ',' ORDER BY id) AS workers
       FROM queue_task_events GROUP BY task_id`,
    );
    expect(events).toHaveLength(600);
    for (const e of events) {
      const w = byWorker.get(e.task_id);
      expect([e.states, e.workers]).toEqual(['ready,leased,succeeded', `-,${w},${w}`]);
    }
  });

  it('claims nothing in the shared statement for a stale or repeated completion in the batch', async () => {
    await enqueue(10);
    const [a, b] = await store.claim({ queues: ['q'], worker: 'x', max: 2, leaseMs: 60_000 });
    if (!a || !b) throw new Error('no tasks');
    const next = { queues: ['q'], worker: 'x', max: 3, leaseMs: 60_000 };
    const [good, repeat, stale] = await Promise.allSettled([
      store.completeAndClaim(a.id, a.leaseToken, null, next),
      store.completeAndClaim(a.id, a.leaseToken, null, next),
      store.completeAndClaim(b.id, 'stale', null, next),
    ]);
    expect(stale).toMatchObject({ status: 'rejected', reason: { code: 'lease_lost' } });
    if (good.status !== 'fulfilled' || repeat.status !== 'fulfilled') throw new Error('completion refused');
    expect([good.value.changed, repeat.value.changed].sort()).toEqual([false, true]);
    // Every leased task was handed to someone: 1 (b) + 3 + 3.
    const handed = new Set([b.id, ...good.value.next.map((t) => t.id), ...repeat.value.next.map((t) => t.id)]);
    expect(handed.size).toBe(7);
    const leased = await db.query<{ id: string }>("SELECT id FROM queue_tasks WHERE state = 'leased'");
    expect(new Set(leased.map((r) => r.id))).toEqual(handed);
  });

  it('finds claimed rows by primary key even in a generic plan, with a long queue', async () => {
    await enqueue(5000);
    // Statistics as autovacuum leaves them on a live queue (a fresh table has none).
    await db.script('ANALYZE queue_tasks');
    const plans: string[] = [];
    const claims = [
      () => Promise.all(Array.from({ length: 10 }, (_, w) => store.claim({ queues: ['q'], worker: `w${w}`, max: 1, leaseMs: 60_000 }))),
      async () => {
        const [task] = await store.claim({ queues: ['q'], worker: 'c', max: 1, leaseMs: 60_000 });
        if (task) await store.completeAndClaim(task.id, task.leaseToken, null, { queues: ['q'], worker: 'c', max: 5, leaseMs: 60_000 });
      },
    ];
    for (const claim of claims) {
      await claim();
      const sent = lastStatement;
      if (!sent) throw new Error('no statement');
      // The statement as the store sent it, planned the way a prepared statement is after a few
      // runs (generic: bound values unknown), on a queue long enough for a bad plan to show.
      plans.push(
        await db.transaction(async (tx) => {
          await tx.script(`SET LOCAL plan_cache_mode = force_generic_plan`);
          await tx.script(`PREPARE probe AS ${numberPlaceholders(sent.sql)}`);
          const args = sent.params.map((v) => `'${(Array.isArray(v) ? `{${v.map((x) => (x === null ? 'NULL' : `"${String(x)}"`)).join(',')}}` : String(v)).replace(/'/g, "''")}'`);
          const rows = await tx.query(`EXPLAIN EXECUTE probe(${args.join(', ')})`);
          await tx.script('DEALLOCATE probe');
          return rows.map((r) => String(Object.values(r)[0])).join('\n');
        }),
      );
    }
    for (const plan of plans) {
      expect(plan).toContain('queue_tasks_pkey');
      expect(plan).not.toMatch(/Seq Scan on queue_tasks/);
    }
  });

  it('looks batched completions up by primary key, even after heavy churn with stale statistics', async () => {
    await enqueue(3000);
    // Churn: 2,000 tasks leased and completed leave as many dead entries in the leased-tasks index.
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let i = 0; i < 200; i++) {
          const [task] = await store.claim({ queues: ['q'], worker: `w${w}`, max: 1, leaseMs: 60_000 });
          if (task) await store.complete(task.id, task.leaseToken, null);
        }
      }),
    );
    const held = await store.claim({ queues: ['q'], worker: 'x', max: 10, leaseMs: 60_000 });
    const [plan] = await db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${completeBatchSql(PG_CLOCK)}`, [
      held.map((t) => t.id),
      held.map((t) => t.leaseToken),
      held.map(() => null),
    ]);
    const text = JSON.stringify(plan?.['QUERY PLAN']);
    expect(text).toContain('queue_tasks_pkey');
    expect(text).not.toContain('queue_tasks_leased');
  });

  it('keeps claims on different queues and lease lengths apart in one turn, and answers a repeated completion', async () => {
    await enqueue(3, 'a');
    await enqueue(3, 'b');
    const [a, b, a2] = await Promise.all([
      store.claim({ queues: ['a'], worker: 'x', max: 2, leaseMs: 10_000 }),
      store.claim({ queues: ['b'], worker: 'y', max: 5, leaseMs: 10_000 }),
      store.claim({ queues: ['a'], worker: 'z', max: 1, leaseMs: 20_000 }),
    ]);
    expect(a?.map((t) => t.queue)).toEqual(['a', 'a']);
    expect(b?.map((t) => t.queue)).toEqual(['b', 'b', 'b']);
    expect(a2?.map((t) => t.queue)).toEqual(['a']);
    expect(new Set([...(a ?? []), ...(a2 ?? [])].map((t) => t.id)).size).toBe(3);
    const t = a?.[0];
    if (!t) throw new Error('no task');
    // The same completion twice in one turn: one changes it, the other is the idempotent repeat.
    const [first, second] = await Promise.all([store.complete(t.id, t.leaseToken, 1), store.complete(t.id, t.leaseToken, 1)]);
    expect([first.changed, second.changed].sort()).toEqual([false, true]);
    expect(second.task.id).toBe(t.id);
    // A stale token in the same turn as a good completion is refused alone.
    const other = b?.[0];
    if (!other) throw new Error('no task');
    const [good, stale] = await Promise.allSettled([store.complete(other.id, other.leaseToken, null), store.complete(a2?.[0]?.id ?? '', 'wrong', null)]);
    expect(good.status).toBe('fulfilled');
    expect(stale).toMatchObject({ status: 'rejected', reason: { code: 'lease_lost' } });
  });

  it('hands a prefetching pool its hundreds of rows in one statement, each claimer its own share in claim order', async () => {
    await enqueue(1000);
    statements = 0;
    // Five claims of 100 in one turn (a pool prefetching 500): one statement leases all of them.
    const shares = await Promise.all(Array.from({ length: 5 }, (_, w) => store.claim({ queues: ['q'], worker: `p${w}`, max: 100, leaseMs: 60_000 })));
    expect(statements).toBe(1);
    const all = shares.flat();
    expect(all).toHaveLength(500);
    expect(new Set(all.map((t) => t.id)).size).toBe(500);
    shares.forEach((share, w) => {
      expect(share).toHaveLength(100);
      for (const t of share) {
        expect(t.worker).toBe(`p${w}`);
        expect(t.leaseToken.endsWith(t.id)).toBe(true);
      }
    });
    // Claim order across the pool: the 500 oldest tasks, ready first-in first-out.
    const order = all.map((t) => (t.payload as { i: number }).i).sort((x, y) => x - y);
    expect(order).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });
});
