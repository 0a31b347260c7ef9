/** A claim whose claimer has gone takes nothing: the long poll ends, and tasks claimed meanwhile go back unclaimed. */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestInfo } from '../../sdk/index.js';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import { QUEUE_MIGRATIONS } from '../../plugins/queue/host/migrations.js';
import type { ClaimedTask, Task } from '../../plugins/queue/host/schemas.js';
import { Scheduler } from '../../plugins/queue/host/scheduler.js';
import { QueueService } from '../../plugins/queue/host/service.js';
import { SqliteTaskStore } from '../../plugins/queue/host/sqlite-store.js';
import { ClaimWaiters } from '../../plugins/queue/host/waiters.js';
import { tempDir, type TempDir } from '../harness/tmp.js';

let dir: TempDir;
let db: SqliteDatabase;
let store: SqliteTaskStore;
let waiters: ClaimWaiters;
let service: QueueService;
const published: string[] = [];
const ready: string[] = [];

beforeAll(async () => {
  dir = tempDir('reef-abandoned-');
  db = new SqliteDatabase({ file: path.join(dir.path, 'q.db') });
  const pdb = pluginDatabase(db, 'queue');
  await pdb.migrate(QUEUE_MIGRATIONS);
  store = new SqliteTaskStore(pdb);
  waiters = new ClaimWaiters();
  service = new QueueService({
    store,
    scheduler: new Scheduler(pdb, store),
    waiters,
    publish: async (subject) => void published.push(subject),
    ready: (q) => {
      ready.push(q);
      waiters.wake(q);
    },
    pollMs: 30_000,
  });
});
afterAll(async () => {
  await db?.close();
  dir?.remove();
});

const agent = (signal?: AbortSignal): RequestInfo => ({ subject: 'reef.v1.tasks.claim', caller: { kind: 'agent', id: 'forge' }, ...(signal && { signal }) });

describe('an abandoned claim', () => {
  it('ends its long poll when the claimer goes, and a task enqueued afterwards stays ready with no attempt counted', async () => {
    const gone = new AbortController();
    const started = Date.now();
    const claim = service.claim({ queues: ['a'], worker: 'forge', waitMs: 20_000 }, agent(gone.signal));
    await new Promise((r) => setTimeout(r, 100));
    gone.abort();
    expect(await claim).toEqual({ tasks: [] });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(waiters.size).toBe(0);
    const { task } = (await service.enqueue({ queue: 'a', type: 't' }, agent())) as { task: Task };
    await new Promise((r) => setTimeout(r, 50));
    expect(await store.get(task.id)).toMatchObject({ state: 'ready', attempts: 0 });
  });

  it('puts back what it claimed when the claimer went while the claim ran, without counting the attempt', async () => {
    const { task } = (await service.enqueue({ queue: 'b', type: 't' }, agent())) as { task: Task };
    const gone = new AbortController();
    // The claimer hangs up while the database is claiming for it.
    const claim = store.claim.bind(store);
    store.claim = async (input) => {
      const got = await claim(input);
      gone.abort();
      return got;
    };
    published.length = 0;
    try {
      expect(await service.claim({ queues: ['b'], worker: 'forge' }, agent(gone.signal))).toEqual({ tasks: [] });
    } finally {
      store.claim = claim;
    }
    expect(await store.get(task.id)).toMatchObject({ state: 'ready', attempts: 0 });
    expect(published).toEqual([]);
    expect(ready).toContain('b');
    // The next claimer gets it as a first attempt.
    const next = (await service.claim({ queues: ['b'], worker: 'forge' }, agent())) as { tasks: ClaimedTask[] };
    expect(next.tasks.map((t) => [t.id, t.attempts])).toEqual([[task.id, 1]]);
  });

  it('puts back the next tasks of a completion whose sender went; the completion stands', async () => {
    await service.enqueue({ queue: 'c', type: 't', payload: { i: 1 } }, agent());
    const { task: second } = (await service.enqueue({ queue: 'c', type: 't', payload: { i: 2 } }, agent())) as { task: Task };
    const first = ((await service.claim({ queues: ['c'], worker: 'forge' }, agent())) as { tasks: ClaimedTask[] }).tasks[0] as ClaimedTask;
    const gone = new AbortController();
    gone.abort();
    const done = (await service.complete({ id: first.id, leaseToken: first.leaseToken, next: { queues: ['c'], worker: 'forge' } }, agent(gone.signal))) as {
      task: Task;
      next: { tasks: ClaimedTask[] };
    };
    expect(done.task.state).toBe('succeeded');
    expect(done.next.tasks).toEqual([]);
    expect(await store.get(second.id)).toMatchObject({ state: 'ready', attempts: 0 });
  });
});

describe('the long poll\'s clock', () => {
  it('counts its wait by the plugin\'s clock (ctx.now), not the wall clock', async () => {
    let clock = 1_000_000;
    const timed = new QueueService({ store, scheduler: new Scheduler(pluginDatabase(db, 'queue'), store), waiters, publish: async () => {}, ready: () => {}, pollMs: 30_000, now: () => clock });
    const claim = timed.claim({ queues: ['clocked'], worker: 'forge', waitMs: 60_000 }, agent());
    let settled = false;
    void claim.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 50));
    waiters.wakeAll();
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    clock += 60_000;
    waiters.wakeAll();
    expect(await claim).toEqual({ tasks: [] });
  });
});

describe('an agent acts only as itself', () => {
  it('an agent token may claim and complete-with-next only under its own name; the operator under any', async () => {
    await service.enqueue({ queue: 'd', type: 't' }, agent());
    await expect(service.claim({ queues: ['d'], worker: 'quill' }, agent())).rejects.toMatchObject({ code: 'forbidden', message: expect.stringContaining('"forge"') });
    const mine = ((await service.claim({ queues: ['d'], worker: 'forge' }, agent())) as { tasks: ClaimedTask[] }).tasks[0] as ClaimedTask;
    await expect(service.complete({ id: mine.id, leaseToken: mine.leaseToken, next: { queues: ['d'], worker: 'quill' } }, agent())).rejects.toMatchObject({ code: 'forbidden' });
    // Refused before anything changed: the task is still leased to forge.
    expect(await store.get(mine.id)).toMatchObject({ state: 'leased', worker: 'forge' });
    const operator: RequestInfo = { subject: 'x', caller: { kind: 'operator', id: 'operator' } };
    await service.enqueue({ queue: 'd', type: 't' }, operator);
    expect(((await service.claim({ queues: ['d'], worker: 'quill' }, operator)) as { tasks: ClaimedTask[] }).tasks).toHaveLength(1);
  });
});
