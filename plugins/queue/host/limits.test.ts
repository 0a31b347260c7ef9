import { describe, expect, it } from 'vitest';
import type { Row, SqlExecutor } from '../../../sdk/index.js';
import { LimitCache } from './limits.js';

/** A database whose queue_limits answer is set by the test; each read waits until released. */
function fakeDb() {
  let paused = 0;
  const pending: Array<() => void> = [];
  let reads = 0;
  const ex: SqlExecutor = {
    dialect: 'sqlite',
    query: async <T extends Row>() => {
      reads++;
      const value = paused;
      await new Promise<void>((r) => pending.push(r));
      return [{ kind: 'queue', name: 'q', paused: value, max_in_flight: null, max_depth: null }] as unknown as T[];
    },
    execute: async () => ({ changes: 0 }),
  };
  return {
    ex,
    setPaused: (p: number) => (paused = p),
    reads: () => reads,
    release: () => {
      for (const r of pending.splice(0)) r();
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('LimitCache', () => {
  it('reads once for many callers when cold, then serves a stale copy while one read refreshes it', async () => {
    const db = fakeDb();
    let clock = 0;
    const cache = new LimitCache(db.ex, 1000, () => clock);
    const first = Array.from({ length: 10 }, () => cache.get());
    await flush();
    expect(db.reads()).toBe(1);
    db.release();
    expect((await Promise.all(first)).every((l) => l[0]?.paused === false)).toBe(true);

    clock = 1500;
    db.setPaused(1);
    // Stale: answered at once with the old copy, one refresh behind for all ten.
    const stale = await Promise.all(Array.from({ length: 10 }, () => cache.get()));
    expect(stale.every((l) => l[0]?.paused === false)).toBe(true);
    expect(db.reads()).toBe(2);
    db.release();
    await flush();
    expect((await cache.get())[0]?.paused).toBe(true);
    expect(db.reads()).toBe(2);
  });

  it('after a change made here, waits for a fresh read and ignores one already under way', async () => {
    const db = fakeDb();
    let clock = 0;
    const cache = new LimitCache(db.ex, 1000, () => clock);
    const warm = cache.get();
    db.release();
    await warm;
    clock = 1500;
    void cache.get(); // starts a background refresh that will read "not paused"
    db.setPaused(1);
    cache.invalidate();
    const fresh = cache.get();
    await flush();
    expect(db.reads()).toBe(3);
    db.release();
    expect((await fresh)[0]?.paused).toBe(true);
    await flush();
    expect((await cache.get())[0]?.paused).toBe(true); // the older read did not overwrite it
  });

  it("reads a cold cache on the caller's transaction when given one", async () => {
    const db = fakeDb();
    const tx = fakeDb();
    const cache = new LimitCache(db.ex);
    const got = cache.get(tx.ex);
    await flush();
    expect([db.reads(), tx.reads()]).toEqual([0, 1]);
    tx.release();
    await got;
  });
});
