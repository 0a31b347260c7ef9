/**
 * bench/queue: enqueue and claim+complete throughput, claim latency p50/p99 at 10/50/100
 * concurrent workers, for both stores in-process and through HTTP; graphile-worker on the same
 * PostgreSQL in the same run for the ratio; and the SQLite tier through HTTP with simulated
 * agents each claiming every 5 s, ramped until p99 passes 25 ms; and the SQLite store against a
 * minimal better-sqlite3 queue (queue-sqlite.ts).
 */
import os from 'node:os';
import path from 'node:path';
import { Logger, makeWorkerUtils, run as runGraphile, runMigrations } from 'graphile-worker';
import { pluginDatabase } from '../main/db/plugin-database.js';
import { PostgresDatabase } from '../main/db/postgres.js';
import { SqliteDatabase } from '../main/db/sqlite.js';
import { migrations } from '../plugins/queue/host/index.js';
import { PostgresTaskStore } from '../plugins/queue/host/postgres-store.js';
import { EnqueueSchema } from '../plugins/queue/host/schemas.js';
import { SqliteTaskStore } from '../plugins/queue/host/sqlite-store.js';
import type { TaskStore } from '../plugins/queue/host/store.js';
import { startPostgres } from '../test/harness/postgres.js';
import { tempDir } from '../test/harness/tmp.js';
import { startReef } from '../test/harness/reef-process.js';
import { drain, drainWithNext } from './drain.js';
import { sqliteAgainstMinimal } from './queue-sqlite.js';
import { percentile, table } from './stats.js';

const N = Number(process.env.BENCH_TASKS ?? 5000);
const CONCURRENCY = [10, 50, 100];
const PREFETCH = Number(process.env.BENCH_PREFETCH ?? 500);

interface Row extends Record<string, string | number> {
  store: string;
  via: string;
  workers: number;
  'enqueue/s': number;
  'claim+complete/s': number;
  'claim p50 ms': number;
  'claim p99 ms': number;
}

const input = (i: number) => EnqueueSchema.parse({ queue: 'bench', type: 'noop', payload: { i } });

/**
 * A prefetching worker pool, Reef's counterpart of graphile-worker's localQueue: one claim
 * leases up to `prefetch` tasks for `slots` concurrent jobs and is sent again before the local
 * queue runs dry. A slot sends its task's completion and takes the next task without waiting
 * for the acknowledgement (up to `prefetch` in flight), as graphile's workers do (they do not
 * await completeJob); `awaitCompletion` makes each slot wait for it instead, the loop of an agent
 * that must know its result was recorded. Either way a task only counts once its completion is
 * acknowledged (committed).
 */
async function drainPrefetched(
  slots: number,
  prefetch: number,
  claim: (max: number) => Promise<Array<{ id: string; leaseToken: string }>>,
  complete: (id: string, token: string) => Promise<void>,
  awaitCompletion: boolean,
): Promise<{ perSec: number }> {
  const local: Array<{ id: string; leaseToken: string }> = [];
  let exhausted = false;
  let refilling: Promise<void> | undefined;
  const refill = (): Promise<void> =>
    (refilling ??= claim(prefetch)
      .then((got) => {
        if (got.length === 0) exhausted = true;
        local.push(...got);
      })
      .finally(() => (refilling = undefined)));
  // In-flight completions are capped (at the prefetch size), like graphile's batch.
  let inFlight = 0;
  let room: { promise: Promise<void>; resolve: () => void } | undefined;
  const settled = new Set<Promise<void>>();
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: slots }, async () => {
      for (;;) {
        if (local.length < prefetch / 2 && !exhausted) void refill();
        const task = local.shift();
        if (!task) {
          if (exhausted) return;
          await refill();
          continue;
        }
        while (inFlight >= prefetch) {
          if (!room) {
            let resolve = () => {};
            room = { promise: new Promise<void>((r) => (resolve = r)), resolve };
          }
          await room.promise;
        }
        inFlight++;
        const p: Promise<void> = complete(task.id, task.leaseToken).then(() => {
          done++;
          inFlight--;
          settled.delete(p);
          room?.resolve();
          room = undefined;
        });
        settled.add(p);
        if (awaitCompletion) await p;
        else await Promise.resolve(); // the job itself: a no-op, as graphile's
      }
    }),
  );
  await Promise.all(settled);
  return { perSec: done / ((performance.now() - started) / 1000) };
}

