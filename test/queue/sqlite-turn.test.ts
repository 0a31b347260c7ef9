/**
 * The SQLite store's turn batching (issue 10.4): what it shares, and that answers still mean
 * committed; and its lists by state, which the fewer indexes of that issue must keep fast.
 */
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PluginDatabase } from '../../sdk/index.js';
import { pluginDatabase } from '../../main/db/plugin-database.js';
import { SqliteDatabase } from '../../main/db/sqlite.js';
import { QUEUE_MIGRATIONS } from '../../plugins/queue/host/migrations.js';
import { EnqueueSchema, TASK_STATES } from '../../plugins/queue/host/schemas.js';
import { SqliteDialect, SqliteTaskStore } from '../../plugins/queue/host/sqlite-store.js';
import { filterWhere } from '../../plugins/queue/host/task-filter.js';
import { tempDir } from '../harness/tmp.js';

describe('SqliteTaskStore: one transaction per event-loop turn', () => {
  const dir = tempDir('reef-sqlite-turn-');
  const open: SqliteDatabase[] = [];
  afterEach(async () => {
    for (const db of open.splice(0)) await db.close();
  });
  afterAll(() => dir.remove());

  let files = 0;
  async function setup(tasks: number) {
    // A file per test (open is emptied after each, so its length would name the same file again).
    const file = path.join(dir.path, `q${files++}.db`);
    const db = new SqliteDatabase({ file });
    open.push(db);
    const pdb = pluginDatabase(db, 'queue');
    await pdb.migrate(QUEUE_MIGRATIONS);
    let transactions = 0;
    const counted: PluginDatabase = { ...pdb, transaction: (fn) => (transactions++, pdb.transaction(fn)) };
    const store = new SqliteTaskStore(counted);
    await store.enqueueBatch(
      Array.from({ length: tasks }, (_, i) => EnqueueSchema.parse({ queue: 'q', type: 't', payload: { i } })),
      'test',
    );
    // A second connection on the file: it sees only what was committed.
    const other = new SqliteDatabase({ file });
    open.push(other);
    return { store, other, transactions: () => transactions };
  }

  it('claims of one turn share a transaction, each claimer gets its own task, and each answer comes after the commit', async () => {
    const { store, other, transactions } = await setup(6);
    const before = transactions();
    const claims = await Promise.all(
      Array.from({ length: 5 }, (_, w) => store.claim({ queues: ['q'], worker: `w${w}`, max: 1, leaseMs: 60_000 })),
    );
    expect(transactions() - before).toBe(1);
    const ids = claims.map((c) => c[0]?.id);
    expect(new Set(ids).size).toBe(5);
    // The first claimer of the turn got the first task in claim order.
    expect(claims.map((c) => c[0]?.payload)).toEqual([0, 1, 2, 3, 4].map((i) => ({ i })));
    const leased = await other.query("SELECT id, worker FROM queue_tasks WHERE state = 'leased' ORDER BY id");
    expect(leased.map((r) => r.worker)).toEqual(['w0', 'w1', 'w2', 'w3', 'w4']);
    expect(await other.query("SELECT COUNT(*) AS n FROM queue_task_events WHERE state = 'leased'")).toEqual([{ n: 5 }]);
  });

  it('completions of one turn share a transaction, a stale token is refused there, and the others are committed when answered', async () => {
    const { store, other, transactions } = await setup(4);
    const claimed = (await store.claim({ queues: ['q'], worker: 'w', max: 4, leaseMs: 60_000 })).map((t) => ({ id: t.id, token: t.leaseToken }));
    const before = transactions();
    const [a, b, c, d] = claimed as [(typeof claimed)[0], (typeof claimed)[0], (typeof claimed)[0], (typeof claimed)[0]];
    const results = await Promise.allSettled([
      store.complete(a.id, a.token, { ok: 1 }),
      store.complete(b.id, b.token, null),
      store.complete(c.id, 'not-the-token', null),
      store.completeAndClaim(d.id, d.token, null, { queues: ['q'], worker: 'w', max: 1, leaseMs: 60_000 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'lease_lost' });
    // One turn for the four completions; the refused one and the next claim take one more each at most.
    expect(transactions() - before).toBeLessThanOrEqual(3);
    const rows = await other.query("SELECT id, state, result FROM queue_tasks WHERE state = 'succeeded' ORDER BY id");
    expect(rows.map((r) => r.id)).toEqual([a.id, b.id, d.id]);
    expect(rows[0]?.result).toBe('{"ok":1}');
    expect(await other.query("SELECT COUNT(*) AS n FROM queue_task_events WHERE state = 'succeeded'")).toEqual([{ n: 3 }]);
  });
  it('a completion with next is one transaction: the task succeeded and the next leased, both committed when answered', async () => {
    const { store, other, transactions } = await setup(3);
    const [first] = await store.claim({ queues: ['q'], worker: 'w', max: 1, leaseMs: 60_000 });
    const before = transactions();
    const out = await store.completeAndClaim(first!.id, first!.leaseToken, { ok: true }, { queues: ['q'], worker: 'w', max: 1, leaseMs: 60_000 });
    expect(transactions() - before).toBe(1);
    expect(out.task).toMatchObject({ id: first!.id, state: 'succeeded', result: { ok: true } });
    expect(out.next.map((t) => t.payload)).toEqual([{ i: 1 }]);
    const rows = await other.query('SELECT payload, state FROM queue_tasks ORDER BY id');
    expect(rows.map((r) => r.state)).toEqual(['succeeded', 'leased', 'ready']);
    // A repeat of that completion answers the same task, claims nothing more in that step, and
    // the worker's next claim still comes (two steps, as any refused or repeated completion).
    const again = await store.completeAndClaim(first!.id, first!.leaseToken, { ok: true }, { queues: ['q'], worker: 'w', max: 1, leaseMs: 60_000 });
    expect(again).toMatchObject({ changed: false, task: { id: first!.id, state: 'succeeded' } });
    expect(again.next.map((t) => t.payload)).toEqual([{ i: 2 }]);
  });
});

describe('SqliteTaskStore: a list by state reads an index, not every task', () => {
  const dir = tempDir('reef-sqlite-lists-');
  afterAll(() => dir.remove());

  it('each state but succeeded is found through a partial index, in id order, with the right tasks', async () => {
    const db = new SqliteDatabase({ file: path.join(dir.path, 'lists.db') });
    try {
      const pdb = pluginDatabase(db, 'queue');
      await pdb.migrate(QUEUE_MIGRATIONS);
      const store = new SqliteTaskStore(pdb);
      const made = await store.enqueueBatch(
        Array.from({ length: 400 }, (_, i) => EnqueueSchema.parse({ queue: 'q', type: 't', payload: { i } })),
        'test',
      );
      // One task in each state, the rest succeeded (a factory's history).
      const states = TASK_STATES.filter((s) => s !== 'succeeded');
      await db.execute("UPDATE queue_tasks SET state = 'succeeded'");
      for (const [i, state] of states.entries()) await db.execute('UPDATE queue_tasks SET state = ? WHERE id = ?', [state, made[i * 50]?.task.id]);
      for (const state of TASK_STATES) {
        const { sql, params, small } = filterWhere({ state: [state] });
        const query = `SELECT * FROM queue_tasks WHERE ${sql} ORDER BY ${new SqliteDialect(pdb).listOrder(!!small)} LIMIT 51`;
        const plan = (await db.query(`EXPLAIN QUERY PLAN ${query}`, params)).map((r) => String(r.detail)).join('; ');
        if (state === 'succeeded') expect(plan).toContain('sqlite_autoindex_queue_tasks_1');
        else if (state === 'leased') expect(plan).toContain('queue_tasks_leased');
        else expect(plan).toContain('USING INDEX queue_tasks_state_rest (state=?)');
        const listed = await store.list({ state: [state], limit: 50 });
        expect(listed.tasks.every((t) => t.state === state)).toBe(true);
        expect(listed.tasks).toHaveLength(state === 'succeeded' ? 50 : 1);
      }
    } finally {
      await db.close();
    }
  });
});
