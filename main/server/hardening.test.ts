// What a hostile or broken client can do to the server: each class of input from raw sockets,
// each followed by a check that the host still answers /healthz.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { ReefError } from '../../sdk/index.js';
import { type HostInfo } from '../../sdk/contract.js';
import { clientFrame, closeCode, jsonFrame, openRawWebSocket, serverFrames, upgradeRequest, type RawWebSocket } from '../../test/harness/raw-websocket.js';
import { tempDir, type TempDir } from '../../test/harness/tmp.js';
import { LocalBus } from '../bus/local-bus.js';
import type { RendererHost } from '../host/renderer-api.js';
import { CLOSE_TOO_SLOW, MAX_BODY_BYTES, sameHostLocation, startServer, type RunningServer, type ServerOptions } from './http-server.js';
import { RouteTable } from './routes.js';
import { ensureOperatorToken } from './tokens.js';

const info: HostInfo = { version: '0.1.0', tier: 'single-box', mode: 'browser', database: 'sqlite', bus: 'local', pid: 1, startedAt: 0, node: '20', platform: 'linux-x64', dataDir: '/data' };

let dir: TempDir;
let token: string;
const logLines: string[] = [];
const running: Array<{ server: RunningServer; bus: LocalBus }> = [];

/** A logger that keeps every line, so tests can read what reached the log. */
function capturingLogger() {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  return pino({ level: 'trace' }, sink);
}

async function serve(extra: Partial<ServerOptions> = {}): Promise<{ server: RunningServer; bus: LocalBus }> {
  const bus = new LocalBus();
  const routes = new RouteTable();
  routes.add({ method: 'POST', path: '/v1/tasks/:id/complete', subject: 'reef.v1.tasks.complete', scopes: ['operator', 'agent'] }, 'queue');
  routes.add({ method: 'POST', path: '/v1/tasks/claim', subject: 'reef.v1.tasks.claim', scopes: ['operator', 'agent'] }, 'queue');
  routes.add({ method: 'POST', path: '/v1/tasks/quick', subject: 'reef.v1.tasks.quick', scopes: ['operator'], timeoutMs: 200 }, 'queue');
  await bus.serve('reef.v1.tasks.*', async (body, i) => {
    const b = body as { fail?: string; waitMs?: number };
    if (b.fail === 'internal') throw new Error('boom');
    if (b.fail === 'conflict') throw new ReefError('conflict', 'lease_lost');
    if (b.waitMs) {
      longPolls++;
      // A long poll: ends when the requester is gone (its signal) or after waitMs.
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, b.waitMs);
        i.signal?.addEventListener('abort', () => {
          clearTimeout(t);
          abandoned.push(String(i.signal?.reason instanceof Error ? i.signal.reason.message : i.signal?.reason));
          resolve();
        });
      });
    }
    return { ok: true };
  });
  const rendererHost: RendererHost = { bus, hostInfo: () => info, plugins: () => [], manifestProblems: () => [], onPluginsChanged: () => () => {}, notify: () => false };
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    operatorToken: token,
    verifyAgentToken: async (t) => (t === 'agent-token' ? { kind: 'agent', id: 'forge' } : undefined),
    routes,
    bus,
    rendererHost,
    rendererDir: `${dir.path}/renderer`,
    pluginDir: () => undefined,
    log: capturingLogger(),
    version: '0.1.0',
    tier: () => 'single-box',
    ...extra,
  });
  const entry = { server, bus };
  running.push(entry);
  return entry;
}
const abandoned: string[] = [];
/** Long polls the handler has begun. */
let longPolls = 0;

beforeAll(() => {
  dir = tempDir('reef-hardening-');
  dir.write('renderer/index.html', '<!doctype html><title>Reef</title>');
  token = ensureOperatorToken(dir.path);
});

afterAll(async () => {
  for (const { server, bus } of running) {
    await server.close();
    await bus.close();
  }
  dir?.remove();
});

