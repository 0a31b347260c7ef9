import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalBus } from '../../../main/bus/local-bus.js';
import { silentLogger } from '../../../main/host/log.js';
import { PluginHost } from '../../../main/host/plugin-host.js';
import { RouteTable } from '../../../main/server/routes.js';
import { ManifestSchema, type HostInfo } from '../../../sdk/index.js';
import { rate } from './index.js';

const pluginDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The real manifest, pointed at the source module (the compiled host/index.js exists only in dist/). */
function readManifestFromSource() {
  const manifest = ManifestSchema.parse(JSON.parse(readFileSync(path.join(pluginDir, 'reef-plugin.json'), 'utf8')));
  return { ...manifest, host: 'host/index.ts' };
}

describe('rate', () => {
  it('divides counter growth by the interval; a counter reset reads as zero', () => {
    expect(rate({ requests: 10, publishes: 4, errors: 1 }, { requests: 30, publishes: 4, errors: 3 }, 2, 99)).toEqual({
      at: 99,
      requestsPerSec: 10,
      publishesPerSec: 0,
      errorsPerSec: 1,
    });
    expect(rate({ requests: 50, publishes: 0, errors: 0 }, { requests: 5, publishes: 0, errors: 0 }, 1, 0).requestsPerSec).toBe(0);
  });
});

describe('overview plugin in a host', () => {
  let bus: LocalBus;
  let host: PluginHost;
  let clock = 1_000_000;

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    bus = new LocalBus();
    // The manifest names the compiled host/index.js; from source the test loads index.ts.
    const manifest = readManifestFromSource();
    host = new PluginHost({
      bus,
      db: undefined,
      routes: new RouteTable(),
      log: silentLogger(),
      hostInfo: () => ({ version: '0.1.0', tier: 'single-box' }) as HostInfo,
      settings: {},
      now: () => clock,
    });
    host.add({ manifest, dir: pluginDir, builtin: true });
  });
  afterEach(async () => {
    await host.deactivateAll();
    await bus.close();
    vi.useRealTimers();
  });

  it('serves a summary and publishes traffic and status each second until deactivated', async () => {
    expect(await host.activate('overview')).toBe('active');
    const events: Array<[string, unknown]> = [];
    await bus.subscribe('reef.v1.events.overview.>', (b, s) => events.push([s, b]));

    await bus.request('reef.v1.overview.summary', {});
    clock += 1000;
    vi.advanceTimersByTime(1000);
    await new Promise((r) => setTimeout(r, 5));
    const traffic = events.find(([s]) => s === 'reef.v1.events.overview.traffic')?.[1];
    expect(traffic).toEqual({ at: clock, requestsPerSec: 1, publishesPerSec: 0, errorsPerSec: 0 });
    expect(events.find(([s]) => s === 'reef.v1.events.overview.status')?.[1]).toEqual({ text: 'bus 1 msg/s', tone: 'neutral' });

    const summary = await bus.request<{ host: HostInfo; plugins: Array<{ id: string; state: string }>; traffic: unknown[] }>(
      'reef.v1.overview.summary',
      {},
    );
    expect(summary.host.tier).toBe('single-box');
    expect(summary.plugins.map((p) => [p.id, p.state])).toEqual([['overview', 'active']]);
    expect(summary.traffic).toEqual([traffic]);

    // Its own two publishes per second are not counted as traffic.
    clock += 1000;
    vi.advanceTimersByTime(1000);
    await new Promise((r) => setTimeout(r, 5));
    expect(events.filter(([s]) => s === 'reef.v1.events.overview.traffic').at(-1)?.[1]).toMatchObject({ publishesPerSec: 0, requestsPerSec: 1 });

    await host.deactivate('overview');
    const count = events.length;
    vi.advanceTimersByTime(5000);
    await new Promise((r) => setTimeout(r, 5));
    expect(events.length).toBe(count);
    await expect(bus.request('reef.v1.overview.summary', {})).rejects.toMatchObject({ code: 'unavailable' });
  });
});
