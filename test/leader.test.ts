/** LeaderLease on both KeyValue backends: SQLite (a real file) and a NATS KV bucket (a real nats-server). */
import path from 'node:path';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ReefError, type KeyValue } from '../sdk/index.js';
import { openNatsConnection } from '../main/bus/nats-bus.js';
import { SqliteDatabase } from '../main/db/sqlite.js';
import { openNatsKv, type NatsKeyValue } from '../main/kv/nats-kv.js';
import { sqlKvFixture, type KvFixture } from './conformance/kv.js';
import { LeaderLease } from '../sdk/leader.js';
import { natsOrSkip, startNats, type RunningNats } from './harness/nats.js';
import { tempDir } from './harness/tmp.js';

const TTL = 5000;
const KEY = 'scheduler.leader';

function leaseSuite(name: string, makeBackend: () => Promise<KvFixture>): void {
  describe(`LeaderLease on ${name}`, () => {
    let backend: KvFixture;
    let kv: KeyValue;
    let t: number;
    const now = () => t;
    const lease = (holder: string, store: KeyValue = kv) => new LeaderLease(store, KEY, holder, TTL, now);

    beforeEach(async () => {
      t = 1_700_000_000_000;
      backend = await makeBackend();
      kv = await backend.open();
    });
    afterEach(async () => backend?.close());

    it('lets exactly one of two racers lead', async () => {
      const a = lease('host-a');
      const b = lease('host-b', await backend.open()); // another host: its own handle on the same store
      const won = await Promise.all([a.tryAcquire(), b.tryAcquire()]);
      expect(won.filter(Boolean)).toHaveLength(1);
      expect([a.isLeader(), b.isLeader()]).toEqual(won);
      const leader = won[0] ? 'host-a' : 'host-b';
      expect((await kv.get(KEY))?.value).toEqual({ holder: leader, expiresAt: t + TTL });
      // Racing again: the live leader renews, the other still loses.
      const again = await Promise.all([a.tryAcquire(), b.tryAcquire()]);
      expect(again).toEqual(won);
    });

    it('lets many racers produce one leader', async () => {
      const leases = await Promise.all(Array.from({ length: 6 }, async (_, i) => lease(`host-${i}`, await backend.open())));
      const won = await Promise.all(leases.map((l) => l.tryAcquire()));
      expect(won.filter(Boolean)).toHaveLength(1);
      expect(leases.filter((l) => l.isLeader())).toHaveLength(1);
    });

    it('keeps the leader while it renews, and hands over once it stops for a ttl', async () => {
      const a = lease('host-a');
      const b = lease('host-b');
      expect(await a.tryAcquire()).toBe(true);
      for (let i = 0; i < 8; i++) {
        t += 1000; // 8 s in all: longer than the ttl, but renewed every second
        expect(await a.tryAcquire()).toBe(true);
        expect(await b.tryAcquire()).toBe(false);
        expect(a.isLeader()).toBe(true);
      }
      // a stops renewing: it stops believing it leads before b may take over.
      t += TTL - 1000;
      expect(a.isLeader()).toBe(false);
      expect(await b.tryAcquire()).toBe(false);
      t += 1000;
      expect(await b.tryAcquire()).toBe(true);
      expect(b.isLeader()).toBe(true);
      // a comes back: the lease is b's now.
      expect(await a.tryAcquire()).toBe(false);
      expect(a.isLeader()).toBe(false);
      expect((await kv.get(KEY))?.value).toEqual({ holder: 'host-b', expiresAt: t + TTL });
    });

    it('turns isLeader false after ttl minus the safety margin without a renew', async () => {
      const a = lease('host-a');
      expect(a.isLeader()).toBe(false);
      expect(await a.tryAcquire()).toBe(true);
      t += TTL - TTL / 5 - 1;
      expect(a.isLeader()).toBe(true);
      t += 1;
      expect(a.isLeader()).toBe(false);
      expect(await a.tryAcquire()).toBe(true); // still ours in the store: renewed
      expect(a.isLeader()).toBe(true);
    });

    it('releases the lease for the next host at once, and leaves a lease taken since alone', async () => {
      const a = lease('host-a');
      const b = lease('host-b');
      expect(await a.tryAcquire()).toBe(true);
      await a.release();
      expect(a.isLeader()).toBe(false);
      expect(await b.tryAcquire()).toBe(true);
      await a.release(); // not holding: nothing to do
      expect(await a.tryAcquire()).toBe(false);
      // a led, then lost it to b after expiry: its release must not touch b's lease.
      t += TTL;
      expect(await a.tryAcquire()).toBe(true);
      t += TTL;
      expect(await b.tryAcquire()).toBe(true);
      await a.release();
      expect((await kv.get(KEY))?.value).toEqual({ holder: 'host-b', expiresAt: t + TTL });
    });

    it('takes over an unreadable record, and shares one attempt between overlapping calls', async () => {
      await kv.put(KEY, 'garbage');
      const a = lease('host-a');
      const [x, y] = await Promise.all([a.tryAcquire(), a.tryAcquire()]);
      expect([x, y]).toEqual([true, true]);
      expect((await kv.get(KEY))?.value).toEqual({ holder: 'host-a', expiresAt: t + TTL });
    });

    it('throws what the store throws other than a conflict, and refuses a bad ttl', async () => {
      const broken: KeyValue = {
        ...kv,
        get: () => Promise.reject(new ReefError('unavailable', 'store down')),
      };
      await expect(new LeaderLease(broken, KEY, 'host-a', TTL, now).tryAcquire()).rejects.toMatchObject({ code: 'unavailable' });
      expect(() => new LeaderLease(kv, KEY, 'host-a', 0, now)).toThrow(ReefError);
    });
  });
}

leaseSuite('SQLite (SqlKeyValue)', async () => {
  const dir = tempDir('reef-leader-');
  const db = new SqliteDatabase({ file: path.join(dir.path, 'kv.db') });
  return sqlKvFixture(db, async () => {
    await db.close();
    dir.remove();
  });
});

const hasNats = natsOrSkip('LeaderLease on NATS KV');

describe.runIf(hasNats)('NATS', () => {
  let nats: RunningNats;
  const connections: NatsConnection[] = [];
  let n = 0;
  beforeAll(async () => {
    nats = await startNats({ name: 'leader-test' });
  });
  afterAll(async () => {
    await Promise.all(connections.map((c) => c.close()));
    await nats?.stop();
  });

  leaseSuite('NATS KV (NatsKeyValue)', async () => {
    const bucket = `leader${++n}`;
    const opened: NatsKeyValue[] = [];
    return {
      // Each open is another host: its own connection to the same bucket.
      open: async () => {
        const connection = await openNatsConnection(nats.url);
        connections.push(connection);
        const kv = await openNatsKv(connection, { bucket });
        opened.push(kv);
        return kv;
      },
      close: async () => {
        for (const kv of opened) kv.close();
      },
    };
  });
});
