import { statSync } from 'node:fs';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ReefError } from '../../sdk/index.js';
import { type HostInfo, type WsServerFrame } from '../../sdk/contract.js';
import { tempDir, type TempDir } from '../../test/harness/tmp.js';
import { LocalBus } from '../bus/local-bus.js';
import { silentLogger } from '../host/log.js';
import type { RendererHost } from '../host/renderer-api.js';
import { MAX_BODY_BYTES, startServer, type RunningServer } from './http-server.js';
import { RouteTable } from './routes.js';
import { ensureOperatorToken, operatorTokenPath, tokensEqual } from './tokens.js';

const info: HostInfo = {
  version: '0.1.0',
  tier: 'single-box',
  mode: 'browser',
  database: 'sqlite',
  bus: 'local',
  pid: 1,
  startedAt: 0,
  node: '20',
  platform: 'linux-x64',
  dataDir: '/data',
};

let dir: TempDir;
let bus: LocalBus;
let routes: RouteTable;
let server: RunningServer;
let token: string;
const seen: Array<{ subject: string; body: unknown; caller: unknown }> = [];

beforeAll(async () => {
  dir = tempDir('reef-server-');
  dir.write('renderer/index.html', '<!doctype html><title>Reef</title>');
  dir.write('renderer/assets/app-1234.js', 'console.log(1)');
  dir.write('plugins/demo/panel/index.js', 'export default 1');
  dir.write('plugins/demo/notes.txt', 'not a script');
  token = ensureOperatorToken(dir.path);
  bus = new LocalBus();
  routes = new RouteTable();
  routes.add({ method: 'POST', path: '/v1/tasks/:id/complete', subject: 'reef.v1.tasks.complete', scopes: ['operator', 'agent'] }, 'queue');
  routes.add({ method: 'GET', path: '/v1/tasks', subject: 'reef.v1.tasks.list', scopes: ['operator'], query: true }, 'queue');
  routes.add({ method: 'GET', path: '/v1/tasks/:id', subject: 'reef.v1.tasks.get', scopes: ['operator'] }, 'queue');
  routes.add({ method: 'POST', path: '/v1/tasks', subject: 'reef.v1.tasks.enqueue', scopes: ['operator'] }, 'queue');
  routes.add({ method: 'POST', path: '/v1/gates/:name/open', subject: 'reef.v1.gates.open', scopes: ['operator'] }, 'queue');
  await bus.serve('reef.v1.tasks.*', (body, i) => {
    seen.push({ subject: i.subject, body, caller: i.caller });
    if ((body as { fail?: string }).fail === 'conflict') throw new ReefError('conflict', 'lease_lost', { reason: 'lease_lost' });
    return { subject: i.subject, body };
  });
  const rendererHost: RendererHost = {
    bus,
    hostInfo: () => info,
    plugins: () => [],
    manifestProblems: () => [],
    onPluginsChanged: () => () => {},
    notify: () => false,
  };
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    operatorToken: token,
    routes,
    bus,
    rendererHost,
    rendererDir: `${dir.path}/renderer`,
    pluginDir: (id) => (id === 'demo' ? `${dir.path}/plugins/demo` : undefined),
    log: silentLogger(),
    version: '0.1.0',
    tier: () => 'single-box',
  });
});

afterAll(async () => {
  await server?.close();
  await bus?.close();
  dir?.remove();
});

const auth = () => ({ authorization: `Bearer ${token}` });
const url = (p: string) => `${server.url}${p}`;

async function json(res: Response): Promise<unknown> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return res.json();
}