afterEach(() => {
  logLines.length = 0;
});

async function healthy(server: RunningServer): Promise<void> {
  const res = await fetch(`${server.url}/healthz`);
  expect(res.status).toBe(200);
}

/** Sends raw bytes, then collects what comes back until the server closes the connection (or `ms`). */
function rawExchange(port: number, bytes: string | Buffer, ms = 3000): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(got);
    }, ms);
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.write(bytes);
  });
}

/** An authenticated /rpc socket over a raw TCP connection: the test decides what is sent and read. */
const rawSocket = (server: RunningServer) => openRawWebSocket(server.port, { Authorization: `Bearer ${token}` });

/** The server's answer to request `id` on a raw socket, once it has been read (an {id, result} or {id, error} frame). */
async function rawReply(raw: RawWebSocket, id: number): Promise<unknown> {
  const find = () =>
    serverFrames(Buffer.concat(raw.received))
      .filter((f) => f.opcode === 0x1)
      .map((f) => JSON.parse(f.payload.toString()) as { id?: number })
      .find((f) => f.id === id);
  await expect.poll(find, { message: `reply to request ${id}` }).toBeDefined();
  return find();
}

describe('nothing a client sends ends the host', () => {
  it('a WebSocket upgrade whose target is not a URL gets 400', async () => {
    const { server } = await serve();
    for (const target of ['//', '//x:99999/', 'http://[']) {
      expect(await rawExchange(server.port, upgradeRequest(server.port, target))).toMatch(/^HTTP\/1\.1 400/);
      await healthy(server);
    }
  });

  it('headers over Node\'s limit get 431, as without our handler', async () => {
    const { server } = await serve();
    const reply = await rawExchange(server.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 431/);
    await healthy(server);
  });

  it('a plain request whose target is not a URL gets 400, not 500', async () => {
    const { server } = await serve();
    const reply = await rawExchange(server.port, `GET // HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(reply).toContain('invalid_request');
    await healthy(server);
  });

  it('a reef_token cookie that is not valid percent-encoding counts as no cookie: 401, on the socket and on every route', async () => {
    const { server } = await serve();
    const bad = { Cookie: 'reef_token=%E0%A4%A' };
    expect(await rawExchange(server.port, upgradeRequest(server.port, '/rpc', bad))).toMatch(/^HTTP\/1\.1 401/);
    await healthy(server);
    for (const path of ['/v1/tasks/t1/complete', '/', '/rpc']) {
      const res = await fetch(`${server.url}${path}`, { method: path.startsWith('/v1') ? 'POST' : 'GET', headers: { cookie: 'reef_token=%E0%A4%A' } });
      expect(res.status).toBe(401);
    }
    expect(logLines.filter((l) => l.includes('"level":50'))).toEqual([]);
    await healthy(server);
  });

  it('an authenticated socket that sends a frame over the size limit is closed (1009); the host goes on', async () => {
    const { server } = await serve();
    const { socket, received, closed } = await rawSocket(server);
    // The header alone declares 2 MiB; the server refuses it before any payload arrives.
    socket.write(clientFrame(0x1, Buffer.from('{}'), MAX_BODY_BYTES * 2).subarray(0, 14));
    await closed;
    expect(closeCode(received)).toBe(1009);
    await healthy(server);
  });

  it('an authenticated socket that sends a text frame that is not UTF-8 is closed (1007); the host goes on', async () => {
    const { server } = await serve();
    const { socket, received, closed } = await rawSocket(server);
    socket.write(clientFrame(0x1, Buffer.from([0x7b, 0xff, 0xfe, 0x7d])));
    await closed;
    expect(closeCode(received)).toBe(1007);
    expect(logLines.some((l) => l.includes('renderer socket error'))).toBe(true);
    await healthy(server);
  });

  it('a client that resets its connection in the middle of an upgrade or a request leaves the host serving', async () => {
    const { server } = await serve();
    for (const bytes of [upgradeRequest(server.port, '/rpc', { Authorization: `Bearer ${token}` }).slice(0, 40), 'POST /v1/tasks/t1/complete HTTP/1.1\r\nContent-Length: 100\r\n\r\n{"a"']) {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write(bytes);
      await new Promise((r) => setTimeout(r, 20));
      socket.resetAndDestroy();
    }
    await healthy(server);
  });

  it('a client that hangs up in the middle of its body costs no error line', async () => {
    const { server } = await serve();
    for (let i = 0; i < 3; i++) {
      const socket = net.connect(server.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.write(`POST /v1/tasks/t1/complete HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":`);
      await new Promise((r) => setTimeout(r, 30));
      socket.destroy();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(logLines.filter((l) => l.includes('"level":50'))).toEqual([]);
    await healthy(server);
  });

  it('guard: every emitter the server creates (server, sockets, WebSockets) has an error listener', async () => {
    type Init = (this: EventEmitter, ...args: unknown[]) => void;
    const holder = EventEmitter as unknown as { init: Init };
    const created: EventEmitter[] = [];
    const init = holder.init;
    holder.init = function (this: EventEmitter, ...args: unknown[]) {
      created.push(this);
      return init.apply(this, args);
    };
    let client: WebSocket | undefined;
    const pending: net.Socket[] = [];
    try {
      const { server } = await serve();
      await healthy(server);
      // A socket that is open, an upgrade refused but not yet closed, a request half sent.
      client = new WebSocket(`${server.url.replace('http', 'ws')}/rpc`, { headers: { authorization: `Bearer ${token}` } });
      await new Promise<void>((resolve, reject) => {
        client?.once('open', () => resolve());
        client?.once('error', reject);
      });
      // Counts the connections the server accepts from here on: the two below.
      let accepted = 0;
      created.find((e) => e instanceof http.Server)?.on('connection', () => accepted++);
      for (const bytes of [upgradeRequest(server.port, '/rpc'), 'POST /v1/tasks/t1/complete HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{']) {
        const s = net.connect(server.port, '127.0.0.1');
        s.on('error', () => {});
        s.on('data', () => {});
        s.write(bytes);
        pending.push(s);
      }
      // Until the server has accepted both (and so made its sockets for them).
      await expect.poll(() => accepted).toBe(pending.length);
    } finally {
      holder.init = init;
    }
    const servers = created.filter((e): e is http.Server => e instanceof http.Server);
    expect(servers).toHaveLength(1);
    const ours = created.filter(
      (e) =>
        e instanceof http.Server ||
        e instanceof WebSocketServer ||
        (e instanceof WebSocket && (e as unknown as { _isServer: boolean })._isServer) ||
        (e instanceof net.Socket && (e as unknown as { server?: unknown }).server === servers[0] && !e.destroyed),
    );
    // The server, the WebSocket server, its socket, the upgraded TCP connection, the refused one, the HTTP ones.
    expect(ours.length).toBeGreaterThanOrEqual(5);
    const missing = ours.filter((e) => e.listenerCount('error') === 0).map((e) => e.constructor.name);
    expect(missing).toEqual([]);
    client?.terminate();
    for (const s of pending) s.destroy();
  });
});

describe('slow and dead clients cost bounded memory', () => {
  it('a socket that stops reading is closed with 1013 once its buffer passes the cap; a reading one gets every event', async () => {
    const { server, bus } = await serve({ maxSocketBufferBytes: 256 * 1024 });
    const stuck = await rawSocket(server);
    stuck.socket.write(jsonFrame({ id: 1, method: 'busSubscribe', params: { pattern: 'reef.v1.events.>' } }));
    const reader = new WebSocket(`${server.url.replace('http', 'ws')}/rpc`, { headers: { authorization: `Bearer ${token}` } });
    let events = 0;
    let readerReply: unknown;
    reader.on('message', (d) => {
      if (String(d).includes('"event"')) events++;
      else if ((JSON.parse(String(d)) as { id?: number }).id === 1) readerReply = JSON.parse(String(d));
    });
    await new Promise<void>((r) => reader.once('open', () => r()));
    reader.send(JSON.stringify({ id: 1, method: 'busSubscribe', params: { pattern: 'reef.v1.events.>' } }));
    // Both subscriptions are in place (each answered) before the stuck one stops reading and the flood starts.
    const subscribed = { id: 1, result: { subscriptionId: expect.any(String) } };
    expect(await rawReply(stuck, 1)).toEqual(subscribed);
    await expect.poll(() => readerReply).toEqual(subscribed);
    stuck.socket.pause();
    const body = { task: { id: 'x'.repeat(26), payload: 'y'.repeat(400) } };
    const total = 20_000;
    for (let i = 0; i < total; i++) {
      await bus.publish('reef.v1.events.task.ready', body);
      if (i % 500 === 0) await new Promise((r) => setImmediate(r));
    }
    await expect.poll(() => events, { timeout: 30_000 }).toBe(total);
    expect(logLines.some((l) => l.includes('not reading: closed (1013)'))).toBe(true);
    // Reading again, the stuck page finds far fewer events than were sent, then the close frame.
    stuck.socket.resume();
    await stuck.closed;
    expect(closeCode(stuck.received)).toBe(CLOSE_TOO_SLOW);
    expect(serverFrames(Buffer.concat(stuck.received)).length).toBeLessThan(total / 2);
    reader.close();
    await healthy(server);
  }, 60_000);

  it('a peer that does not answer pings is ended; one that does stays', async () => {
    const { server } = await serve({ pingIntervalMs: 100 });
    const silent = await rawSocket(server);
    const answering = new WebSocket(`${server.url.replace('http', 'ws')}/rpc`, { headers: { authorization: `Bearer ${token}` } });
    await new Promise<void>((r) => answering.once('open', () => r()));
    const started = Date.now();
    await silent.closed;
    expect(Date.now() - started).toBeLessThan(2000);
    expect(serverFrames(Buffer.concat(silent.received)).some((f) => f.opcode === 0x9)).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(answering.readyState).toBe(WebSocket.OPEN);
    answering.close();
  });
});

describe('an abandoned long poll leaves nothing behind', () => {
  it('the handler sees its signal abort when the HTTP client hangs up', async () => {
    const { server } = await serve();
    abandoned.length = 0;
    longPolls = 0;
    const controller = new AbortController();
    const call = fetch(`${server.url}/v1/tasks/claim`, {
      method: 'POST',
      headers: { authorization: 'Bearer agent-token', 'content-type': 'application/json' },
      body: JSON.stringify({ waitMs: 20_000 }),
      signal: controller.signal,
    }).catch(() => 'aborted');
    // Hang up only once the handler is waiting: before, there would be nothing to abandon.
    await expect.poll(() => longPolls).toBe(1);
    controller.abort();
    expect(await call).toBe('aborted');
    await expect.poll(() => abandoned).toHaveLength(1);
    expect(abandoned[0]).toMatch(/abandoned by its caller/);
  });
});

describe('numbers a request cannot carry', () => {
  it('a body with a number JSON reads as Infinity (1e999) is refused with 400 before the bus sees it', async () => {
    const { server } = await serve();
    for (const body of ['{"maxDepth": 1e999}', '{"a": [{"b": -1E+400}]}', `{"maxDepth": 1${'0'.repeat(400)}}`]) {
      const res = await fetch(`${server.url}/v1/tasks/t1/complete`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/too large to represent/);
    }
    // Large but finite numbers pass.
    const ok = await fetch(`${server.url}/v1/tasks/t1/complete`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"n": 1e300}' });
    expect(ok.status).toBe(200);
  });
});

describe('each route has its own timeout', () => {
  it('a route that names 200 ms answers 503 after about that long, and its handler is told to stop', async () => {
    const { server } = await serve();
    abandoned.length = 0;
    const started = Date.now();
    const res = await fetch(`${server.url}/v1/tasks/quick`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ waitMs: 10_000 }) });
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/within 200 ms/);
    expect(abandoned).toEqual([expect.stringMatching(/within 200 ms/)]);
  });

  it('a route asking for more than 10 minutes, or a fraction of a ms, is refused when it is added', () => {
    const routes = new RouteTable();
    for (const timeoutMs of [0, 600_001, 1.5]) {
      expect(() => routes.add({ method: 'GET', path: '/v1/x', subject: 'reef.v1.x', scopes: ['operator'], timeoutMs }, 'p')).toThrow(/timeoutMs must be/);
    }
    expect(() => routes.add({ method: 'GET', path: '/v1/x', subject: 'reef.v1.x', scopes: ['operator'], timeoutMs: 600_000 }, 'p')).not.toThrow();
  });
});

