/** Streaming routes (`HttpRoute.stream`): events published on the request's own subject become server-sent events. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ReefError, STREAM_SUBJECT_PREFIX } from '../../sdk/index.js';
import { tempDir, type TempDir } from '../../test/harness/tmp.js';
import { LocalBus } from '../bus/local-bus.js';
import { silentLogger } from '../host/log.js';
import type { RendererHost } from '../host/renderer-api.js';
import { startServer, type RunningServer } from './http-server.js';
import { RouteTable } from './routes.js';
import { ensureOperatorToken } from './tokens.js';

let dir: TempDir;
let bus: LocalBus;
let server: RunningServer;
let token: string;

beforeAll(async () => {
  dir = tempDir('reef-stream-');
  token = ensureOperatorToken(dir.path);
  bus = new LocalBus();
  const routes = new RouteTable();
  routes.add({ method: 'POST', path: '/v1/talk', subject: 'reef.v1.talk', scopes: ['operator'], stream: true }, 'demo');
  await bus.serve('reef.v1.talk', async (raw) => {
    const body = raw as { stream?: boolean; streamTo?: string; events?: number; failAfter?: number };
    if (!body.stream) return { whole: true };
    if (!body.streamTo?.startsWith(STREAM_SUBJECT_PREFIX)) throw new ReefError('invalid_request', 'no streamTo');
    const n = body.events ?? 3;
    if (body.failAfter === 0) throw new ReefError('conflict', 'refused before any event');
    // Published last first: the gateway puts them back in order.
    const sends = [];
    for (let seq = n - 1; seq >= 0; seq--) sends.push(bus.publish(body.streamTo, { seq, data: { n: seq } }));
    await Promise.all(sends);
    if (body.failAfter !== undefined) throw new ReefError('unavailable', 'broke mid-stream');
    return { streamed: n };
  });
  server = await startServer({
    host: '127.0.0.1',
    port: 0,
    operatorToken: token,
    routes,
    bus,
    rendererHost: {} as RendererHost,
    rendererDir: undefined,
    pluginDir: () => undefined,
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

const post = (body: object) =>
  fetch(`${server.url}/v1/talk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

it('writes the events in seq order, then [DONE]; a client-sent streamTo is replaced', async () => {
  const res = await post({ stream: true, events: 4, streamTo: 'reef.v1.tasks.enqueue' });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  expect(await res.text()).toBe('data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"n":2}\n\ndata: {"n":3}\n\ndata: [DONE]\n\n');
});

it('without stream: true the route answers JSON as any other', async () => {
  const res = await post({ events: 2 });
  expect(await res.json()).toEqual({ whole: true });
});

it('a failure before any event is the usual JSON error; after one, a last error event', async () => {
  const before = await post({ stream: true, failAfter: 0 });
  expect(before.status).toBe(409);
  expect(await before.json()).toMatchObject({ error: { code: 'conflict' } });
  const after = await post({ stream: true, events: 2, failAfter: 2 });
  expect(after.status).toBe(200);
  expect(await after.text()).toBe('data: {"n":0}\n\ndata: {"n":1}\n\ndata: {"error":{"code":"unavailable","message":"broke mid-stream"}}\n\n');
});

it('a route copies the request headers it names into the body', async () => {
  const routes = new RouteTable();
  routes.add({ method: 'POST', path: '/v1/echo', subject: 'reef.v1.echo', scopes: ['operator'], headers: { 'x-reef-agent': 'reefAgent' } }, 'demo');
  await bus.serve('reef.v1.echo', (body) => body);
  const echo = await startServer({ host: '127.0.0.1', port: 0, operatorToken: token, routes, bus, rendererHost: {} as RendererHost, rendererDir: undefined, pluginDir: () => undefined, log: silentLogger(), version: '0.1.0', tier: () => 'single-box' });
  try {
    const call = (headers: Record<string, string>, body: object) =>
      fetch(`${echo.url}/v1/echo`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }).then((r) => r.json());
    expect(await call({ 'X-Reef-Agent': 'scout' }, { reefAgent: 'other', a: 1 })).toEqual({ reefAgent: 'scout', a: 1 });
    expect(await call({}, { a: 1 })).toEqual({ a: 1 });
  } finally {
    await echo.close();
  }
});
