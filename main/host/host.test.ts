import { chmodSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { everythingPlugin, writePlugins } from '../../test/harness/plugins.js';
import { postgresOrSkip, startPostgres, type RunningPostgres } from '../../test/harness/postgres.js';
import { isListening } from '../../test/harness/ports.js';
import { tempDir, type TempDir } from '../../test/harness/tmp.js';
import { operatorTokenPath } from '../server/tokens.js';
import { resolveConfig, type HostConfig } from './config.js';
import { startHost, type Host } from './host.js';
import { silentLogger } from './log.js';

describe('startHost', () => {
  let dir: TempDir;
  let host: Host | undefined;
  let pluginsDir: string;

  beforeEach(() => {
    dir = tempDir('reef-host-');
    pluginsDir = path.join(dir.path, 'builtin');
    writePlugins(pluginsDir, [
      everythingPlugin('alpha'),
      {
        id: 'broken',
        host: "export function activate() { throw new Error('needs a GPU'); }",
      },
      { id: 'badmanifest', manifest: { version: 'one' } },
      { id: 'switchedoff', host: 'export function activate() {}' },
    ]);
  });
  afterEach(async () => {
    await host?.stop();
    host = undefined;
    dir.remove();
  });

  const config = (overrides: Partial<HostConfig> = {}): HostConfig => ({
    ...resolveConfig({ dataDir: path.join(dir.path, 'data'), port: 0 }, {}),
    disabledPlugins: ['switchedoff'],
    ...overrides,
  });
  const start = (c: HostConfig = config()) =>
    startHost(c, { mode: 'browser', logger: silentLogger(), builtinPluginsDir: pluginsDir, rendererDir: undefined, now: () => 5 });

  it('activates the plugins it finds, marks the failing one, reports the bad manifest and skips disabled ones', async () => {
    host = await start();
    expect(host.plugins.list().map((p) => [p.id, p.state, p.error, p.builtin])).toEqual([
      ['alpha', 'active', undefined, true],
      ['broken', 'failed', 'needs a GPU', true],
    ]);
    expect(host.plugins.manifestProblems()).toEqual([
      { file: path.join(pluginsDir, 'badmanifest', 'reef-plugin.json'), message: expect.stringMatching(/^version: /) },
    ]);
  });

  it('serves /healthz, the plugin routes and the renderer RPC on a free port, with a 0600 token in the data dir', async () => {
    host = await start();
    expect(host.server.port).toBeGreaterThan(0);
    const health = await fetch(`${host.server.url}/healthz`);
    expect(await health.json()).toEqual({ ok: true, version: '0.1.0', tier: 'single-box' });

    const routed = await fetch(`${host.server.url}/v1/alpha/thing?x=1`, { headers: { authorization: `Bearer ${host.operatorToken}` } });
    expect(await routed.json()).toEqual({ got: { x: '1', name: 'thing' } });

    expect(statSync(operatorTokenPath(host.config.dataDir)).mode & 0o777).toBe(0o600);
    expect(host.openUrl()).toBe(`${host.server.url}/?token=${encodeURIComponent(host.operatorToken)}`);
    expect(host.info()).toMatchObject({ tier: 'single-box', database: 'sqlite', bus: 'local', mode: 'browser', dataDir: host.config.dataDir });
  });

  it('without a built renderer the app page says how to build it', async () => {
    host = await start();
    const res = await fetch(`${host.server.url}/`, { headers: { authorization: `Bearer ${host.operatorToken}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/npm run build/);
  });

  it('stop() releases the port, deactivates plugins, and can be called twice', async () => {
    host = await start();
    const { port } = host.server;
    expect(await isListening(port)).toBe(true);
    await Promise.all([host.stop(), host.stop()]);
    expect(await isListening(port)).toBe(false);
    expect(host.plugins.list().find((p) => p.id === 'alpha')?.state).toBe('inactive');
    // The same port can be bound again at once.
    const again = await start(config({ port }));
    expect(again.server.port).toBe(port);
    await again.stop();
  });

  it('keeps its data across restarts: the same token and the same migrations ledger', async () => {
    host = await start();
    const token = host.operatorToken;
    await host.db?.script('CREATE TABLE IF NOT EXISTS notes (v TEXT)');
    await host.db?.execute('INSERT INTO notes (v) VALUES (?)', ['kept']);
    await host.stop();
    host = await start();
    expect(host.operatorToken).toBe(token);
    expect(await host.db?.query('SELECT v FROM notes')).toEqual([{ v: 'kept' }]);
  });

  it('takes away other users\' access to a data dir open to them, and warns naming what it changed', async () => {
    host = await start();
    await host.stop();
    const data = path.join(dir.path, 'data');
    chmodSync(data, 0o755);
    chmodSync(path.join(data, 'reef.db'), 0o644);
    const warnings: string[] = [];
    const logger = pino({ level: 'warn' }, new Writable({ write: (chunk: Buffer, _e, done) => (warnings.push(chunk.toString()), done()) }));
    host = await startHost(config(), { mode: 'browser', logger, builtinPluginsDir: pluginsDir, rendererDir: undefined, now: () => 5 });
    expect(statSync(data).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(data, 'reef.db')).mode & 0o777).toBe(0o600);
    const warning = warnings.find((w) => w.includes('open to other users'));
    expect(warning).toContain('reef.db');
  });

  it('a port in use fails with a message saying how to pick another, and leaves nothing running', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await expect(start(config({ port }))).rejects.toThrow(`port ${port} on 127.0.0.1 is in use: pick another with --port (0 picks a free one)`);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });
});

const hasPostgres = postgresOrSkip('host on PostgreSQL');

describe.runIf(hasPostgres)('startHost on PostgreSQL', () => {
  let pgServer: RunningPostgres;
  let dir: TempDir;
  beforeAll(async () => {
    pgServer = await startPostgres();
    dir = tempDir('reef-host-pg-');
  });
  afterAll(async () => {
    await pgServer?.stop();
    dir?.remove();
  });

  it('runs the factory tier and plugins migrate into PostgreSQL', async () => {
    const pluginsDir = path.join(dir.path, 'builtin');
    writePlugins(pluginsDir, [
      {
        id: 'stored',
        manifest: { permissions: { database: true } },
        host: "export async function activate(ctx) { await ctx.db.migrate([{ id: '001', sql: 'CREATE TABLE stored_x (v TEXT)' }]); }",
      },
    ]);
    const config = resolveConfig({ dataDir: path.join(dir.path, 'data'), port: 0, db: pgServer.url }, {});
    const host = await startHost(config, { mode: 'browser', logger: silentLogger(), builtinPluginsDir: pluginsDir, rendererDir: undefined });
    try {
      expect(host.plugins.list().map((p) => p.state)).toEqual(['active']);
      expect(await (await fetch(`${host.server.url}/healthz`)).json()).toEqual({ ok: true, version: '0.1.0', tier: 'factory' });
      expect(await host.db?.query('SELECT plugin, id FROM reef_migrations ORDER BY plugin')).toEqual([
        { plugin: 'host', id: '001_tokens' },
        { plugin: 'host', id: '002_settings' },
        { plugin: 'kv', id: '001_kv' },
        { plugin: 'stored', id: '001' },
      ]);
    } finally {
      await host.stop();
    }
  });
});