describe('tokens never leak', () => {
  it('a failing request is logged by its path, never its query string', async () => {
    const { server } = await serve();
    const res = await fetch(`${server.url}/v1/tasks/t1/complete?token=SECRET-IN-QUERY&x=1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fail: 'internal' }),
    });
    expect(res.status).toBe(500);
    const logged = logLines.join('\n');
    expect(logged).toContain('/v1/tasks/t1/complete');
    expect(logged).not.toContain('SECRET-IN-QUERY');
    expect(logged).not.toContain(token);
  });

  it('/v1 takes the Authorization header only: neither ?token= nor the page cookie', async () => {
    const { server } = await serve();
    const post = (path: string, headers: Record<string, string>) =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
    expect((await post(`/v1/tasks/t1/complete?token=${encodeURIComponent(token)}`, {})).status).toBe(401);
    expect((await post('/v1/tasks/t1/complete', { cookie: `reef_token=${encodeURIComponent(token)}` })).status).toBe(401);
    const refused = await post('/v1/tasks/t1/complete', { cookie: `reef_token=${encodeURIComponent(token)}` });
    expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(/Authorization: Bearer/);
    expect((await post('/v1/tasks/t1/complete', { authorization: `Bearer ${token}` })).status).toBe(200);
    // The page and its socket still take the cookie.
    expect((await fetch(`${server.url}/`, { headers: { cookie: `reef_token=${encodeURIComponent(token)}` } })).status).toBe(200);
  });

  it('?token= on /rpc is not accepted: the socket takes the header or the cookie', async () => {
    const { server } = await serve();
    expect(await rawExchange(server.port, upgradeRequest(server.port, `/rpc?token=${encodeURIComponent(token)}`))).toMatch(/^HTTP\/1\.1 401/);
    expect(await rawExchange(server.port, upgradeRequest(server.port, '/rpc', { Cookie: `reef_token=${encodeURIComponent(token)}` }), 300)).toMatch(/^HTTP\/1\.1 101/);
  });

  it('the redirect after ?token= stays on this host', async () => {
    const { server } = await serve();
    for (const [target, expected] of [
      ['/.//evil.example/?token=T', '/evil.example/'],
      // A target with an authority keeps only its path.
      ['//evil.example/x?token=T', '/x'],
      ['/\\evil.example/?token=T', '/'],
      ['/%2F%2Fevil.example/?token=T', '/%2F%2Fevil.example/'],
      ['/queue?panel=tasks&token=T', '/queue?panel=tasks'],
    ] as const) {
      const reply = await rawExchange(server.port, `GET ${target.replace('T', encodeURIComponent(token))} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      const location = /\r\nlocation: ([^\r]*)/i.exec(reply)?.[1];
      expect(location).toBe(expected);
    }
    expect(sameHostLocation(new URL('http://h/\\\\evil.example/?a=1'))).toBe('/evil.example/?a=1');
  });
});
