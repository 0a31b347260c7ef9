/** The KeyValue conformance suite on a NATS KV bucket (a real nats-server), plus what only NATS has: other hosts, outages, replicas. */
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { KvChange } from '../../sdk/index.js';
import { natsOrSkip, startNats, startNatsCluster, type RunningNats } from '../../test/harness/nats.js';
import { refused } from '../../test/harness/refusal.js';
import { openNatsConnection } from '../bus/nats-bus.js';
import { kvConformance } from '../../test/conformance/kv.js';
import { openNatsKv, type NatsKeyValue } from './nats-kv.js';

const hasNats = natsOrSkip('NatsKeyValue');


describe.runIf(hasNats)('NatsKeyValue', () => {
  let nats: RunningNats;
  let nc: NatsConnection;
  let n = 0;
  const opened: NatsKeyValue[] = [];
  const connections: NatsConnection[] = [];
  /** A fresh bucket per call, so tests never see each other's keys. */
  const freshBucket = () => `t${++n}`;
  const open = async (connection: NatsConnection, bucket: string, options: { timeoutMs?: number } = {}) => {
    const kv = await openNatsKv(connection, { bucket, ...options });
    opened.push(kv);
    return kv;
  };

  beforeAll(async () => {
    nats = await startNats();
    nc = await openNatsConnection(nats.url);
  });
  afterEach(() => {
    for (const kv of opened.splice(0)) kv.close();
  });
  afterAll(async () => {
    await Promise.all([nc, ...connections].map((c) => c?.close()));
    await nats?.stop();
  });

  kvConformance('NATS KV bucket', async () => ({
    open: () => open(nc, freshBucket()),
    close: async () => {},
  }));

  it('creates the bucket "reef" by default, and opens an existing one with its data', async () => {
    const first = await openNatsKv(nc);
    opened.push(first);
    expect(first.bucket).toBe('reef');
    const rev = await first.put('hello', { n: 1 });
    const again = await open(nc, 'reef');
    expect(await again.get('hello')).toEqual({ key: 'hello', value: { n: 1 }, revision: rev });
  });

  it('shares state and changes between hosts (two connections, one bucket)', async () => {
    const bucket = freshBucket();
    const other = await openNatsConnection(nats.url);
    connections.push(other);
    const a = await open(nc, bucket);
    const b = await open(other, bucket);
    const seen: KvChange[] = [];
    const sub = await b.watch('leader', (c) => seen.push(c));
    const rev = await a.create('leader', { holder: 'a' });
    expect((await refused(b.create('leader', { holder: 'b' }))).code).toBe('conflict');
    expect((await refused(b.update('leader', { holder: 'b' }, rev - 1))).code).toBe('conflict');
    const rev2 = await b.update('leader', { holder: 'b' }, rev);
    expect((await refused(a.update('leader', { holder: 'a' }, rev))).code).toBe('conflict');
    await expect.poll(() => seen.length).toBe(2);
    expect(seen[1]).toEqual({ key: 'leader', deleted: false, entry: { key: 'leader', value: { holder: 'b' }, revision: rev2 } });
    await sub.dispose();
  });

  it('recreates a deleted key, refuses update at any revision once deleted, and matches prefixes by string', async () => {
    const kv = await open(nc, freshBucket());
    const rev = await kv.create('lock', 1);
    await kv.delete('lock');
    expect((await refused(kv.update('lock', 2, rev))).code).toBe('conflict');
    expect((await refused(kv.update('lock', 2, 0))).code).toBe('conflict');
    const again = await kv.create('lock', 3);
    expect(again).toBeGreaterThan(rev);
    expect((await kv.get('lock'))?.value).toBe(3);
    await kv.put('lockout.a', 1);
    await kv.put('agents.forge.x', 1);
    expect(await kv.keys('lock')).toEqual(['lock', 'lockout.a']);
    expect(await kv.keys('agents.fo')).toEqual(['agents.forge.x']);
    expect(await kv.keys('agents..')).toEqual([]);
    expect(await kv.keys()).toEqual(['agents.forge.x', 'lock', 'lockout.a']);
  });

  it('reports a watch with no replay, and purges as deletions', async () => {
    const bucket = freshBucket();
    const kv = await open(nc, bucket);
    await kv.put('fleet.old', 1);
    const seen: KvChange[] = [];
    const sub = await kv.watch('fleet.', (c) => seen.push(c));
    await kv.put('fleet.new', 2);
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]?.key).toBe('fleet.new');
    // Another client (the nats CLI, say) purging the key: reported as a deletion.
    const raw = await new Kvm(nc).open(bucket);
    await raw.purge('fleet.new');
    await expect.poll(() => seen.length).toBe(2);
    expect(seen[1]).toEqual({ key: 'fleet.new', deleted: true });
    expect(await kv.get('fleet.new')).toBeUndefined();
    await sub.dispose();
  });

  it('refuses values that are not JSON, bad keys and bad bucket names', async () => {
    const kv = await open(nc, freshBucket());
    expect((await refused(kv.put('x', undefined))).code).toBe('invalid_request');
    expect((await refused(kv.get('a..b'))).code).toBe('invalid_request');
    expect((await refused(kv.create('a*', 1))).code).toBe('invalid_request');
    expect((await refused(openNatsKv(nc, { bucket: 'no.dots' }))).code).toBe('invalid_request');
  });

  it('is unavailable while JetStream cannot be reached, and works again after', async () => {
    const server = await startNats({ name: 'kv-outage' });
    try {
      const conn = await openNatsConnection(server.url, { reconnectTimeWait: 50, maxReconnectAttempts: -1 });
      connections.push(conn);
      // Creating the stream on a fresh JetStream and the healthy put get the default 5 s: a loaded
      // CI machine can take longer than 300 ms for them.
      const kv = await open(conn, 'outage');
      await kv.put('k', 1);
      // A second handle on the same (existing) bucket with a short timeout, only for the outage,
      // so each refusal below comes quickly.
      const short = await open(conn, 'outage', { timeoutMs: 300 });
      await server.kill();
      expect((await refused(short.get('k'))).code).toBe('unavailable');
      expect((await refused(short.put('k', 2))).code).toBe('unavailable');
      expect((await refused(short.keys())).code).toBe('unavailable');
      await server.restart();
      await expect.poll(async () => (await kv.get('k').catch(() => undefined))?.value).toBe(1);
    } finally {
      await server.stop();
    }
  });
});

