/**
 * PostgreSQL under faults, two "hosts" (two connection pools) on one database: claims are woken
 * across hosts by LISTEN/NOTIFY, keep working when the listening connection is killed (the
 * fallback poll), and keep flowing past rows held by a long-open transaction (SKIP LOCKED).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { PostgresDatabase } from '../../main/db/postgres.js';
import { QUEUE_MIGRATIONS } from '../../plugins/queue/host/migrations.js';
import { PostgresTaskStore } from '../../plugins/queue/host/postgres-store.js';
import { ReadySignal } from '../../plugins/queue/host/ready-signal.js';
import { Scheduler } from '../../plugins/queue/host/scheduler.js';
import type { Task } from '../../plugins/queue/host/schemas.js';
import { QueueService } from '../../plugins/queue/host/service.js';
import { ClaimWaiters } from '../../plugins/queue/host/waiters.js';
import { postgresOrSkip, startPostgres, type RunningPostgres } from '../harness/postgres.js';

interface TestHost {
  db: PostgresDatabase;
  service: QueueService;
  signal: ReadySignal;
}

const operator = { subject: 'x', caller: { kind: 'operator' as const, id: 'op' } };

async function makeHost(url: string, pollMs: number): Promise<TestHost> {
  const db = new PostgresDatabase(url);
  const pdb = pluginDatabase(db, 'queue');
  await pdb.migrate(QUEUE_MIGRATIONS);
  const store = new PostgresTaskStore(pdb);
  const waiters = new ClaimWaiters();
  const signal = new ReadySignal(waiters, pdb.notifications);
  await signal.start();
  const service = new QueueService({
    store,
    scheduler: new Scheduler(pdb, store),
    waiters,
    publish: async () => {},
    ready: (q) => signal.ready(q),
    pollMs,
  });
  return { db, service, signal };
}

describe.runIf(postgresOrSkip('queue on PostgreSQL under faults'))('queue on PostgreSQL under faults', () => {
  let server: RunningPostgres;
  let a: TestHost;
  let b: TestHost;
  beforeAll(async () => {
    server = await startPostgres();
    // Polls every 30 s: a claim that returns sooner was woken by a notification.
    a = await makeHost(server.url, 30_000);
    b = await makeHost(server.url, 30_000);
  }, 60_000);
  afterAll(async () => {
    for (const h of [a, b]) {
      await h?.signal.stop();
      await h?.db.close();
    }
    await server?.stop();
  });

  const claimOn = (host: TestHost, queue: string, waitMs: number) =>
    host.service.claim({ queues: [queue], worker: 'w', waitMs }, operator) as Promise<{ tasks: Task[] }>;

  it('wakes a long-polling claim on one host when another host enqueues (NOTIFY)', async () => {
    const started = Date.now();
    const pending = claimOn(a, 'notify', 20_000);
    await new Promise((r) => setTimeout(r, 200));
    await b.service.enqueue({ queue: 'notify', type: 't' }, operator);
    const { tasks } = await pending;
    expect(tasks).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('keeps claiming when the LISTEN connection is killed: the fallback poll, then a reconnect', async () => {
    const polling = await makeHost(server.url, 500);
    try {
      const admin = new pg.Client({ connectionString: server.url });
      await admin.connect();
      const pid = await polling.db.notifications.backendPid();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await admin.end();
      // With the listener gone, an enqueue elsewhere is still found by the poll.
      const started = Date.now();
      const pending = claimOn(polling, 'lost', 10_000);
      await new Promise((r) => setTimeout(r, 50));
      await b.service.enqueue({ queue: 'lost', type: 't' }, operator);
      expect((await pending).tasks).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(5000);
      // And the listener came back on its own.
      await expect.poll(async () => polling.db.notifications.backendPid(), { timeout: 10_000 }).not.toBe(pid);
    } finally {
      await polling.signal.stop();
      await polling.db.close();
    }
  });

  it('claims and completes past rows locked by a long-open transaction, then gets them after it ends', async () => {
    for (let i = 0; i < 200; i++) await a.service.enqueue({ queue: 'churn', type: 't', payload: i }, operator);
    const blocker = new pg.Client({ connectionString: server.url });
    await blocker.connect();
    await blocker.query('BEGIN');
    const locked = await blocker.query("SELECT id FROM queue_tasks WHERE queue = 'churn' ORDER BY id LIMIT 20 FOR UPDATE");
    const lockedIds = new Set(locked.rows.map((r: { id: string }) => r.id));
    let done = 0;
    for (;;) {
      const host = done % 2 ? a : b;
      const { tasks } = (await host.service.claim({ queues: ['churn'], worker: 'w', max: 10 }, operator)) as { tasks: Array<Task & { leaseToken: string }> };
      if (tasks.length === 0) break;
      for (const t of tasks) {
        expect(lockedIds.has(t.id)).toBe(false);
        await host.service.complete({ id: t.id, leaseToken: t.leaseToken }, operator);
        done++;
      }
    }
    expect(done).toBe(180);
    await blocker.query('COMMIT');
    await blocker.end();
    const rest = (await a.service.claim({ queues: ['churn'], worker: 'w', max: 50 }, operator)) as { tasks: Task[] };
    expect(rest.tasks.map((t) => t.id).sort()).toEqual([...lockedIds].sort());
  });
});
