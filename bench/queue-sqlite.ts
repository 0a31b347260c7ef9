/**
 * bench/queue's SQLite part (BENCH_PARTS=sqlite): Reef's SqliteTaskStore in process against the
 * minimal better-sqlite3 queue (the baseline row), the same claim+complete loop, interleaved
 * rounds in one process, and the ratio (issue 10 point 4: goal Reef ÷ minimal ≥ 1).
 */
import path from 'node:path';
import { pluginDatabase } from '../main/db/plugin-database.js';
import { SqliteDatabase } from '../main/db/sqlite.js';
import { migrations } from '../plugins/queue/host/index.js';
import { EnqueueSchema, type EnqueueInput } from '../plugins/queue/host/schemas.js';
import { SqliteTaskStore } from '../plugins/queue/host/sqlite-store.js';
import { drain, drainWithNext } from './drain.js';
import { MinimalSqliteQueue } from './minimal-sqlite-queue.js';
import { percentile, table } from './stats.js';

const LEASE_MS = 60_000;

export async function sqliteAgainstMinimal(dir: string, tasks: number): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const concurrency = (process.env.BENCH_SQLITE_WORKERS ?? '1,10,50').split(',').map(Number);
  const minimal = new MinimalSqliteQueue(path.join(dir, 'minimal.db'));
  const db = new SqliteDatabase({ file: path.join(dir, 'reef-vs-minimal.db') });
  const pdb = pluginDatabase(db, 'queue');
  await pdb.migrate(migrations);
  const store = new SqliteTaskStore(pdb);
  // BENCH_SQLITE_INLINE=1 adds the store with SQLite's own commit-time checkpoints (before the
  // background checkpointer, main/db/sqlite-checkpointer.ts) as a column of the same run.
  const inline = process.env.BENCH_SQLITE_INLINE === '1' ? await inlineStore(dir) : undefined;
  const inputs = Array.from({ length: tasks }, (_, i) => EnqueueSchema.parse({ queue: 'bench', type: 'noop', payload: { i } }));

  const rows: Array<Record<string, string | number>> = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const workers of concurrency) {
        // Filling is not measured: both queues start each run with `tasks` ready and nothing else.
        minimal.reset();
        minimal.enqueueMany('bench', inputs.map((t) => t.payload));
        const base = await drain(
          workers,
          async () => {
            const job = minimal.claim('bench', 'w', LEASE_MS);
            return job && { id: job.id, leaseToken: job.leaseOwner };
          },
          async (id, owner) => minimal.complete(id, owner, null),
        );
        const reef = await drainStore(store, db, inputs, tasks, workers);
        const before = inline && (await drainStore(inline.store, inline.db, inputs, tasks, workers));
        // Not the same loop as the minimal queue's, so not the ratio: the worker loop the
        // protocol offers (complete with next), one transaction per task instead of two.
        const withNext = await drainStoreWithNext(store, db, inputs, tasks, workers);
        rows.push({
          round,
          workers,
          'minimal/s': base.perSec,
          ...(before && { 'inline checkpoints/s': before.perSec, 'inline ÷ minimal': before.perSec / base.perSec }),
          'Reef SQLite/s': reef.perSec,
          'Reef ÷ minimal': reef.perSec / base.perSec,
          'Reef with next/s': withNext.perSec,
          'minimal claim p50 ms': base.p50,
          'Reef claim p50 ms': reef.p50,
          'Reef claim p99 ms': reef.p99,
        });
      }
    }
  } finally {
    minimal.close();
    await db.close();
    await inline?.db.close();
  }
  const medians = concurrency.map((workers) => {
    const mine = rows.filter((r) => r.workers === workers);
    const columns = Object.keys(mine[0] ?? {}).filter((k) => k !== 'round' && k !== 'workers');
    return { round: 'median', workers, ...Object.fromEntries(columns.map((k) => [k, percentile(mine.map((r) => Number(r[k])), 50)])) };
  });
  console.log(`\nSQLite in process against the minimal better-sqlite3 queue, ${tasks} tasks, interleaved rounds (claim+complete/s; goal Reef ÷ minimal ≥ 1):`);
  console.log(table([...rows, ...medians]));
}

async function inlineStore(dir: string): Promise<{ db: SqliteDatabase; store: SqliteTaskStore }> {
  const db = new SqliteDatabase({ file: path.join(dir, 'reef-inline-checkpoints.db'), backgroundCheckpoint: false });
  const pdb = pluginDatabase(db, 'queue');
  await pdb.migrate(migrations);
  return { db, store: new SqliteTaskStore(pdb) };
}

async function refill(store: SqliteTaskStore, db: SqliteDatabase, inputs: EnqueueInput[], tasks: number): Promise<void> {
  await db.script('DELETE FROM queue_task_events; DELETE FROM queue_tasks;');
  for (let i = 0; i < tasks; i += 1000) await store.enqueueBatch(inputs.slice(i, i + 1000), 'bench');
}

async function drainStoreWithNext(store: SqliteTaskStore, db: SqliteDatabase, inputs: EnqueueInput[], tasks: number, workers: number) {
  await refill(store, db, inputs, tasks);
  const next = { queues: ['bench'], max: 1, leaseMs: LEASE_MS };
  return drainWithNext(
    workers,
    async (worker) => (await store.claim({ ...next, worker }))[0],
    async (id, token, worker) => (await store.completeAndClaim(id, token, null, { ...next, worker })).next[0],
  );
}

async function drainStore(store: SqliteTaskStore, db: SqliteDatabase, inputs: EnqueueInput[], tasks: number, workers: number) {
  await refill(store, db, inputs, tasks);
  return drain(
    workers,
    async () => (await store.claim({ queues: ['bench'], worker: 'w', max: 1, leaseMs: LEASE_MS }))[0],
    async (id, token) => void (await store.complete(id, token, null)),
  );
}
