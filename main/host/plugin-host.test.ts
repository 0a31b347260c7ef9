import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HostInfo } from '../../sdk/contract.js';
import type { WorkerProcessLauncher } from '../../sdk/index.js';
import { everythingPlugin, writePlugins, type TestPlugin } from '../../test/harness/plugins.js';
import { tempDir, type TempDir } from '../../test/harness/tmp.js';
import { LocalBus } from '../bus/local-bus.js';
import { SqliteDatabase } from '../db/sqlite.js';
import { RouteTable } from '../server/routes.js';
import { silentLogger } from './log.js';
import { PluginHost } from './plugin-host.js';
import { discoverPlugins } from './plugin-loader.js';

const hostInfo = (): HostInfo => ({
  version: '0.1.0',
  tier: 'single-box',
  mode: 'browser',
  database: 'sqlite',
  bus: 'local',
  pid: 1,
  startedAt: 0,
  node: '20',
  platform: 'test',
  dataDir: '/tmp',
});

/** A plugin whose served subject runs one bus action and reports the error it got. */
function probePlugin(id: string, permissions: Record<string, unknown>): TestPlugin {
  return {
    id,
    manifest: { permissions: { bus: { serve: [`reef.v1.${id}.probe`], ...permissions } } },
    host: `
export async function activate(ctx) {
  await ctx.bus.serve('reef.v1.${id}.probe', async ({ action, subject, route }) => {
    try {
      if (action === 'route') ctx.http.route(route);
      else if (action === 'request') await ctx.bus.request(subject, {}, { timeoutMs: 200 });
      else if (action === 'publish') await ctx.bus.publish(subject, {});
      else if (action === 'subscribe') await ctx.bus.subscribe(subject, () => {});
      else await ctx.bus.serve(subject, () => ({}));
      return { ok: true };
    } catch (err) {
      return { ok: false, code: err.code, message: err.message, details: err.details };
    }
  });
}
`,
  };
}

/** A plugin that may serve `reef.v1.<id>.>` and `serve`, and maps each route onto `reef.v1.<id>.get`. */
function routingPlugin(id: string, routes: Array<{ method: string; path: string }>, serve: string[] = []): TestPlugin {
  return {
    id,
    manifest: { permissions: { bus: { serve: [`reef.v1.${id}.>`, ...serve] }, http: true } },
    host: `
globalThis.reefActivated = [...(globalThis.reefActivated ?? []), '${id}'];
export async function activate(ctx) {
  await ctx.bus.serve('reef.v1.${id}.get', () => ({ from: '${id}' }));
  for (const r of ${JSON.stringify(routes)}) ctx.http.route({ ...r, subject: 'reef.v1.${id}.get', scopes: ['operator'] });
}
`,
  };
}