describe('HTTP server', () => {
  it('listens on the port it was given (0: a free one) and reports it in its URL', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('/healthz answers without a token', async () => {
    const res = await fetch(url('/healthz'));
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ ok: true, version: '0.1.0', tier: 'single-box' });
  });

  it.each([
    ['GET', '/'],
    ['GET', '/index.html'],
    ['GET', '/v1/tasks'],
    ['POST', '/v1/tasks'],
    ['GET', '/v1/no/such/route'],
    ['GET', '/plugin-assets/demo/panel/index.js'],
    ['GET', '/metrics'],
    ['DELETE', '/anything'],
  ])('%s %s without a token is 401 with a JSON error', async (method, path) => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { cookie: 'reef_token=wrong' }, { authorization: `Basic ${token}` }];
    for (const headers of attempts) {
      const res = await fetch(url(path), { method, headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="reef"');
      const body = (await json(res)) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('unauthorized');
      expect(body.error.message).toMatch(/reef token/);
    }
    expect((await fetch(url(`${path}?token=wrong`), { method, redirect: 'manual' })).status).toBe(401);
  });

  it('?token= on a page sets an HttpOnly cookie and redirects to the address without the token', async () => {
    const res = await fetch(url(`/queue?panel=tasks&token=${encodeURIComponent(token)}`), { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/queue?panel=tasks');
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toContain(`reef_token=${encodeURIComponent(token)}`);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const page = await fetch(url('/queue?panel=tasks'), { headers: { cookie: cookie.split(';')[0] as string } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Reef</title>');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });

  it('a new ?token= replaces a stale cookie instead of being refused', async () => {
    const res = await fetch(url(`/?token=${encodeURIComponent(token)}`), { redirect: 'manual', headers: { cookie: 'reef_token=old-token' } });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toContain(`reef_token=${encodeURIComponent(token)}`);
  });

  it('serves the built renderer: hashed assets cached for good, unknown paths fall back to index.html', async () => {
    const asset = await fetch(url('/assets/app-1234.js'), { headers: auth() });
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const spa = await fetch(url('/approvals/123'), { headers: auth() });
    expect(await spa.text()).toContain('<title>Reef</title>');
    expect((await fetch(url('/missing.png'), { headers: auth() })).status).toBe(404);
    // Escaping the folder gives the app page (the SPA fallback), never the file.
    for (const escape of ['/%2e%2e/%2e%2e/etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd']) {
      const res = await fetch(url(escape), { headers: auth() });
      expect(await res.text()).not.toContain('root:');
    }
  });

  it('serves plugin scripts, but not other plugin files or unknown plugins', async () => {
    expect((await fetch(url('/plugin-assets/demo/panel/index.js'), { headers: auth() })).status).toBe(200);
    expect((await fetch(url('/plugin-assets/demo/notes.txt'), { headers: auth() })).status).toBe(404);
    expect((await fetch(url('/plugin-assets/ghost/panel/index.js'), { headers: auth() })).status).toBe(404);
  });
});

describe('/v1 gateway', () => {
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(url(path), { method: 'POST', headers: { ...auth(), 'content-type': 'application/json', ...headers }, body });

  it('maps a route onto its bus subject, copying path params into the body, as the operator', async () => {
    const res = await post('/v1/tasks/t%2042/complete', JSON.stringify({ leaseToken: 'L1', result: { ok: true } }));
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      subject: 'reef.v1.tasks.complete',
      body: { leaseToken: 'L1', result: { ok: true }, id: 't 42' },
    });
    expect(seen.at(-1)?.caller).toEqual({ kind: 'operator', id: 'operator' });
  });

  it('copies query parameters of GET routes', async () => {
    const res = await fetch(url('/v1/tasks?state=ready&limit=5'), { headers: auth() });
    expect(await json(res)).toEqual({ subject: 'reef.v1.tasks.list', body: { state: 'ready', limit: '5' } });
  });

  it('a literal segment wins over a param, and an empty body reads as {}', async () => {
    const res = await fetch(url('/v1/tasks/abc'), { headers: auth() });
    expect(await json(res)).toEqual({ subject: 'reef.v1.tasks.get', body: { id: 'abc' } });
    const empty = await fetch(url('/v1/tasks'), { method: 'POST', headers: auth() });
    expect(await json(empty)).toEqual({ subject: 'reef.v1.tasks.enqueue', body: {} });
  });

  it.each([
    ['invalid JSON', '{"queue": ', {}, /not valid JSON/],
    ['an array', '[1,2]', {}, /must be a JSON object/],
    ['a string', '"task"', {}, /must be a JSON object/],
    ['a wrong content-type', '{"a":1}', { 'content-type': 'text/plain' }, /content-type: application\/json/],
  ])('refuses %s with 400 invalid_request and never reaches the bus', async (_name, body, headers, message) => {
    const before = seen.length;
    const res = await post('/v1/tasks', body, headers);
    expect(res.status).toBe(400);
    const err = (await json(res)) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('invalid_request');
    expect(err.error.message).toMatch(message);
    expect(seen.length).toBe(before);
  });

  it('refuses a path param that contradicts the body', async () => {
    const res = await post('/v1/tasks/t1/complete', JSON.stringify({ id: 't2', leaseToken: 'L' }));
    expect(res.status).toBe(400);
    expect(((await json(res)) as { error: { message: string } }).error.message).toBe('id: differs between the path and the body');
  });

  it('refuses a malformed escape in the path with 400, not a server error', async () => {
    const res = await post('/v1/tasks/%E0%A4%A/complete', '{}');
    expect(res.status).toBe(400);
    expect(((await json(res)) as { error: { code: string } }).error.code).toBe('invalid_request');
  });

  it('refuses a body over 1 MB with 413 too_large', async () => {
    const before = seen.length;
    const big = JSON.stringify({ payload: 'x'.repeat(MAX_BODY_BYTES + 10) });
    const res = await post('/v1/tasks', big);
    expect(res.status).toBe(413);
    expect(((await json(res)) as { error: { code: string } }).error.code).toBe('too_large');
    expect(seen.length).toBe(before);
    // Just under the limit is fine.
    const ok = await post('/v1/tasks', JSON.stringify({ payload: 'x'.repeat(MAX_BODY_BYTES - 100) }));
    expect(ok.status).toBe(200);
  });

  it('refuses a chunked body over 1 MB that declares no length', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(url('/v1/tasks'), { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{"payload":"');
      for (let i = 0; i < 20; i++) req.write('x'.repeat(64 * 1024));
      req.end('"}');
    });
    expect(status).toBe(413);
  });

  it('carries bus errors with their status and body', async () => {
    const res = await post('/v1/tasks/t1/complete', JSON.stringify({ fail: 'conflict' }));
    expect(res.status).toBe(409);
    expect(await json(res)).toEqual({ error: { code: 'conflict', message: 'lease_lost', details: { reason: 'lease_lost' } } });
    const none = await post('/v1/gates/deploy/open', '{}');
    expect(none.status).toBe(503);
    expect(((await json(none)) as { error: { code: string } }).error.code).toBe('unavailable');
  });

  it('an unknown route or method is 404 not_found', async () => {
    expect((await fetch(url('/v1/nothing'), { headers: auth() })).status).toBe(404);
    const wrongMethod = await fetch(url('/v1/tasks/t1/complete'), { headers: auth() });
    expect(wrongMethod.status).toBe(404);
    expect(((await json(wrongMethod)) as { error: { message: string } }).error.message).toContain('does not take GET');
  });
});

describe('WebSocket /rpc', () => {
  const wsUrl = (query = '') => `${server.url.replace('http', 'ws')}/rpc${query}`;

  /** The status a refused upgrade answers with. */
  function refusal(address: string, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(address, { headers });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => reject(new Error('the socket opened')));
      ws.on('error', () => {});
    });
  }

  function open(address: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; frames: WsServerFrame[] }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(address, { headers });
      const frames: WsServerFrame[] = [];
      ws.on('message', (data) => frames.push(JSON.parse(String(data)) as WsServerFrame));
      ws.on('open', () => resolve({ ws, frames }));
      ws.on('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
    });
  }

  /** Frames arrive asynchronously; the 10 s deadline allows for a stall on a loaded CI machine (it only delays a failure). */
  async function waitFor<T>(frames: WsServerFrame[], pick: (f: WsServerFrame) => T | undefined): Promise<T> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      for (const f of frames) {
        const v = pick(f);
        if (v !== undefined) return v;
      }
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no matching frame in ${JSON.stringify(frames)}`);
  }

  it('refuses a socket without a token, or with a wrong one', async () => {
    expect(await refusal(wsUrl())).toBe(401);
    expect(await refusal(wsUrl('?token=wrong'))).toBe(401);
  });

  it('refuses a page from another origin even with a valid token', async () => {
    expect(await refusal(wsUrl(), { ...auth(), origin: 'http://evil.example' })).toBe(403);
    expect(await refusal(wsUrl(), { ...auth(), origin: `http://localhost:${server.port + 1}` })).toBe(403);
    expect(await refusal(wsUrl(), { ...auth(), origin: `https://evil.example:${server.port}` })).toBe(403);
    expect(await refusal(wsUrl(), { ...auth(), origin: 'null' })).toBe(403);
  });

  it('takes a page of this host served over https by a TLS proxy in front of it', async () => {
    const { ws } = await open(wsUrl(), { ...auth(), origin: `https://127.0.0.1:${server.port}` });
    ws.close();
  });

  it('refuses other socket paths', async () => {
    expect(await refusal(`${server.url.replace('http', 'ws')}/other`, auth())).toBe(404);
  });

  it('a page of this host (its cookie and origin) can call hostInfo and receives bus events', async () => {
    const { ws, frames } = await open(wsUrl(), { cookie: `reef_token=${encodeURIComponent(token)}`, origin: server.url });
    ws.send(JSON.stringify({ id: 1, method: 'hostInfo', params: {} }));
    expect(await waitFor(frames, (f) => ('id' in f && f.id === 1 ? f : undefined))).toEqual({ id: 1, result: info });

    ws.send(JSON.stringify({ id: 2, method: 'busSubscribe', params: { pattern: 'reef.v1.events.task.*' } }));
    const sub = await waitFor(frames, (f) => ('id' in f && f.id === 2 && 'result' in f ? (f.result as { subscriptionId: string }) : undefined));
    await bus.publish('reef.v1.events.task.leased', { id: 't1' });
    const event = await waitFor(frames, (f) => ('event' in f ? f.event : undefined));
    expect(event).toEqual({ type: 'bus', subscriptionId: sub.subscriptionId, subject: 'reef.v1.events.task.leased', body: { id: 't1' } });
    ws.close();
  });

  it('answers a bad call with an error frame carrying the code, and keeps the socket open', async () => {
    const { ws, frames } = await open(wsUrl(), auth());
    ws.send(JSON.stringify({ id: 7, method: 'dropEverything', params: {} }));
    ws.send(JSON.stringify({ id: 8, method: 'busRequest', params: { subject: 'reef.v1.*' } }));
    ws.send(JSON.stringify({ id: 9, method: 'busRequest', params: { subject: 'reef.v1.tasks.list', body: { q: 1 } } }));
    const errorOf = (id: number) => waitFor(frames, (f) => ('id' in f && f.id === id && 'error' in f ? f.error : undefined));
    expect(await errorOf(7)).toEqual({ code: 'not_found', message: 'no method "dropEverything"' });
    expect((await errorOf(8)).code).toBe('invalid_request');
    expect(await waitFor(frames, (f) => ('id' in f && f.id === 9 && 'result' in f ? f.result : undefined))).toEqual({
      body: { subject: 'reef.v1.tasks.list', body: { q: 1 } },
    });
    ws.close();
  });

  /** Serves `subject` with a handler that waits on its info.signal; each request's signal is pushed as it arrives. */
  async function serveUntilAborted(subject: string): Promise<{ signals: AbortSignal[]; stop(): Promise<void> }> {
    const signals: AbortSignal[] = [];
    const sub = await bus.serve(subject, (_body, i) => {
      signals.push(i.signal!);
      return new Promise((_, reject) => i.signal!.addEventListener('abort', () => reject(i.signal!.reason as Error), { once: true }));
    });
    return { signals, stop: () => sub.unsubscribe() };
  }

  async function until(check: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (check()) return;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  it('busCancel from the window aborts its request: the handler sees info.signal abort', async () => {
    const served = await serveUntilAborted('reef.v1.cancel.wait');
    try {
      const { ws, frames } = await open(wsUrl(), auth());
      ws.send(JSON.stringify({ id: 1, method: 'busRequest', params: { subject: 'reef.v1.cancel.wait', body: {}, requestId: 'chat-1', timeoutMs: 60_000 } }));
      ws.send(JSON.stringify({ id: 2, method: 'busRequest', params: { subject: 'reef.v1.cancel.wait', body: {}, requestId: 'chat-2', timeoutMs: 60_000 } }));
      await until(() => served.signals.length === 2, 'both requests to reach the handler');
      expect(served.signals.some((s) => s.aborted)).toBe(false);
      ws.send(JSON.stringify({ id: 3, method: 'busCancel', params: { requestId: 'chat-1' } }));
      expect(await waitFor(frames, (f) => ('id' in f && f.id === 3 ? f : undefined))).toEqual({ id: 3, result: { cancelled: true } });
      expect(served.signals[0]!.aborted).toBe(true);
      expect(served.signals[1]!.aborted).toBe(false);
      // The cancelled request is answered (with an error nobody waits for), and the socket goes on.
      expect((await waitFor(frames, (f) => ('id' in f && f.id === 1 && 'error' in f ? f.error : undefined))).code).toBe('unavailable');
      // An unknown id is ignored; a malformed one is refused like any bad input.
      ws.send(JSON.stringify({ id: 4, method: 'busCancel', params: { requestId: 'no-such-request' } }));
      expect(await waitFor(frames, (f) => ('id' in f && f.id === 4 ? f : undefined))).toEqual({ id: 4, result: { cancelled: false } });
      ws.send(JSON.stringify({ id: 5, method: 'busCancel', params: { requestId: '../../etc' } }));
      expect((await waitFor(frames, (f) => ('id' in f && f.id === 5 && 'error' in f ? f.error : undefined))).code).toBe('invalid_request');
      ws.send(JSON.stringify({ id: 6, method: 'busCancel', params: { requestId: 'chat-1', also: 'chat-2' } }));
      expect((await waitFor(frames, (f) => ('id' in f && f.id === 6 && 'error' in f ? f.error : undefined))).code).toBe('invalid_request');
      expect(served.signals[1]!.aborted).toBe(false);
      ws.close();
      await until(() => served.signals[1]!.aborted, 'the socket closing to abort the other request');
    } finally {
      await served.stop();
    }
  });

  it("the window's socket closing aborts every request it has in flight", async () => {
    const served = await serveUntilAborted('reef.v1.cancel.close');
    try {
      const { ws } = await open(wsUrl(), auth());
      const { ws: otherWindow } = await open(wsUrl(), auth());
      ws.send(JSON.stringify({ id: 1, method: 'busRequest', params: { subject: 'reef.v1.cancel.close', body: {}, timeoutMs: 60_000 } }));
      ws.send(JSON.stringify({ id: 2, method: 'busRequest', params: { subject: 'reef.v1.cancel.close', body: {}, requestId: 'r', timeoutMs: 60_000 } }));
      await until(() => served.signals.length === 2, 'both requests to reach the handler');
      // Another window's request, under the same requestId: not this socket's to end.
      otherWindow.send(JSON.stringify({ id: 1, method: 'busRequest', params: { subject: 'reef.v1.cancel.close', body: {}, requestId: 'r', timeoutMs: 60_000 } }));
      await until(() => served.signals.length === 3, "the other window's request");
      ws.terminate();
      await until(() => served.signals[0]!.aborted && served.signals[1]!.aborted, 'the closed socket to abort its requests');
      expect(served.signals[2]!.aborted).toBe(false);
      otherWindow.close();
      await until(() => served.signals[2]!.aborted, 'the other window closing');
    } finally {
      await served.stop();
    }
  });

  it('closes the socket with 1003 on a frame that is not {id, method, params}', async () => {
    const { ws } = await open(wsUrl(), auth());
    const code = await new Promise<number>((resolve) => {
      ws.on('close', (c) => resolve(c));
      ws.send('not json at all');
    });
    expect(code).toBe(1003);
  });
});