async function storeRows(
  label: string,
  makeStore: () => Promise<{ store: TaskStore; reset(): Promise<void> }>,
  concurrency: readonly number[] = CONCURRENCY,
): Promise<Row[]> {
  const rows: Row[] = [];
  const { store, reset } = await makeStore();
  for (const workers of concurrency) {
    await reset();
    // Enqueue with the same number of concurrent producers, one task per call (what agents do).
    let next = 0;
    const e0 = performance.now();
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (next < N) await store.enqueue(input(next++), 'bench');
      }),
    );
    const enqueuePerSec = N / ((performance.now() - e0) / 1000);
    const r = await drain(
      workers,
      async () => (await store.claim({ queues: ['bench'], worker: 'w', max: 1, leaseMs: 60_000 }))[0],
      async (id, token) => void (await store.complete(id, token, null)),
    );
    rows.push({ store: label, via: 'in-process', workers, 'enqueue/s': enqueuePerSec, 'claim+complete/s': r.perSec, 'claim p50 ms': r.p50, 'claim p99 ms': r.p99 });
  }
  return rows;
}

async function httpRows(label: string, args: string[]): Promise<Row[]> {
  const host = await startReef({ args });
  const headers = { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' };
  const post = async (p: string, body: unknown) => {
    const res = await fetch(`${host.origin}${p}`, { method: 'POST', headers, body: JSON.stringify(body) });
    return (await res.json()) as { tasks?: Array<{ id: string; leaseToken: string }> };
  };
  const rows: Row[] = [];
  try {
    for (const workers of CONCURRENCY) {
      const queue = `bench${workers}`;
      let next = 0;
      const e0 = performance.now();
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (next++ < N) await post('/v1/tasks', { queue, type: 'noop', payload: { i: next } });
        }),
      );
      const enqueuePerSec = N / ((performance.now() - e0) / 1000);
      const r = await drain(
        workers,
        async () => (await post('/v1/tasks/claim', { queues: [queue], worker: 'w', leaseMs: 60_000 })).tasks?.[0],
        async (id, token) => void (await post(`/v1/tasks/${id}/complete`, { leaseToken: token })),
      );
      rows.push({ store: label, via: 'HTTP', workers, 'enqueue/s': enqueuePerSec, 'claim+complete/s': r.perSec, 'claim p50 ms': r.p50, 'claim p99 ms': r.p99 });
    }
  } finally {
    await host.stop();
  }
  return rows;
}

/**
 * graphile-worker processing N no-op jobs queued beforehand, in jobs per second two ways: as
 * graphile counts (its task function ran) and once every completion is committed (its jobs
 * table is empty, checked every 2 ms on a separate connection): the point at which Reef's
 * figures count a task. Three modes: `default`; `localQueue` (its batched mode: each worker
 * pool fetches jobs 500 at a time; each completion is its own statement, which the worker does
 * not wait for); and `localQueue+completions` (also completeJobBatchDelay 0: completions that
 * wait together go as one statement, which graphile's docs trade against crash safety: a job
 * completed but not yet written runs again after a crash).
 */
type GraphileMode = 'default' | 'localQueue' | 'localQueue+completions';

async function graphile(url: string, concurrency: number, mode: GraphileMode): Promise<{ ran: number; committed: number }> {
  const logger = new Logger(() => () => {});
  await runMigrations({ connectionString: url, logger });
  const utils = await makeWorkerUtils({ connectionString: url, logger });
  for (let i = 0; i < N; i += 1000) {
    await utils.addJobs(Array.from({ length: Math.min(1000, N - i) }, (_, j) => ({ identifier: 'noop', payload: { i: i + j } })));
  }
  let done = 0;
  let finished: () => void = () => {};
  const all = new Promise<void>((r) => (finished = r));
  const started = performance.now();
  const runner = await runGraphile({
    connectionString: url,
    concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    logger,
    taskList: {
      noop: async () => {
        if (++done === N) finished();
      },
    },
    ...(mode === 'default'
      ? {}
      : {
          preset: {
            worker: {
              localQueue: { size: 500 },
              ...(mode === 'localQueue+completions' ? { completeJobBatchDelay: 0, failJobBatchDelay: 0 } : {}),
            },
          },
        }),
  });
  await all;
  const ran = N / ((performance.now() - started) / 1000);
  for (;;) {
    const res = await utils.withPgClient((c) => c.query<{ left: boolean }>('SELECT EXISTS (SELECT 1 FROM graphile_worker._private_jobs) AS left'));
    if (!res.rows[0]?.left) break;
    await new Promise((r) => setTimeout(r, 2));
  }
  const committed = N / ((performance.now() - started) / 1000);
  await runner.stop();
  await utils.release();
  return { ran, committed };
}

