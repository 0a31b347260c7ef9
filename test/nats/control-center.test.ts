/**
 * A remote control center: host A runs the factory (PostgreSQL + NATS); B is started with
 * `--connect` and no services of its own. Through B's renderer socket the operator lists and
 * acts on A's tasks and sees A's events live. Both log in to NATS as the users of the shipped
 * docs/nats/reef-users.conf (the host and the control-center roles), whose permissions they must
 * be able to work within.
 */
import { rmSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostInfo, PluginStatus } from '../../sdk/contract.js';
import { RendererSocket } from '../harness/renderer-socket.js';
import { startReef, type ReefProcess } from '../harness/reef-process.js';
import { natsOrSkip, startNats, type RunningNats } from '../harness/nats.js';
import { postgresOrSkip, startPostgres, type RunningPostgres } from '../harness/postgres.js';

/** A TCP proxy in front of NATS whose line can be cut: one client loses its connection, the rest do not. */
async function cuttableProxy(target: number): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(target, '127.0.0.1');
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server?.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const cut = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  };
  await listen();
  return { url: `nats://127.0.0.1:${port}`, cut, restore: listen, close: cut };
}

describe.runIf(natsOrSkip('control center') && postgresOrSkip('control center'))('a remote control center', () => {
  let nats: RunningNats;
  let pg: RunningPostgres;
  let factory: ReefProcess;
  let center: ReefProcess;
  let socket: RendererSocket;
  let proxy: Awaited<ReturnType<typeof cuttableProxy>>;
  let leftover: string | undefined;
  const hostLogin = () => ({ REEF_NATS_USER: nats.users?.host.user, REEF_NATS_PASS: nats.users?.host.pass });
  const centerEnv = () => ({ REEF_CONNECT_TOKEN: factory.token, REEF_NATS_USER: nats.users?.center.user, REEF_NATS_PASS: nats.users?.center.pass });

  beforeAll(async () => {
    nats = await startNats({ users: true });
    pg = await startPostgres();
    factory = await startReef({ args: ['--db', pg.url, '--nats', nats.url], env: hostLogin() });
    proxy = await cuttableProxy(nats.port);
    center = await startReef({ args: ['--connect', proxy.url], env: centerEnv() });
    socket = await RendererSocket.open(center);
  }, 60_000);
  afterAll(async () => {
    socket?.close();
    await center?.stop();
    if (leftover) rmSync(leftover, { recursive: true, force: true });
    await proxy?.close();
    await factory?.stop();
    await pg?.stop();
    await nats?.stop();
  });

  const enqueueOnFactory = async (type: string) => {
    const res = await fetch(`${factory.origin}/v1/tasks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${factory.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ queue: 'remote', type }),
    });
    return ((await res.json()) as { task: { id: string } }).task;
  };

  it('is a control center with the factory\'s plugins, and no services of its own', async () => {
    const info = await socket.call<HostInfo>('hostInfo', {});
    expect(info).toMatchObject({ tier: 'control-center', database: 'none', bus: 'nats', link: { state: 'connected', server: proxy.url } });
    const { plugins } = await socket.call<{ plugins: PluginStatus[] }>('listPlugins', {});
    expect(plugins.find((p) => p.id === 'queue')).toMatchObject({ state: 'active', location: 'remote' });
    // Its own /v1 serves nothing: agents talk to the factory.
    const res = await fetch(`${center.origin}/v1/tasks`, { headers: { authorization: `Bearer ${center.token}` } });
    expect(res.status).toBe(404);
  });

  it("lists and acts on the factory's tasks", async () => {
    const task = await enqueueOnFactory('from-factory');
    const { tasks } = await socket.bus<{ tasks: Array<{ id: string }> }>('reef.v1.tasks.list', { queue: 'remote' });
    expect(tasks.map((t) => t.id)).toContain(task.id);
    const cancelled = await socket.bus<{ task: { state: string } }>('reef.v1.tasks.cancel', { id: task.id });
    expect(cancelled.task.state).toBe('cancelled');
    const check = await fetch(`${factory.origin}/v1/tasks/${task.id}`, { headers: { authorization: `Bearer ${factory.token}` } });
    expect(((await check.json()) as { task: { state: string } }).task.state).toBe('cancelled');
  });

  it("sees the factory's events live", async () => {
    await socket.call('busSubscribe', { pattern: 'reef.v1.events.task.>' });
    const task = await enqueueOnFactory('watched');
    await expect
      .poll(() => socket.events.some((e) => e.type === 'bus' && (e.body as { task?: { id: string } }).task?.id === task.id), { timeout: 5000 })
      .toBe(true);
  });

  it('replays, once each, the events it missed while its connection was down', async () => {
    const { subscriptionId } = await socket.call<{ subscriptionId: string }>('busSubscribe', { pattern: 'reef.v1.events.task.ready' });
    const readyIds = () =>
      socket.events.flatMap((e) => (e.type === 'bus' && e.subscriptionId === subscriptionId ? [(e.body as { task: { id: string } }).task.id] : []));
    const before = await enqueueOnFactory('before-cut');
    await expect.poll(() => readyIds().includes(before.id), { timeout: 5000 }).toBe(true);
    await proxy.cut();
    const missed: string[] = [];
    for (let i = 0; i < 20; i++) missed.push((await enqueueOnFactory(`during-cut-${i}`)).id);
    await new Promise((r) => setTimeout(r, 500));
    // The header learns of the lost link at once, and from hostInfo after a reload.
    const links = () => socket.events.flatMap((e) => (e.type === 'bus-link' ? [e.link.state] : []));
    await expect.poll(links, { timeout: 5000 }).toContain('reconnecting');
    expect((await socket.call<HostInfo>('hostInfo', {})).link?.state).toBe('reconnecting');
    await proxy.restore();
    await expect.poll(() => links().at(-1), { timeout: 20_000 }).toBe('connected');
    await expect.poll(() => missed.every((id) => readyIds().includes(id)), { timeout: 20_000 }).toBe(true);
    const seen = readyIds();
    expect(seen.filter((id) => missed.includes(id))).toEqual(missed); // in order, each once
    expect(new Set(seen).size).toBe(seen.length);
  }, 40_000);

  it('resumes after a restart of the control center: what was published while it was down arrives', async () => {
    const dataDir = center.dataDir;
    socket.close();
    const exited = new Promise((r) => center.child.once('exit', r));
    center.child.kill('SIGTERM');
    await exited;
    const missed: string[] = [];
    for (let i = 0; i < 5; i++) missed.push((await enqueueOnFactory(`while-down-${i}`)).id);
    const restarted = await startReef({ dataDir, args: ['--connect', proxy.url], env: centerEnv() });
    const previous = center;
    center = restarted;
    socket = await RendererSocket.open(center);
    const { subscriptionId } = await socket.call<{ subscriptionId: string }>('busSubscribe', { pattern: 'reef.v1.events.task.ready' });
    const readyIds = () =>
      socket.events.flatMap((e) => (e.type === 'bus' && e.subscriptionId === subscriptionId ? [(e.body as { task: { id: string } }).task.id] : []));
    await expect.poll(() => missed.every((id) => readyIds().includes(id)), { timeout: 15_000 }).toBe(true);
    expect(readyIds().filter((id) => missed.includes(id))).toEqual(missed);
    leftover = previous.dataDir; // the restarted process did not make it, so it will not remove it
  }, 40_000);
});
