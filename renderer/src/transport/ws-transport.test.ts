// The WebSocket transport against a real `ws` server: calls, errors, events, drops, reconnects, 401s.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { ConnectionState } from '../../../sdk/contract.js';
import { ReefError } from '../../../sdk/errors.js';
import { BusSubscriptions } from '../services/bus-subscriptions.js';
import { WsTransport } from './ws-transport.js';

interface FakeHost {
  port: number;
  url: string;
  sockets: Set<ServerSocket>;
  /** Methods received, in order. */
  calls: Array<{ method: string; params: unknown }>;
  publish(subject: string, body: unknown): void;
  dropClients(): void;
  close(): Promise<void>;
}

/** A host that speaks the /rpc frames: echoes hostInfo, fails busRequest on "reef.v1.fail", tracks subscriptions. */
async function startFakeHost(options: { port?: number; refuse?: 401 } = {}): Promise<FakeHost> {
  const server = http.createServer((req, res) => {
    res.writeHead(options.refuse ?? 200).end();
  });
  const wss = new WebSocketServer({ noServer: true });
  const sockets = new Set<ServerSocket>();
  const calls: FakeHost['calls'] = [];
  const subs = new Map<string, { socket: ServerSocket; pattern: string }>();
  let nextSub = 1;
  server.on('upgrade', (req, socket, head) => {
    if (options.refuse) {
      socket.end(`HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      sockets.add(ws);
      ws.on('close', () => {
        sockets.delete(ws);
        for (const [id, s] of subs) if (s.socket === ws) subs.delete(id);
      });
      ws.on('message', (data) => {
        const { id, method, params } = JSON.parse(String(data)) as { id: number; method: string; params: Record<string, unknown> };
        calls.push({ method, params });
        const reply = (frame: object) => ws.send(JSON.stringify({ id, ...frame }));
        if (method === 'hostInfo') reply({ result: { version: '9.9.9' } });
        else if (method === 'busRequest' && params.subject === 'reef.v1.fail') {
          reply({ error: { code: 'forbidden', message: 'not allowed to call reef.v1.fail' } });
        } else if (method === 'busRequest' && params.subject === 'reef.v1.never') {
          // never answers
        } else if (method === 'busRequest') reply({ result: { body: { echoed: params.body } } });
        else if (method === 'busSubscribe') {
          const subscriptionId = `sub-${nextSub++}`;
          subs.set(subscriptionId, { socket: ws, pattern: String(params.pattern) });
          reply({ result: { subscriptionId } });
        } else if (method === 'busUnsubscribe') {
          subs.delete(String(params.subscriptionId));
          reply({ result: {} });
        } else reply({ error: { code: 'not_found', message: `no method "${method}"` } });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `ws://127.0.0.1:${port}/rpc`,
    sockets,
    calls,
    publish(subject, body) {
      for (const [subscriptionId, s] of subs) {
        if (s.pattern === subject) s.socket.send(JSON.stringify({ event: { type: 'bus', subscriptionId, subject, body } }));
      }
    },
    dropClients() {
      for (const s of sockets) s.terminate();
    },
    async close() {
      for (const s of sockets) s.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function track(transport: WsTransport): ConnectionState[] {
  const states: ConnectionState[] = [];
  transport.onConnection((s) => states.push(s));
  cleanups.push(() => transport.close());
  return states;
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('WsTransport', () => {
  it('answers calls made while connecting, once the socket opens', async () => {
    const host = await startFakeHost();
    cleanups.push(() => host.close());
    const transport = new WsTransport({ url: host.url });
    const states = track(transport);
    await expect(transport.api.hostInfo({})).resolves.toEqual({ version: '9.9.9' });
    expect(states).toEqual(['connecting', 'open']);
    await expect(transport.api.busRequest({ subject: 'reef.v1.echo', body: { n: 1 } })).resolves.toEqual({ body: { echoed: { n: 1 } } });
  });

  it('rejects a refused call with the host error code and message', async () => {
    const host = await startFakeHost();
    cleanups.push(() => host.close());
    const transport = new WsTransport({ url: host.url });
    track(transport);
    const err = await transport.api.busRequest({ subject: 'reef.v1.fail', body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReefError);
    expect((err as ReefError).code).toBe('forbidden');
    expect((err as ReefError).message).toBe('not allowed to call reef.v1.fail');
  });

  it('fails a pending call with a clear error when the connection drops, then reconnects by itself', async () => {
    const host = await startFakeHost();
    cleanups.push(() => host.close());
    const transport = new WsTransport({ url: host.url, initialDelayMs: 20 });
    const states = track(transport);
    await transport.api.hostInfo({});
    const pending = transport.api.busRequest({ subject: 'reef.v1.never', body: {} });
    await until(() => host.calls.some((c) => c.method === 'busRequest'), 'the request to reach the host');
    host.dropClients();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReefError);
    expect((err as ReefError).code).toBe('unavailable');
    expect((err as ReefError).message).toMatch(/connection to the Reef host was lost/);
    await until(() => states.filter((s) => s === 'open').length === 2, 'the second open');
    expect(states).toEqual(['connecting', 'open', 'closed', 'connecting', 'open']);
    await expect(transport.api.hostInfo({})).resolves.toEqual({ version: '9.9.9' });
  });

  it('refuses calls at once while the host is down, saying it is reconnecting', async () => {
    const host = await startFakeHost();
    const port = host.port;
    await host.close();
    const transport = new WsTransport({ url: `ws://127.0.0.1:${port}/rpc`, initialDelayMs: 5000 });
    const states = track(transport);
    await until(() => states.includes('closed'), 'the failed attempt');
    const err = await transport.api.hostInfo({}).catch((e: unknown) => e);
    expect((err as ReefError).code).toBe('unavailable');
    expect((err as ReefError).message).toMatch(/not connected to the Reef host \(reconnecting…\)/);
  });

  it('resubscribes bus subscriptions after the host comes back, and delivers events again', async () => {
    let host = await startFakeHost();
    const port = host.port;
    const transport = new WsTransport({ url: host.url, initialDelayMs: 20, maxDelayMs: 100 });
    const states = track(transport);
    const subscriptions = new BusSubscriptions(transport);
    cleanups.push(() => subscriptions.dispose());
    const received: unknown[] = [];
    subscriptions.subscribe('reef.v1.events.ping', (body) => received.push(body));
    await until(() => host.calls.some((c) => c.method === 'busSubscribe'), 'the first subscription');
    host.publish('reef.v1.events.ping', { n: 1 });
    await until(() => received.length === 1, 'the first event');

    await host.close();
    await until(() => states.includes('closed'), 'the drop');
    host = await startFakeHost({ port });
    cleanups.push(() => host.close());
    await until(() => host.calls.some((c) => c.method === 'busSubscribe'), 'the subscription on the new host');
    await until(() => states[states.length - 1] === 'open', 'open');
    // Give the subscribe reply a moment to land before publishing.
    await new Promise((r) => setTimeout(r, 50));
    host.publish('reef.v1.events.ping', { n: 2 });
    await until(() => received.length === 2, 'the event after reconnecting');
    expect(received).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('shares one host subscription per pattern and ends it with the last listener', async () => {
    const host = await startFakeHost();
    cleanups.push(() => host.close());
    const transport = new WsTransport({ url: host.url });
    track(transport);
    const subscriptions = new BusSubscriptions(transport);
    const a: unknown[] = [];
    const b: unknown[] = [];
    const stopA = subscriptions.subscribe('reef.v1.events.x', (body) => a.push(body));
    const stopB = subscriptions.subscribe('reef.v1.events.x', (body) => b.push(body));
    await until(() => host.calls.some((c) => c.method === 'busSubscribe'), 'subscribe');
    await new Promise((r) => setTimeout(r, 30));
    host.publish('reef.v1.events.x', 'hello');
    await until(() => a.length === 1 && b.length === 1, 'both listeners');
    expect(host.calls.filter((c) => c.method === 'busSubscribe')).toHaveLength(1);
    stopA();
    expect(host.calls.some((c) => c.method === 'busUnsubscribe')).toBe(false);
    stopB();
    await until(() => host.calls.some((c) => c.method === 'busUnsubscribe'), 'unsubscribe');
  });

  it('reports "unauthorized" when the host refuses the upgrade with 401', async () => {
    const host = await startFakeHost({ refuse: 401 });
    cleanups.push(() => host.close());
    const transport = new WsTransport({
      url: host.url,
      initialDelayMs: 5000,
      probeUnauthorized: async () => (await fetch(`http://127.0.0.1:${host.port}/rpc`, { method: 'HEAD' })).status === 401,
    });
    const states = track(transport);
    await until(() => states.includes('unauthorized'), 'unauthorized');
    expect(states).toEqual(['connecting', 'unauthorized']);
  });
});