/** The SQLite tier through HTTP: `agents` simulated agents, each claiming (and completing) every 5 s. */
async function agentsLoad(agents: number, seconds: number): Promise<{ agents: number; claimsPerSec: number; p50: number; p99: number; errors: number }> {
  const host = await startReef();
  const headers = { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' };
  const latencies: number[] = [];
  let errors = 0;
  try {
    // Enough work for every claim.
    for (let i = 0; i < Math.ceil((agents * seconds) / 5 / 1000) + 1; i++) {
      await fetch(`${host.origin}/v1/tasks/batch`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ tasks: Array.from({ length: 1000 }, () => ({ queue: 'agents', type: 'noop' })) }),
      });
    }
    const end = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: agents }, async (_, a) => {
        // Spread the agents over the 5 s period, as a real fleet would be.
        await new Promise((r) => setTimeout(r, (a / agents) * 5000));
        while (Date.now() < end) {
          const t0 = performance.now();
          try {
            const res = await fetch(`${host.origin}/v1/tasks/claim`, { method: 'POST', headers, body: JSON.stringify({ queues: ['agents'], worker: `agent${a}` }) });
            const body = (await res.json()) as { tasks?: Array<{ id: string; leaseToken: string }> };
            latencies.push(performance.now() - t0);
            const t = body.tasks?.[0];
            if (t) await fetch(`${host.origin}/v1/tasks/${t.id}/complete`, { method: 'POST', headers, body: JSON.stringify({ leaseToken: t.leaseToken }) });
          } catch {
            errors++;
          }
          await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (performance.now() - t0))));
        }
      }),
    );
  } finally {
    await host.stop();
  }
  return { agents, claimsPerSec: latencies.length / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

/** The SQLite store at each concurrency, and the durability setting side by side. */
async function sqliteRows(dir: string): Promise<Row[]> {
  const sqlite = (file: string, durability?: 'full') => async () => {
    const db = new SqliteDatabase({ file: path.join(dir, file), ...(durability && { durability }) });
    const pdb = pluginDatabase(db, 'queue');
    await pdb.migrate(migrations);
    return { store: new SqliteTaskStore(pdb), reset: () => db.script('DELETE FROM queue_task_events; DELETE FROM queue_tasks;') };
  };
  // NORMAL survives a killed process, FULL also power loss.
  return [...(await storeRows('SQLite', sqlite('bench.db'))), ...(await storeRows('SQLite --durability full', sqlite('bench-full.db', 'full'), [10]))];
}

/**
 * BENCH_PARTS=stores,sqlite,http,graphile,agents (default: all) runs a subset; pg-store is the
 * PostgreSQL half of stores; sqlite is the SQLite store against the minimal queue.
 */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'stores,sqlite,http,graphile,agents').split(','));

