/**
 * The KeyValue conformance suite: the same assertions for every backend (a database table,
 * a NATS KV bucket). Test-only code: it imports vitest and is never loaded by the host.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReefError, type KeyValue, type KvChange } from '../../sdk/index.js';
import { refused } from '../harness/refusal.js';
import type { Database } from '../../main/db/database.js';
import { SqlKeyValue } from '../../main/kv/sql-kv.js';

export interface KvFixture {
  /** An empty store. */
  open(): Promise<KeyValue>;
  close(): Promise<void>;
}

/** A fixture over a SqlKeyValue table in `db` (SQLite or PostgreSQL); `close` ends what the test started. */
export function sqlKvFixture(db: Database, close: () => Promise<void>): KvFixture {
  return {
    open: async () => {
      const kv = new SqlKeyValue(db);
      await kv.init();
      return kv;
    },
    close,
  };
}

export function kvConformance(name: string, makeFixture: () => Promise<KvFixture>): void {
  describe(`KeyValue conformance: ${name}`, () => {
    let fixture: KvFixture;
    let kv: KeyValue;
    beforeEach(async () => {
      fixture = await makeFixture();
      kv = await fixture.open();
    });
    afterEach(async () => fixture?.close());

    it('puts and gets JSON values with growing revisions', async () => {
      expect(await kv.get('fleet.paused')).toBeUndefined();
      const r1 = await kv.put('fleet.paused', { all: false, products: ['atlas'] });
      const r2 = await kv.put('fleet.paused', { all: true, products: [] });
      expect(r2).toBeGreaterThan(r1);
      expect(await kv.get('fleet.paused')).toEqual({ key: 'fleet.paused', value: { all: true, products: [] }, revision: r2 });
    });

    it('creates only when absent', async () => {
      await kv.create('leader', { holder: 'a' });
      expect((await refused(kv.create('leader', { holder: 'b' }))).code).toBe('conflict');
      expect((await kv.get('leader'))?.value).toEqual({ holder: 'a' });
    });

    it('updates only at the revision read (compare-and-set), so one of two racers wins', async () => {
      const rev = await kv.put('counter', 0);
      const results = await Promise.allSettled([kv.update('counter', 1, rev), kv.update('counter', 2, rev)]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect((loser.reason as ReefError).code).toBe('conflict');
      expect([1, 2]).toContain((await kv.get('counter'))?.value);
    });

    it('deletes, lists keys by prefix, and refuses bad keys', async () => {
      await kv.put('agents.forge', 1);
      await kv.put('agents.quill', 2);
      await kv.put('other', 3);
      expect((await kv.keys('agents.')).sort()).toEqual(['agents.forge', 'agents.quill']);
      await kv.delete('agents.forge');
      expect(await kv.get('agents.forge')).toBeUndefined();
      expect((await kv.keys('agents.')).sort()).toEqual(['agents.quill']);
      expect((await refused(kv.put('bad key!', 1))).code).toBe('invalid_request');
    });

    it('tells watchers of later changes under their prefix', async () => {
      const seen: KvChange[] = [];
      const sub = await kv.watch('fleet.', (c) => seen.push(c));
      await kv.put('fleet.a', 1);
      await kv.put('elsewhere', 2);
      await kv.delete('fleet.a');
      await expect.poll(() => seen.length).toBe(2);
      expect(seen.map((c) => [c.key, c.deleted])).toEqual([
        ['fleet.a', false],
        ['fleet.a', true],
      ]);
      await sub.dispose();
    });
  });
}
