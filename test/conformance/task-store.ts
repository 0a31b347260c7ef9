/**
 * The TaskStore conformance suite: the semantics of PROTOCOL.md "Tasks", asserted the same way
 * for every backend. Test-only code.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EnqueueSchema, ListSchema, type ClaimedTask } from '../../plugins/queue/host/schemas.js';
import type { TaskStore } from '../../plugins/queue/host/store.js';
import { refused } from '../harness/refusal.js';

export interface StoreFixture {
  /** A store on empty tables; the retry policy backs off by ~1 ms so tests need not wait. */
  fresh(): Promise<TaskStore>;
  /** Adds a schedule row with this id to the fresh store's tables (schedule slots refer to one). */
  addSchedule(id: string): Promise<void>;
  close(): Promise<void>;
}

const enqueueInput = (body: Record<string, unknown>) => EnqueueSchema.parse({ queue: 'q', type: 't', ...body });
const list = (body: Record<string, unknown> = {}) => ListSchema.parse(body);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `workers` agent loops on queue `q` until it is empty: claim, then complete (result `{by: w}`)
 * with `next` for the following task. Each task must come to one worker once and complete;
 * returns which worker (`w0`, `w1`, …) had each task.
 */
export async function loopsWithNext(store: TaskStore, workers: number, leaseMs: number): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      const next = { queues: ['q'], worker: `w${w}`, max: 1, leaseMs };
      let [task] = await store.claim(next);
      while (task) {
        expect(seen.has(task.id)).toBe(false);
        seen.set(task.id, `w${w}`);
        const out = await store.completeAndClaim(task.id, task.leaseToken, { by: w }, next);
        expect(out.changed).toBe(true);
        task = out.next[0];
      }
    }),
  );
  return seen;
}