export async function run(): Promise<void> {
  console.log(`bench/queue: ${N} tasks per run on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${process.versions.node}`);
  const dir = tempDir('reef-bench-queue-');
  if (PARTS.has('sqlite')) {
    try {
      await sqliteAgainstMinimal(dir.path, N);
    } finally {
      if (PARTS.size === 1) dir.remove();
    }
    if (PARTS.size === 1) return;
  }
  const pgServer = await startPostgres();
  try {
    const rows: Row[] = [];
    if (PARTS.has('stores')) {
      rows.push(...(await sqliteRows(dir.path)));
    }
    if (PARTS.has('stores') || PARTS.has('pg-store')) {
      rows.push(
        ...(await storeRows('PostgreSQL', async () => {
          // The pool a host uses (10), so the figures are the host's.
          const db = new PostgresDatabase(pgServer.url);
          const pdb = pluginDatabase(db, 'queue');
          await pdb.migrate(migrations);
          return { store: new PostgresTaskStore(pdb), reset: () => db.script('TRUNCATE queue_task_events, queue_tasks CASCADE') };
        })),
      );
    }
    if (PARTS.has('http')) {
      rows.push(...(await httpRows('SQLite', [])));
      const pgHttp = await startPostgres();
      try {
        rows.push(...(await httpRows('PostgreSQL', ['--db', pgHttp.url])));
      } finally {
        await pgHttp.stop();
      }
    }
    console.log(table(rows));

    if (PARTS.has('graphile')) {
      // Interleaved rounds on the same server: on a shared machine one pair can be an outlier.
      const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
      const db = new PostgresDatabase(pgServer.url);
      const pdb = pluginDatabase(db, 'queue');
      await pdb.migrate(migrations);
      const store = new PostgresTaskStore(pdb);
      const perRound: Array<Record<string, string | number>> = [];
      const fill = async () => {
        await db.script('TRUNCATE queue_task_events, queue_tasks CASCADE');
        for (let i = 0; i < N; i += 1000) {
          await store.enqueueBatch(Array.from({ length: Math.min(1000, N - i) }, (_, j) => input(i + j)), 'bench');
        }
      };
      try {
        for (let round = 1; round <= rounds; round++) {
          await fill();
          const reef = await drain(
            10,
            async () => (await store.claim({ queues: ['bench'], worker: 'w', max: 1, leaseMs: 60_000 }))[0],
            async (id, token) => void (await store.complete(id, token, null)),
          );
          await fill();
          const withNext = await drainWithNext(
            10,
            async (worker) => (await store.claim({ queues: ['bench'], worker, max: 1, leaseMs: 60_000 }))[0],
            async (id, token, worker) =>
              (await store.completeAndClaim(id, token, null, { queues: ['bench'], worker, max: 1, leaseMs: 60_000 })).next[0],
          );
          // The protocol's claim takes at most 100: a larger prefetch is several claims at once
          // (which the store sends as one statement).
          const claimMany = async (max: number) =>
            (
              await Promise.all(
                Array.from({ length: Math.ceil(max / 100) }, (_, i) =>
                  store.claim({ queues: ['bench'], worker: 'w', max: Math.min(100, max - i * 100), leaseMs: 60_000 }),
                ),
              )
            ).flat();
          const completeOne = async (id: string, token: string) => void (await store.complete(id, token, null));
          await fill();
          const reefLocal = await drainPrefetched(10, PREFETCH, claimMany, completeOne, true);
          await fill();
          const reefPrefetched = await drainPrefetched(10, PREFETCH, claimMany, completeOne, false);
          const byDefault = await graphile(pgServer.url, 10, 'default');
          const localQueue = await graphile(pgServer.url, 10, 'localQueue');
          const batched = await graphile(pgServer.url, 10, 'localQueue+completions');
          perRound.push({
            round,
            'Reef plain': reef.perSec,
            'Reef with next': withNext.perSec,
            'Reef prefetch, awaited': reefLocal.perSec,
            'Reef prefetch': reefPrefetched.perSec,
            'graphile default': byDefault.committed,
            'graphile localQueue': localQueue.committed,
            'g. lQ+completions, ran': batched.ran,
            'g. lQ+completions, committed': batched.committed,
          });
        }
      } finally {
        await db.close();
      }
      const ratios = perRound.map((r) => {
        const n = (k: string) => Number(r[k]);
        return {
          round: r.round as number,
          'plain ÷ default': n('Reef plain') / n('graphile default'),
          'with next ÷ default': n('Reef with next') / n('graphile default'),
          'prefetch ÷ localQueue': n('Reef prefetch') / n('graphile localQueue'),
          'prefetch awaited ÷ localQueue': n('Reef prefetch, awaited') / n('graphile localQueue'),
          'prefetch ÷ lQ+completions committed': n('Reef prefetch') / n('g. lQ+completions, committed'),
          'prefetch ÷ lQ+completions ran': n('Reef prefetch') / n('g. lQ+completions, ran'),
        };
      });
      const withMedian = (rows: Array<Record<string, string | number>>) => {
        const columns = Object.keys(rows[0] ?? {}).filter((k) => k !== 'round');
        return [...rows, { round: 'median', ...Object.fromEntries(columns.map((k) => [k, percentile(rows.map((r) => Number(r[k])), 50)])) }];
      };
      console.log(`\nPostgreSQL at concurrency 10 against graphile-worker 0.17.3, same server, interleaved rounds (jobs/s, prefetch ${PREFETCH}):`);
      console.log(table(withMedian(perRound)));
      console.log('\nRatios (goals: with next or plain ÷ default ≥ 2; prefetch ÷ localQueue ≥ 1):');
      console.log(table(withMedian(ratios)));
    }

    if (PARTS.has('agents')) {
    console.log('\nSQLite tier through HTTP: simulated agents, each claiming every 5 s (goal: p99 < 25 ms at 1,000):');
    const loads = [];
    for (const agents of [1000, 2000, 4000, 8000]) {
      const r = await agentsLoad(agents, Number(process.env.BENCH_AGENT_SECONDS ?? 15));
      loads.push(r);
      if (r.p99 > 25 || r.errors > 0) break;
    }
    console.log(table(loads.map((l) => ({ agents: l.agents, 'claims/s': l.claimsPerSec, 'p50 ms': l.p50, 'p99 ms': l.p99, errors: l.errors }))));
    }
  } finally {
    await pgServer.stop();
    dir.remove();
  }
}
