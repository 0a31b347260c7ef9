import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsAvailability, natsOrSkip, startNats, startNatsCluster, type NatsCluster, type RunningNats } from './nats.js';
import { isListening } from './ports.js';

const hasNats = natsOrSkip('NATS harness');

interface Routez {
  num_routes: number;
}
interface Jsz {
  meta_cluster?: { leader?: string; cluster_size?: number };
}
const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;

describe('natsAvailability', () => {
  it('names the missing binary and how to provide it', () => {
    const missing = natsAvailability({ PATH: '/nonexistent' }, []);
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.reason).toMatch(/nats-server not found.*REEF_TEST_NATS_SERVER/);
    expect(natsAvailability({ PATH: '', REEF_TEST_NATS_SERVER: '/opt/nats-server' }, [])).toEqual({ ok: true });
  });
});

describe.runIf(hasNats)('startNats', () => {
  let nats: RunningNats;
  beforeAll(async () => {
    nats = await startNats();
  });
  afterAll(async () => {
    await nats?.stop();
  });

  it('listens on TCP and WebSocket with JetStream enabled, and comes back on the same ports after a kill', async () => {
    expect(nats.url).toBe(`nats://127.0.0.1:${nats.port}`);
    expect(await isListening(nats.port)).toBe(true);
    expect(await isListening(nats.wsPort)).toBe(true);
    const jsz = await getJson<{ config?: { store_dir?: string } }>(`${nats.monitorUrl}/jsz`);
    expect(jsz.config?.store_dir).toContain(nats.storeDir);

    await nats.kill();
    expect(nats.running()).toBe(false);
    expect(await isListening(nats.port)).toBe(false);
    await nats.restart();
    expect(await isListening(nats.port)).toBe(true);
    expect(await isListening(nats.wsPort)).toBe(true);
  });
});

describe.runIf(hasNats)('startNatsCluster', () => {
  let cluster: NatsCluster;
  beforeAll(async () => {
    cluster = await startNatsCluster(3);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('routes three JetStream nodes into one cluster; a killed node rejoins and the routes heal', async () => {
    expect(cluster.urls).toHaveLength(3);
    for (const node of cluster.nodes) {
      expect((await getJson<Routez>(`${node.monitorUrl}/routez`)).num_routes).toBeGreaterThanOrEqual(2);
      const jsz = await getJson<Jsz>(`${node.monitorUrl}/jsz`);
      expect(jsz.meta_cluster?.leader).toBeTruthy();
      expect(jsz.meta_cluster?.cluster_size).toBe(3);
    }

    const [victim, ...survivors] = cluster.nodes;
    if (!victim) throw new Error('no nodes');
    await victim.kill();
    // The survivors notice the dead route; two of three still hold a JetStream quorum.
    await cluster.healthy();
    for (const node of survivors) {
      await expect.poll(async () => (await getJson<Routez>(`${node.monitorUrl}/routez`)).num_routes, { timeout: 5000 }).toBe(1);
    }

    await victim.restart();
    for (const node of cluster.nodes) {
      expect((await getJson<Routez>(`${node.monitorUrl}/routez`)).num_routes).toBeGreaterThanOrEqual(2);
      expect((await getJson<Jsz>(`${node.monitorUrl}/jsz`)).meta_cluster?.leader).toBeTruthy();
    }
  });
});