describe('PluginHost', () => {
  let dir: TempDir;
  let bus: LocalBus;
  let routes: RouteTable;
  let host: PluginHost;
  let db: SqliteDatabase | undefined;

  beforeEach(() => {
    dir = tempDir('reef-plugin-host-');
    bus = new LocalBus();
    routes = new RouteTable();
  });
  afterEach(async () => {
    await host?.deactivateAll();
    await bus.close();
    await db?.close();
    db = undefined;
    dir.remove();
  });

  async function start(plugins: TestPlugin[], options: { activationTimeoutMs?: number; settings?: Record<string, Record<string, string>>; launchWorker?: WorkerProcessLauncher } = {}) {
    const root = path.join(dir.path, 'plugins');
    writePlugins(root, plugins);
    const { plugins: found, problems } = discoverPlugins([{ dir: root, builtin: false }]);
    expect(problems).toEqual([]);
    db = new SqliteDatabase({ file: path.join(dir.path, 'reef.db') });
    host = new PluginHost({
      bus,
      db,
      routes,
      log: silentLogger(),
      hostInfo,
      settings: options.settings ?? {},
      now: () => 42,
      ...(options.activationTimeoutMs !== undefined ? { activationTimeoutMs: options.activationTimeoutMs } : {}),
      ...(options.launchWorker ? { launchWorker: options.launchWorker } : {}),
    });
    for (const p of found) host.add(p);
    await host.activateAll();
    return host;
  }

  const states = () => Object.fromEntries(host.list().map((p) => [p.id, p.state]));

  it('activates plugins; their served subjects answer with the plugin as caller context and settings', async () => {
    await start([everythingPlugin('alpha')], { settings: { alpha: { greeting: 'hi' } } });
    expect(states()).toEqual({ alpha: 'active' });
    const reply = await bus.request<{ pong: boolean; settings: unknown }>('reef.v1.alpha.ping', { x: 1 });
    expect(reply).toMatchObject({ pong: true, body: { x: 1 }, settings: { greeting: 'hi' } });
  });

  it('manifest setting defaults apply when the config sets nothing', async () => {
    await start([everythingPlugin('alpha')]);
    expect(await bus.request('reef.v1.alpha.ping', {})).toMatchObject({ settings: { greeting: 'hello' } });
  });

  it('a plugin whose activate throws is failed with its error, its registrations undone, and the others run', async () => {
    await start([
      {
        id: 'broken',
        manifest: { permissions: { bus: { serve: ['reef.v1.broken.>'] } } },
        host: `export async function activate(ctx) {
  await ctx.bus.serve('reef.v1.broken.half', () => 'half');
  throw new Error('config missing: API key');
}`,
      },
      everythingPlugin('healthy'),
    ]);
    expect(states()).toEqual({ broken: 'failed', healthy: 'active' });
    expect(host.list().find((p) => p.id === 'broken')?.error).toBe('config missing: API key');
    await expect(bus.request('reef.v1.broken.half', {})).rejects.toMatchObject({ code: 'unavailable' });
    expect(await bus.request('reef.v1.healthy.ping', {})).toMatchObject({ pong: true });
  });

  it('a plugin that hangs in activate fails after the timeout; one without activate fails naming its file', async () => {
    await start(
      [
        { id: 'hangs', host: 'export function activate() { return new Promise(() => {}); }' },
        { id: 'noexport', host: 'export const nothing = 1;' },
      ],
      { activationTimeoutMs: 100 },
    );
    expect(host.list().map((p) => [p.id, p.state, p.error])).toEqual([
      ['hangs', 'failed', 'activate did not finish within 100 ms'],
      ['noexport', 'failed', 'host/index.js does not export an activate function'],
    ]);
  });

  it('what a timed-out activate registers later is undone at once, so a failed plugin serves nothing', async () => {
    await start(
      [
        {
          id: 'late',
          manifest: { permissions: { bus: { serve: ['reef.v1.late.>'] } } },
          host: `export async function activate(ctx) {
  await new Promise((r) => setTimeout(r, 120));
  await ctx.bus.serve('reef.v1.late.x', () => 'still here');
}`,
        },
      ],
      { activationTimeoutMs: 40 },
    );
    expect(states()).toEqual({ late: 'failed' });
    await new Promise((r) => setTimeout(r, 200));
    await expect(bus.request('reef.v1.late.x', {})).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('a timeout that fired, or was cancelled, is no longer held: a plugin re-arming timeouts does not grow the host', async () => {
    await start([
      {
        id: 'rearm',
        manifest: { permissions: {} },
        host: `export async function activate(ctx) {
  let n = 0;
  await new Promise((done) => {
    const tick = () => (++n < 300 ? ctx.timers.setTimeout(tick, 0) : done());
    ctx.timers.setTimeout(tick, 0);
  });
  for (let i = 0; i < 100; i++) ctx.timers.setTimeout(() => {}, 60_000).dispose();
  globalThis.rearmTicks = n;
}`,
      },
    ]);
    expect(states()).toEqual({ rearm: 'active' });
    expect((globalThis as { rearmTicks?: number }).rearmTicks).toBe(300);
    expect(host.heldCount('rearm')).toBeLessThan(5);
  });

  it('deactivate disposes everything the plugin registered: served subjects, subscriptions, timers and routes', async () => {
    await start([everythingPlugin('alpha', 10)]);
    const ticks: unknown[] = [];
    const outs: unknown[] = [];
    await bus.subscribe('reef.v1.events.alpha.tick', (b) => ticks.push(b));
    await bus.subscribe('reef.v1.events.alpha.out', (b) => outs.push(b));
    await bus.publish('reef.v1.events.alpha.in', { n: 1 });
    await new Promise((r) => setTimeout(r, 60));
    expect(ticks.length).toBeGreaterThan(0);
    expect(ticks[0]).toEqual({ at: 42 });
    expect(outs).toEqual([{ n: 1 }]);
    expect(routes.list().map((r) => `${r.method} ${r.path} ${r.plugin}`)).toEqual(['GET /v1/alpha/:name alpha', 'POST /v1/alpha/:name alpha']);

    await host.deactivate('alpha');
    expect(states()).toEqual({ alpha: 'inactive' });
    const ticksAtStop = ticks.length;
    await bus.publish('reef.v1.events.alpha.in', { n: 2 });
    await new Promise((r) => setTimeout(r, 60));
    expect(ticks.length).toBe(ticksAtStop);
    expect(outs).toEqual([{ n: 1 }]);
    await expect(bus.request('reef.v1.alpha.ping', {})).rejects.toMatchObject({ code: 'unavailable' });
    expect(routes.list()).toEqual([]);
    expect(routes.match('GET', '/v1/alpha/x')).toBeUndefined();
  });

  it('a deactivated plugin can be activated again and serves as before', async () => {
    await start([everythingPlugin('alpha')]);
    await host.deactivate('alpha');
    expect(await host.activate('alpha')).toBe('active');
    expect(await bus.request('reef.v1.alpha.ping', {})).toMatchObject({ pong: true });
    expect(routes.list()).toHaveLength(2);
  });

  it('calls the module deactivate and onDispose callbacks', async () => {
    await start([
      {
        id: 'tidy',
        manifest: { permissions: { bus: { publish: ['reef.v1.events.tidy.>'] } } },
        host: `let ctxRef;
export function activate(ctx) { ctxRef = ctx; ctx.onDispose(() => ctx.bus.publish('reef.v1.events.tidy.disposed', {})); }
export async function deactivate() { await ctxRef.bus.publish('reef.v1.events.tidy.deactivated', {}); }`,
      },
    ]);
    const seen: string[] = [];
    await bus.subscribe('reef.v1.events.tidy.*', (_b, s) => seen.push(s));
    await host.deactivate('tidy');
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['reef.v1.events.tidy.deactivated', 'reef.v1.events.tidy.disposed']);
  });

  it('reports every change of plugin state to listeners', async () => {
    const root = path.join(dir.path, 'plugins');
    writePlugins(root, [everythingPlugin('alpha')]);
    host = new PluginHost({ bus, db: undefined, routes, log: silentLogger(), hostInfo, settings: {} });
    const seen: string[] = [];
    const stop = host.onChange(() => seen.push(host.list().map((p) => p.state).join(',')));
    for (const p of discoverPlugins([{ dir: root, builtin: false }]).plugins) host.add(p);
    await host.activateAll();
    stop();
    await host.deactivateAll();
    expect(seen).toEqual(['loaded', 'activating', 'active']);
  });

  describe('conflicts between plugins', () => {
    const activated = () => (globalThis as { reefActivated?: string[] }).reefActivated ?? [];
    beforeEach(() => {
      delete (globalThis as { reefActivated?: string[] }).reefActivated;
    });

    it('a plugin whose serve grant overlaps an earlier plugin\'s is failed, naming both, and none of its code runs', async () => {
      await start([
        routingPlugin('aqueue', [], ['reef.v1.queue.>']),
        routingPlugin('impostor', [], ['reef.v1.queue.tasks.get']),
      ]);
      expect(host.list().map((p) => [p.id, p.state, p.error])).toEqual([
        ['aqueue', 'active', undefined],
        [
          'impostor',
          'failed',
          'permissions.bus.serve: "reef.v1.queue.tasks.get" of plugin impostor overlaps "reef.v1.queue.>" of plugin aqueue; ' +
            'two plugins may not serve the same subjects, so impostor is not started',
        ],
      ]);
      expect(activated()).toEqual(['aqueue']);
      await expect(bus.request('reef.v1.impostor.get', {})).rejects.toMatchObject({ code: 'unavailable' });
    });

    it('the refusal holds against whoever runs: after the first stops the second may start, and then the first is refused', async () => {
      await start([routingPlugin('first', [], ['reef.v1.shared.>']), routingPlugin('second', [], ['reef.v1.shared.tasks.get'])]);
      expect(states()).toEqual({ first: 'active', second: 'failed' });
      await host.deactivate('first');
      expect(await host.activate('second')).toBe('active');
      expect(await host.activate('first')).toBe('failed');
      expect(host.list().find((p) => p.id === 'first')?.error).toMatch(/"reef\.v1\.shared\.>" of plugin first overlaps "reef\.v1\.shared\.tasks\.get" of plugin second/);
    });

    it('plugins with disjoint serve grants all start', async () => {
      await start([routingPlugin('one', [], ['reef.v1.one.>', 'reef.v1.x.*']), routingPlugin('two', [], ['reef.v1.two.>', 'reef.v1.x.*.y'])]);
      expect(states()).toEqual({ one: 'active', two: 'active' });
    });

    it('a route that can match another plugin\'s route fails the later plugin, naming both routes and plugins', async () => {
      await start([
        routingPlugin('things', [
          { method: 'GET', path: '/v1/things/:id' },
          // A plugin's own routes may overlap: the literal one wins.
          { method: 'GET', path: '/v1/things/count' },
        ]),
        routingPlugin('wildcard', [
          { method: 'GET', path: '/v1/wildcard/list' },
          { method: 'GET', path: '/v1/:kind/special' },
        ]),
        routingPlugin('writer', [{ method: 'POST', path: '/v1/things/:id' }]),
      ]);
      expect(host.list().map((p) => [p.id, p.state, p.error])).toEqual([
        ['things', 'active', undefined],
        [
          'wildcard',
          'failed',
          'route GET /v1/:kind/special of plugin wildcard shadows GET /v1/things/:id of plugin things; two plugins may not answer the same requests',
        ],
        ['writer', 'active', undefined],
      ]);
      expect(routes.list().map((r) => `${r.method} ${r.path} ${r.plugin}`).sort()).toEqual([
        'GET /v1/things/:id things',
        'GET /v1/things/count things',
        'POST /v1/things/:id writer',
      ]);
      expect(routes.match('GET', '/v1/things/special')).toMatchObject({ route: { subject: 'reef.v1.things.get' } });
    });

    it('a plugin that catches the refusal of its shadowing route is failed all the same, and keeps nothing', async () => {
      await start([
        routingPlugin('things', [{ method: 'GET', path: '/v1/things/:id' }]),
        {
          id: 'wily',
          manifest: { permissions: { bus: { serve: ['reef.v1.wily.>'] }, http: true } },
          host: `export async function activate(ctx) {
  await ctx.bus.serve('reef.v1.wily.get', () => ({}));
  try {
    ctx.http.route({ method: 'GET', path: '/v1/:kind/:id', subject: 'reef.v1.wily.get', scopes: ['operator'] });
  } catch {}
}`,
        },
      ]);
      expect(host.list().find((p) => p.id === 'wily')).toMatchObject({
        state: 'failed',
        error: expect.stringMatching(/^route GET \/v1\/:kind\/:id of plugin wily shadows GET \/v1\/things\/:id of plugin things/),
      });
      await expect(bus.request('reef.v1.wily.get', {})).rejects.toMatchObject({ code: 'unavailable' });
    });
  });

  describe('permissions', () => {
    const probe = (body: Record<string, unknown>) =>
      bus.request<{ ok: boolean; code?: string; message?: string; details?: unknown }>('reef.v1.limited.probe', body);

    beforeEach(async () => {
      await start([
        probePlugin('limited', {
          request: ['reef.v1.tasks.claim'],
          publish: ['reef.v1.events.limited.*'],
          subscribe: ['reef.v1.events.tasks.*'],
        }),
      ]);
      await bus.serve('reef.v1.tasks.>', () => ({ served: true }));
    });

    it.each([
      ['request', 'reef.v1.tasks.enqueue', 'bus.request'],
      ['publish', 'reef.v1.events.other.x', 'bus.publish'],
      ['publish', 'reef.v1.events.limited.a.b', 'bus.publish'],
      ['subscribe', 'reef.v1.events.>', 'bus.subscribe'],
      ['subscribe', 'reef.v1.events.tasks.*.x', 'bus.subscribe'],
      ['serve', 'reef.v1.tasks.claim', 'bus.serve'],
      ['serve', 'reef.v1.limited.>', 'bus.serve'],
    ])('refuses %s on %s with forbidden naming permissions.%s', async (action, subject, permission) => {
      const result = await probe({ action, subject });
      expect(result.ok).toBe(false);
      expect(result.code).toBe('forbidden');
      expect(result.message).toContain(`permissions.${permission}`);
      expect(result.message).toContain(subject);
      expect(result.details).toEqual({ plugin: 'limited', permission, subject });
    });

    it.each([
      ['request', 'reef.v1.tasks.claim'],
      ['publish', 'reef.v1.events.limited.x'],
      ['subscribe', 'reef.v1.events.tasks.*'],
      ['subscribe', 'reef.v1.events.tasks.done'],
    ])('allows %s on %s within its grants', async (action, subject) => {
      expect(await probe({ action, subject })).toEqual({ ok: true });
    });

    it('a refused serve leaves nothing served', async () => {
      await probe({ action: 'serve', subject: 'reef.v1.other.thing' });
      await expect(bus.request('reef.v1.other.thing', {})).rejects.toMatchObject({ code: 'unavailable' });
    });

    it('HTTP routes need permissions.http and a subject the plugin may serve', async () => {
      const route = { method: 'GET', path: '/v1/limited', subject: 'reef.v1.limited.probe', scopes: ['operator'] };
      const noHttp = await probe({ action: 'route', route });
      expect(noHttp).toMatchObject({ ok: false, code: 'forbidden', message: expect.stringContaining('permissions.http') });
      expect(routes.list()).toEqual([]);
    });
  });

  it('a plugin with http permission cannot route onto a subject it may not serve', async () => {
    const p = probePlugin('router', {});
    p.manifest = { permissions: { bus: { serve: ['reef.v1.router.probe'] }, http: true } };
    await start([p]);
    const result = await bus.request('reef.v1.router.probe', {
      action: 'route',
      route: { method: 'GET', path: '/v1/tasks', subject: 'reef.v1.tasks.list', scopes: ['operator'] },
    });
    expect(result).toMatchObject({ ok: false, code: 'forbidden', message: expect.stringContaining('permissions.bus.serve') });
    expect(routes.list()).toEqual([]);
  });

  it('requests a plugin sends carry the plugin as caller', async () => {
    let caller: unknown;
    await bus.serve('reef.v1.tasks.claim', (_b, info) => {
      caller = info.caller;
      return {};
    });
    await start([probePlugin('limited', { request: ['reef.v1.tasks.claim'] })]);
    await bus.request('reef.v1.limited.probe', { action: 'request', subject: 'reef.v1.tasks.claim' });
    expect(caller).toEqual({ kind: 'plugin', id: 'limited' });
  });

  it("ctx.host.launchWorker is the shell's launcher where it gave one (Electron), and absent otherwise (plain Node)", async () => {
    const launcherProbe: TestPlugin = {
      id: 'launcher',
      manifest: { permissions: { bus: { serve: ['reef.v1.launcher.>'] } } },
      host: `export async function activate(ctx) {
  globalThis.reefLaunchWorker = ctx.host.launchWorker;
  await ctx.bus.serve('reef.v1.launcher.info', () => ({ has: 'launchWorker' in ctx.host }));
}`,
    };
    const g = globalThis as { reefLaunchWorker?: unknown };
    await start([launcherProbe]);
    expect(await bus.request('reef.v1.launcher.info', {})).toEqual({ has: false });
    expect(g.reefLaunchWorker).toBeUndefined();
    await host.deactivateAll();
    await db?.close();
    dir.remove();
    dir = tempDir('reef-plugin-host-');
    const launchWorker: WorkerProcessLauncher = () => ({ pid: 1, send() {}, onMessage() {}, onExit() {}, kill() {} });
    await start([launcherProbe], { launchWorker });
    expect(await bus.request('reef.v1.launcher.info', {})).toEqual({ has: true });
    expect(g.reefLaunchWorker).toBe(launchWorker);
    delete g.reefLaunchWorker;
  });

  it('a plugin gets a database only when its manifest asks, and its migrations run', async () => {
    await start([
      {
        id: 'stored',
        manifest: { permissions: { bus: { serve: ['reef.v1.stored.>'] }, database: true } },
        host: `export async function activate(ctx) {
  const { applied } = await ctx.db.migrate([{ id: '001', sql: 'CREATE TABLE stored_items (v TEXT)' }]);
  await ctx.db.execute('INSERT INTO stored_items (v) VALUES (?)', ['x']);
  await ctx.bus.serve('reef.v1.stored.info', async () => ({ applied, rows: await ctx.db.query('SELECT v FROM stored_items') }));
}`,
      },
      {
        id: 'nodb',
        manifest: { permissions: { bus: { serve: ['reef.v1.nodb.>'] } } },
        host: `export async function activate(ctx) { await ctx.bus.serve('reef.v1.nodb.info', () => ({ hasDb: ctx.db !== undefined })); }`,
      },
    ]);
    expect(await bus.request('reef.v1.stored.info', {})).toEqual({ applied: ['001'], rows: [{ v: 'x' }] });
    expect(await bus.request('reef.v1.nodb.info', {})).toEqual({ hasDb: false });
    expect(await db?.query("SELECT plugin, id FROM reef_migrations")).toEqual([{ plugin: 'stored', id: '001' }]);
  });
});