describe.runIf(hasNats)('NatsKeyValue on a 3-node cluster', () => {
  it('keeps 3 replicas and serves compare-and-set with one node down', async () => {
    const cluster = await startNatsCluster(3);
    const conn = await openNatsConnection(cluster.urls);
    try {
      const kv = await openNatsKv(conn, { bucket: 'reef', replicas: 3, timeoutMs: 2000 });
      expect((await (await jetstreamManager(conn)).streams.info('KV_reef')).config.num_replicas).toBe(3);
      const rev = await kv.create('scheduler.leader', { holder: 'a' });
      // Kill a follower that is not our server: the stream keeps its leader and a quorum of 2.
      // (Killing the stream leader would be a few seconds of `unavailable` while a new one is elected.)
      const info = await (await jetstreamManager(conn)).streams.info('KV_reef');
      const spare = new Set([info.cluster?.leader, conn.info?.server_name]);
      const down = cluster.nodes.find((_, i) => !spare.has(`n${i + 1}`));
      expect(down).toBeDefined();
      await down?.kill();
      const rev2 = await kv.update('scheduler.leader', { holder: 'b' }, rev);
      expect((await refused(kv.update('scheduler.leader', { holder: 'c' }, rev))).code).toBe('conflict');
      expect(await kv.get('scheduler.leader')).toEqual({ key: 'scheduler.leader', value: { holder: 'b' }, revision: rev2 });
      kv.close();
    } finally {
      await conn.close();
      await cluster.stop();
    }
  });
});