export function taskStoreConformance(name: string, makeFixture: () => Promise<StoreFixture>): void {
  describe(`TaskStore conformance: ${name}`, () => {
    let fixture: StoreFixture;
    let store: TaskStore;
    beforeAll(async () => {
      fixture = await makeFixture();
    });
    afterAll(async () => {
      await fixture?.close();
    });
    beforeEach(async () => {
      store = await fixture.fresh();
    });

    const claimOne = async (worker = 'w1', leaseMs = 30_000, queues = ['q']): Promise<ClaimedTask> => {
      const [task] = await store.claim({ queues, worker, max: 1, leaseMs });
      if (!task) throw new Error('nothing to claim');
      return task;
    };

    it('enqueues a ready task with defaults and reads it back', async () => {
      const { task, created } = await store.enqueue(enqueueInput({ payload: { n: 1 }, tags: { product: 'p', agent: 'a' } }), 'operator:op');
      expect(created).toBe(true);
      expect(task).toMatchObject({ queue: 'q', type: 't', state: 'ready', attempts: 0, maxAttempts: 5, priority: 0, payload: { n: 1 } });
      expect(task.tags).toEqual({ product: 'p', agent: 'a' });
      expect(await store.get(task.id)).toEqual(task);
      expect(await store.get('t_missing')).toBeUndefined();
    });

    it('claims the highest priority first, then the oldest, and only from the asked queues', async () => {
      const low = (await store.enqueue(enqueueInput({ priority: 1 }), 'op')).task;
      const high = (await store.enqueue(enqueueInput({ priority: 9 }), 'op')).task;
      const low2 = (await store.enqueue(enqueueInput({ priority: 1 }), 'op')).task;
      await store.enqueue(enqueueInput({ queue: 'other', priority: 100 }), 'op');
      const claimed = await store.claim({ queues: ['q'], worker: 'w', max: 10, leaseMs: 30_000 });
      expect(claimed.map((t) => t.id)).toEqual([high.id, low.id, low2.id]);
      expect(claimed.every((t) => t.state === 'leased' && t.attempts === 1 && t.worker === 'w' && t.leaseToken)).toBe(true);
      expect(await store.claim({ queues: ['q'], worker: 'w', max: 10, leaseMs: 30_000 })).toEqual([]);
    });

    it('keeps a task scheduled until its runAt', async () => {
      const { task } = await store.enqueue(enqueueInput({ runAt: Date.now() + 60_000 }), 'op');
      expect(task.state).toBe('scheduled');
      expect(await store.claim({ queues: ['q'], worker: 'w', max: 1, leaseMs: 30_000 })).toEqual([]);
      const past = (await store.enqueue(enqueueInput({ runAt: new Date(Date.now() - 1000).toISOString() }), 'op')).task;
      expect(past.state).toBe('ready');
      expect((await claimOne()).id).toBe(past.id);
    });

    it('leases with the database clock and extends the lease on heartbeat', async () => {
      await store.enqueue(enqueueInput({}), 'op');
      const before = Date.now();
      const task = await claimOne('w', 10_000);
      const expires = Date.parse(task.leaseExpiresAt as string);
      expect(expires).toBeGreaterThanOrEqual(before + 10_000 - 2000);
      expect(expires).toBeLessThanOrEqual(Date.now() + 10_000 + 2000);
      await sleep(20);
      const { leaseExpiresAt } = await store.heartbeat(task.id, task.leaseToken, undefined, { pct: 50 });
      expect(Date.parse(leaseExpiresAt)).toBeGreaterThan(expires);
      expect((await store.get(task.id))?.progress).toEqual({ pct: 50 });
    });

    it('refuses a stale or wrong lease token with lease_lost, and completing twice is idempotent', async () => {
      await store.enqueue(enqueueInput({}), 'op');
      const task = await claimOne();
      expect((await refused(store.complete(task.id, 'not-the-token', null))).code).toBe('lease_lost');
      expect((await refused(store.heartbeat(task.id, 'not-the-token', undefined, undefined))).code).toBe('lease_lost');
      const first = await store.complete(task.id, task.leaseToken, { ok: true });
      expect(first.changed).toBe(true);
      expect(first.task).toMatchObject({ state: 'succeeded', result: { ok: true } });
      const second = await store.complete(task.id, task.leaseToken, { ok: true });
      expect(second.changed).toBe(false);
      expect(second.task.state).toBe('succeeded');
      expect((await refused(store.complete('t_missing', 'x', null))).code).toBe('not_found');
    });

    it('completes and claims the next tasks in one call, and claims nothing for a refused completion', async () => {
      for (let i = 0; i < 4; i++) await store.enqueue(enqueueInput({ payload: { i } }), 'op');
      const first = await claimOne('w1');
      const next = { queues: ['q'], worker: 'w1', max: 2, leaseMs: 30_000 };
      const a = await store.completeAndClaim(first.id, first.leaseToken, { ok: 1 }, next);
      expect(a.changed).toBe(true);
      expect(a.task).toMatchObject({ id: first.id, state: 'succeeded', result: { ok: 1 } });
      expect(a.next.map((t) => t.payload)).toEqual([{ i: 1 }, { i: 2 }]);
      for (const t of a.next) expect(t).toMatchObject({ state: 'leased', worker: 'w1', attempts: 1 });
      expect(new Set(a.next.map((t) => t.leaseToken)).size).toBe(2);
      // A stale token: refused, and the one task left stays ready.
      expect((await refused(store.completeAndClaim(a.next[0]!.id, 'stale', null, next))).code).toBe('lease_lost');
      expect((await refused(store.completeAndClaim('t_missing', 'x', null, next))).code).toBe('not_found');
      expect((await store.list(list({ state: 'ready' }))).tasks.map((t) => t.payload)).toEqual([{ i: 3 }]);
      // The claimed tasks' leases are real: each completes with its own token.
      const b = await store.completeAndClaim(a.next[0]!.id, a.next[0]!.leaseToken, null, next);
      expect(b.next.map((t) => t.payload)).toEqual([{ i: 3 }]);
      // Nothing left to claim: the completion still goes through.
      const c = await store.completeAndClaim(a.next[1]!.id, a.next[1]!.leaseToken, null, next);
      expect(c).toMatchObject({ changed: true, task: { state: 'succeeded' }, next: [] });
      // A repeated completion answers the same task and claims like a plain claim.
      await store.enqueue(enqueueInput({ payload: { i: 4 } }), 'op');
      const again = await store.completeAndClaim(a.next[1]!.id, a.next[1]!.leaseToken, null, next);
      expect(again.changed).toBe(false);
      expect(again.next.map((t) => t.payload)).toEqual([{ i: 4 }]);
      const events = await store.history(first.id);
      expect(events.map((e) => e.state)).toEqual(['ready', 'leased', 'succeeded']);
      expect((await store.history(b.next[0]!.id)).map((e) => [e.state, e.worker ?? null])).toEqual([
        ['ready', null],
        ['leased', 'w1'],
      ]);
    });

    it('keeps concurrent complete-and-claim loops to one lease per task', async () => {
      await store.enqueueBatch(Array.from({ length: 60 }, (_, i) => enqueueInput({ payload: { i } })), 'op');
      const seen = await loopsWithNext(store, 6, 30_000);
      expect(seen.size).toBe(60);
      const done = await store.list(list({ state: 'succeeded', limit: 100 }));
      expect(done.tasks).toHaveLength(60);
      for (const t of done.tasks) expect(t.result).toEqual({ by: Number(seen.get(t.id)?.slice(1)) });
    });

    it('counts a completion sent twice at once as one change', async () => {
      await store.enqueue(enqueueInput({}), 'op');
      const task = await claimOne();
      const results = await Promise.all([store.complete(task.id, task.leaseToken, 1), store.complete(task.id, task.leaseToken, 1)]);
      expect(results.map((r) => r.changed).sort()).toEqual([false, true]);
      expect((await store.history(task.id)).filter((e) => e.state === 'succeeded')).toHaveLength(1);
    });

    it('reclaims an expired lease with the attempt counted and refuses the late worker', async () => {
      await store.enqueue(enqueueInput({ maxAttempts: 3 }), 'op');
      const first = await claimOne('slow', 1000);
      await sleep(1150);
      // Expired but not yet reaped: the late worker is refused already.
      expect((await refused(store.heartbeat(first.id, first.leaseToken, undefined, undefined))).code).toBe('lease_lost');
      const reaped = await store.reapExpiredLeases();
      expect(reaped.map((t) => [t.id, t.state, t.attempts])).toEqual([[first.id, 'ready', 1]]);
      expect(reaped[0]?.lastError).toContain('lease expired');
      const second = await claimOne('fast');
      expect(second.id).toBe(first.id);
      expect(second.attempts).toBe(2);
      expect((await refused(store.complete(first.id, first.leaseToken, null))).code).toBe('lease_lost');
      expect((await store.complete(second.id, second.leaseToken, null)).task.state).toBe('succeeded');
    });

    it('releases a claim that could not be delivered: ready again, the attempt not counted, a stale lease left alone', async () => {
      const { task } = await store.enqueue(enqueueInput({ priority: 5 }), 'op');
      await store.enqueue(enqueueInput({}), 'op');
      const lost = await claimOne('gone');
      expect(lost.id).toBe(task.id);
      const released = await store.release([lost, { id: lost.id, leaseToken: 'not-the-lease' }]);
      expect(released.map((t) => [t.id, t.state, t.attempts, t.worker ?? null])).toEqual([[task.id, 'ready', 0, null]]);
      // Its place at the head of the queue is kept, and the old lease is worthless.
      const again = await claimOne('next');
      expect([again.id, again.attempts]).toEqual([task.id, 1]);
      expect((await refused(store.complete(lost.id, lost.leaseToken, null))).code).toBe('lease_lost');
      expect(await store.release([lost])).toEqual([]);
      const history = await store.history(task.id);
      expect(history.map((e) => e.state)).toEqual(['ready', 'leased', 'ready', 'leased']);
      expect(history[2]?.error).toMatch(/not delivered/);
    });

    it('gives a task whose lease expired its place back at the head of the queue', async () => {
      const first = (await store.enqueue(enqueueInput({}), 'op')).task;
      await claimOne('dies', 1000);
      for (let i = 0; i < 3; i++) await store.enqueue(enqueueInput({}), 'op');
      await sleep(1100);
      await store.reapExpiredLeases();
      expect((await claimOne('next')).id).toBe(first.id);
    });

    it('ends dead after maxAttempts when every lease expires (a task that kills its worker)', async () => {
      const { task } = await store.enqueue(enqueueInput({ maxAttempts: 2 }), 'op');
      for (let i = 0; i < 2; i++) {
        await claimOne('doomed', 1000);
        await sleep(1100);
        await store.reapExpiredLeases();
      }
      const after = await store.get(task.id);
      expect(after).toMatchObject({ state: 'dead', attempts: 2 });
      expect(await store.claim({ queues: ['q'], worker: 'w', max: 1, leaseMs: 30_000 })).toEqual([]);
    });

    it('retries a failure with backoff until maxAttempts, then dead; non-retryable is dead at once', async () => {
      const { task } = await store.enqueue(enqueueInput({ maxAttempts: 2 }), 'op');
      let claimed = await claimOne();
      const failed = await store.fail(task.id, claimed.leaseToken, 'boom 1', true);
      expect(failed).toMatchObject({ state: 'failed', lastError: 'boom 1', attempts: 1 });
      expect(Date.parse(failed.runAt)).toBeGreaterThanOrEqual(Date.parse(failed.updatedAt));
      await sleep(30);
      claimed = await claimOne();
      expect(claimed.attempts).toBe(2);
      expect(await store.fail(task.id, claimed.leaseToken, 'boom 2', true)).toMatchObject({ state: 'dead', lastError: 'boom 2' });

      const other = (await store.enqueue(enqueueInput({ maxAttempts: 5 }), 'op')).task;
      const c = await claimOne();
      expect(c.id).toBe(other.id);
      expect((await store.fail(other.id, c.leaseToken, 'bad input', false)).state).toBe('dead');
      const events = await store.history(task.id);
      expect(events.map((e) => e.state)).toEqual(['ready', 'leased', 'failed', 'leased', 'dead']);
      expect(events.filter((e) => e.error).map((e) => e.error)).toEqual(['boom 1', 'boom 2']);
    });

    it('returns the same task for the same idempotency key and body, and refuses a different body', async () => {
      const a = await store.enqueue(enqueueInput({ idempotencyKey: 'k', payload: { x: 1, y: [1, 2] } }), 'op');
      const b = await store.enqueue(enqueueInput({ idempotencyKey: 'k', payload: { y: [1, 2], x: 1 } }), 'op');
      expect(b.created).toBe(false);
      expect(b.task.id).toBe(a.task.id);
      const err = await refused(store.enqueue(enqueueInput({ idempotencyKey: 'k', payload: { x: 2 } }), 'op'));
      expect(err.code).toBe('idempotency_mismatch');
      expect((await store.list(list())).tasks).toHaveLength(1);
    });

    it('gives every one of concurrent enqueues with the same key the one task it made (an agent retrying while its first try is in flight)', async () => {
      for (let round = 0; round < 4; round++) {
        const results = await Promise.all(Array.from({ length: 8 }, () => store.enqueue(enqueueInput({ idempotencyKey: `race-${round}`, payload: { n: 1 } }), 'op')));
        expect(new Set(results.map((r) => r.task.id)).size).toBe(1);
        expect(results.filter((r) => r.created)).toHaveLength(1);
      }
      expect((await store.list(list())).tasks).toHaveLength(4);
    });

    it('keeps a task blocked until every gate is open', async () => {
      const { task } = await store.enqueue(enqueueInput({ gates: ['approval:1', 'approval:2'] }), 'op');
      expect(task.state).toBe('blocked');
      expect(await store.openGate('approval:1', 'op')).toEqual([]);
      expect((await store.get(task.id))?.state).toBe('blocked');
      expect(await store.claim({ queues: ['q'], worker: 'w', max: 1, leaseMs: 30_000 })).toEqual([]);
      const opened = await store.openGate('approval:2', 'op');
      expect(opened.map((t) => [t.id, t.state])).toEqual([[task.id, 'ready']]);
      const already = await store.enqueue(enqueueInput({ gates: ['approval:1'] }), 'op');
      expect(already.task.state).toBe('ready');
    });

    it('cancels and retries as the state allows', async () => {
      const { task } = await store.enqueue(enqueueInput({}), 'op');
      expect((await store.cancel(task.id)).state).toBe('cancelled');
      expect((await refused(store.cancel(task.id))).code).toBe('conflict');
      const retried = await store.retry(task.id);
      expect(retried).toMatchObject({ state: 'ready', attempts: 0 });
      const c = await claimOne();
      await store.complete(c.id, c.leaseToken, null);
      expect((await refused(store.retry(task.id))).code).toBe('conflict');
      expect((await refused(store.cancel('t_missing'))).code).toBe('not_found');
    });

    it('lists with filters and a cursor that visits every task once', async () => {
      for (let i = 0; i < 25; i++) {
        await store.enqueue(enqueueInput({ queue: i % 2 ? 'odd' : 'even', type: `type${i % 3}`, tags: { product: i < 10 ? 'alpha' : 'beta' } }), 'op');
      }
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.list(list({ limit: 10, ...(cursor ? { cursor } : {}) }));
        seen.push(...page.tasks.map((t) => t.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(new Set(seen).size).toBe(25);
      expect([...seen].sort().reverse()).toEqual(seen);
      expect((await store.list(list({ queue: 'odd' }))).tasks).toHaveLength(12);
      expect((await store.list(list({ 'tag.product': 'alpha', queue: 'even' }))).tasks).toHaveLength(5);
      expect((await store.list(list({ state: 'ready,leased', type: 'type0' }))).tasks).toHaveLength(9);
      expect((await store.list(list({ state: ['dead'] }))).tasks).toHaveLength(0);
      // An agent's open work: what it holds now.
      const a = await claimOne('agent-a', 30_000, ['odd']);
      const b = await claimOne('agent-b', 30_000, ['odd']);
      expect((await store.list(list({ worker: 'agent-a', state: 'leased' }))).tasks.map((t) => t.id)).toEqual([a.id]);
      expect((await store.list(list({ worker: 'agent-b' }))).tasks.map((t) => t.id)).toEqual([b.id]);
      expect((await store.list(list({ worker: 'agent-c' }))).tasks).toHaveLength(0);
      const counts = await store.counts();
      expect(counts.reduce((s, c) => s + c.count, 0)).toBe(25);
    });

    it('gives nothing from a paused queue until it is resumed', async () => {
      await store.enqueue(enqueueInput({}), 'op');
      await store.setLimit({ kind: 'queue', name: 'q', paused: true, maxInFlight: null, maxDepth: null });
      expect(await store.claim({ queues: ['q'], worker: 'w', max: 5, leaseMs: 30_000 })).toEqual([]);
      await store.setLimit({ kind: 'queue', name: 'q', paused: false, maxInFlight: null, maxDepth: null });
      expect(await store.claim({ queues: ['q'], worker: 'w', max: 5, leaseMs: 30_000 })).toHaveLength(1);
    });

    it('holds tasks in flight to the queue and product limits', async () => {
      for (let i = 0; i < 6; i++) await store.enqueue(enqueueInput({ tags: { product: i < 3 ? 'a' : 'b' } }), 'op');
      await store.setLimit({ kind: 'queue', name: 'q', paused: false, maxInFlight: 4, maxDepth: null });
      await store.setLimit({ kind: 'product', name: 'a', paused: false, maxInFlight: 1, maxDepth: null });
      const first = await store.claim({ queues: ['q'], worker: 'w', max: 1, leaseMs: 30_000 });
      expect(first).toHaveLength(1);
      const rest = await store.claim({ queues: ['q'], worker: 'w', max: 10, leaseMs: 30_000 });
      // The queue allows 4 in flight and product a one: the first claim took a's oldest, so
      // the rest are b's three, and nothing more until one finishes.
      const all = [...first, ...rest];
      expect(all.map((t) => t.tags.product)).toEqual(['a', 'b', 'b', 'b']);
      expect(await store.claim({ queues: ['q'], worker: 'w', max: 10, leaseMs: 30_000 })).toEqual([]);
      // A finished b frees a slot in the queue, but only a's tasks are left and a is full.
      const [a1, b1] = [first[0], rest[0]] as [ClaimedTask, ClaimedTask];
      await store.complete(b1.id, b1.leaseToken, null);
      expect(await store.claim({ queues: ['q'], worker: 'w', max: 10, leaseMs: 30_000 })).toEqual([]);
      await store.complete(a1.id, a1.leaseToken, null);
      expect((await store.claim({ queues: ['q'], worker: 'w', max: 10, leaseMs: 30_000 })).map((t) => t.tags.product)).toEqual(['a']);
    });

    it('answers busy with retryAfterMs over the depth limit and changes nothing', async () => {
      await store.setLimit({ kind: 'queue', name: 'q', paused: false, maxInFlight: null, maxDepth: 2 });
      await store.enqueue(enqueueInput({}), 'op');
      await store.enqueue(enqueueInput({}), 'op');
      const err = await refused(store.enqueue(enqueueInput({}), 'op'));
      expect(err.code).toBe('busy');
      expect((err.details as { retryAfterMs: number }).retryAfterMs).toBeGreaterThan(0);
      expect((await store.list(list())).tasks).toHaveLength(2);
      await store.enqueue(enqueueInput({ queue: 'elsewhere' }), 'op');
    });

    it('does not hand out tasks of an excluded (paused) product', async () => {
      await store.enqueue(enqueueInput({ tags: { product: 'atlas' }, priority: 5 }), 'op');
      const other = (await store.enqueue(enqueueInput({ tags: { product: 'beacon' } }), 'op')).task;
      const untagged = (await store.enqueue(enqueueInput({}), 'op')).task;
      const got = await store.claim({ queues: ['q'], worker: 'w', max: 10, leaseMs: 30_000, excludeProducts: ['atlas'] });
      expect(got.map((t) => t.id).sort()).toEqual([other.id, untagged.id].sort());
    });

    it('counts and applies a bulk action in chunks, to the states it allows only', async () => {
      const made = [];
      for (let i = 0; i < 5; i++) made.push((await store.enqueue(enqueueInput({ tags: { product: i < 3 ? 'a' : 'b' } }), 'op')).task);
      const leased = await claimOne();
      expect(leased.id).toBe(made[0]?.id);
      await store.enqueue(enqueueInput({ queue: 'other' }), 'op');
      expect(await store.bulkCount('cancel', { queue: 'q' })).toBe(5);
      expect(await store.bulkCount('cancel', { queue: 'q', 'tag.product': 'a' })).toBe(3);
      expect(await store.bulkCount('retry', { queue: 'q' })).toBe(0);
      // Retry applies to no state a filter on ready names: nothing matches.
      expect(await store.bulkCount('retry', { queue: 'q', state: ['ready'] })).toBe(0);
      const first = await store.bulkChunk('cancel', { queue: 'q' }, 2);
      expect(first.map((t) => t.id).sort()).toEqual([made[0]?.id, made[1]?.id]);
      expect(first.every((t) => t.state === 'cancelled')).toBe(true);
      const rest = await store.bulkChunk('cancel', { queue: 'q' }, 10);
      expect(rest).toHaveLength(3);
      expect(await store.bulkChunk('cancel', { queue: 'q' }, 10)).toEqual([]);
      expect((await store.get((await store.list(list({ queue: 'other' }))).tasks[0]?.id ?? ''))?.state).toBe('ready');
      // The lease of a cancelled task is worthless, and a bulk retry brings all five back.
      expect((await refused(store.complete(leased.id, leased.leaseToken, null))).code).toBe('lease_lost');
      expect(await store.bulkCount('retry', { queue: 'q' })).toBe(5);
      const retried = await store.bulkChunk('retry', { queue: 'q' });
      expect(retried.map((t) => [t.state, t.attempts])).toEqual(Array.from({ length: 5 }, () => ['ready', 0]));
      expect((await store.history(leased.id)).map((e) => e.state)).toEqual(['ready', 'leased', 'cancelled', 'ready']);
    });

    it('enqueues one task per schedule slot, however many times the slot is asked for', async () => {
      await fixture.addSchedule('s_1');
      await fixture.addSchedule('s_2');
      const task = { queue: 'q', type: 't', payload: { s: 1 }, priority: 0, maxAttempts: 5, tags: {} };
      const [a, b] = await Promise.all([store.enqueueForSlot('s_1', 1000, task, 'schedule:x'), store.enqueueForSlot('s_1', 1000, task, 'schedule:x')]);
      const made = [a, b].filter((t) => t !== undefined);
      expect(made).toHaveLength(1);
      expect(made[0]).toMatchObject({ queue: 'q', state: 'ready', payload: { s: 1 } });
      expect(await store.enqueueForSlot('s_1', 1000, task, 'schedule:x')).toBeUndefined();
      expect(await store.enqueueForSlot('s_1', 2000, task, 'schedule:x')).toMatchObject({ state: 'ready' });
      expect(await store.enqueueForSlot('s_2', 1000, task, 'schedule:y')).toMatchObject({ state: 'ready' });
      expect((await store.list(list())).tasks).toHaveLength(3);
    });

    it('lists the limits as set, and reads a change made elsewhere', async () => {
      expect(await store.listLimits()).toEqual([]);
      const limit = { kind: 'queue', name: 'q', paused: true, maxInFlight: 3, maxDepth: null } as const;
      expect(await store.setLimit(limit)).toEqual(limit);
      await store.setLimit({ kind: 'product', name: 'p', paused: false, maxInFlight: null, maxDepth: 7 });
      await store.setLimit({ ...limit, paused: false });
      const limits = await store.listLimits();
      expect([...limits].sort((x, y) => (x.kind < y.kind ? -1 : 1))).toEqual([
        { kind: 'product', name: 'p', paused: false, maxInFlight: null, maxDepth: 7 },
        { ...limit, paused: false },
      ]);
    });

    it('claims tasks of equal priority and runAt oldest id first, one claim or many, across queues under limits', async () => {
      const runAt = new Date(Date.now() - 5000).toISOString();
      const made: string[] = [];
      for (let i = 0; i < 6; i++) made.push((await store.enqueue(enqueueInput({ queue: i % 2 ? 'b' : 'a', runAt }), 'op')).task.id);
      const one = await store.claim({ queues: ['a', 'b'], worker: 'w', max: 3, leaseMs: 30_000 });
      expect(one.map((t) => t.id)).toEqual(made.slice(0, 3));
      // The same order when an in-flight limit makes the claim count queue by queue.
      await store.setLimit({ kind: 'queue', name: 'a', paused: false, maxInFlight: 10, maxDepth: null });
      const limited = await store.claim({ queues: ['a', 'b'], worker: 'w', max: 3, leaseMs: 30_000 });
      expect(limited.map((t) => t.id)).toEqual(made.slice(3));
    });

    it('never leases one task to two claimers at once', async () => {
      for (let i = 0; i < 120; i++) await store.enqueue(enqueueInput({ payload: i }), 'op');
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, w) => store.claim({ queues: ['q'], worker: `w${w}`, max: 15, leaseMs: 30_000 })),
      );
      const ids = results.flat().map((t) => t.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBe(120);
    });
  });
}