describe('operator token', () => {
  it('is made once, kept with mode 0600, and read back the same', () => {
    const d = tempDir('reef-token-');
    try {
      const first = ensureOperatorToken(d.path);
      expect(first).toMatch(/^reef_op_[A-Za-z0-9_-]{32}$/);
      expect(ensureOperatorToken(d.path)).toBe(first);
      expect(statSync(operatorTokenPath(d.path)).mode & 0o777).toBe(0o600);
    } finally {
      d.remove();
    }
  });

  it('tightens a token file others can read, and replaces one too short to be safe', () => {
    const d = tempDir('reef-token-');
    try {
      const file = d.write('operator.token', `reef_op_${'a'.repeat(40)}\n`);
      expect(ensureOperatorToken(d.path)).toBe(`reef_op_${'a'.repeat(40)}`);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      d.write('operator.token', 'short');
      const replaced = ensureOperatorToken(d.path);
      expect(replaced).not.toBe('short');
      expect(replaced.length).toBeGreaterThanOrEqual(32);
    } finally {
      d.remove();
    }
  });

  it('tokensEqual compares exactly', () => {
    expect(tokensEqual('abc', 'abc')).toBe(true);
    expect(tokensEqual('abc', 'abd')).toBe(false);
    expect(tokensEqual('abc', 'abcd')).toBe(false);
    expect(tokensEqual('', 'x')).toBe(false);
  });
});
