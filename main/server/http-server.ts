/** HTTP and WebSocket on one port: /healthz, the /v1 gateway, /mcp, the renderer RPC socket and the built renderer. */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { DEFAULT_ROUTE_TIMEOUT_MS, ReefError, STREAM_SUBJECT_PREFIX, type Bus, type Caller } from '../../sdk/index.js';
import { WsClientFrameSchema, type HostEvent, type Tier, type WsServerFrame } from '../../sdk/contract.js';
import type { Logger } from '../host/log.js';
import { RendererSession, type RendererHost } from '../host/renderer-api.js';
import type { AgentToolTable } from './agent-tools.js';
import { McpGateway } from './mcp.js';
import type { RouteTable } from './routes.js';
import { serveStatic } from './static.js';
import { tokensEqual } from './tokens.js';

export const MAX_BODY_BYTES = 1024 * 1024;
/** What may wait in one socket's send buffer before the socket counts as stuck (see attachRpc). */
export const MAX_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;
/** WebSocket close code 1013, "try again later": the page reconnects and resyncs, as after a restart. */
export const CLOSE_TOO_SLOW = 1013;
const COOKIE = 'reef_token';

export interface ServerOptions {
  host: string;
  port: number;
  operatorToken: string;
  /** Agent tokens: the caller a non-operator token stands for (HTTP /v1 only). */
  verifyAgentToken?: (token: string) => Promise<Caller | undefined>;
  routes: RouteTable;
  /** What plugins offer agents over MCP (`/mcp`); absent: no /mcp. */
  tools?: AgentToolTable;
  bus: Bus;
  rendererHost: RendererHost;
  rendererDir: string | undefined;
  pluginDir: (id: string) => string | undefined;
  log: Logger;
  version: string;
  tier: () => Tier;
  /** GET /metrics (operator token): the Prometheus text. Absent: no such page. */
  metrics?: () => Promise<string>;
  /** How often /rpc sockets are pinged; one that has not answered the last ping by the next is ended. Default 15 s. */
  pingIntervalMs?: number;
  /** Per /rpc socket: past this many bytes waiting to be sent, the socket is closed with 1013. */
  maxSocketBufferBytes?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

function sendError(res: http.ServerResponse, err: ReefError): void {
  const headers: Record<string, string> = {};
  const details = err.details as { retryAfterMs?: number } | undefined;
  if (err.code === 'busy' && typeof details?.retryAfterMs === 'number') {
    headers['retry-after'] = String(Math.ceil(details.retryAfterMs / 1000));
  }
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  sendJson(res, err.httpStatus, err.toBody());
}

/** The session cookie; one that is not valid percent-encoding counts as no cookie. */
function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== COOKIE) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function bearerToken(req: http.IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  return auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
}

/**
 * Where a request lands decides what may authenticate it:
 * - `api` (/v1): the Authorization header only. A cookie would let any page in the operator's
 *   browser (another site, another local port) POST to the API; a query token ends up in logs.
 * - `socket` (/rpc): the header or the page's cookie (the socket's Origin is checked too).
 * - `page` (the app, its assets): the header, the cookie, or ?token= once, which becomes the cookie.
 *   An explicit ?token= beats the cookie so that a new token replaces a stale cookie.
 */
type Surface = 'api' | 'socket' | 'page';

function presentedToken(req: http.IncomingMessage, url: URL, surface: Surface): string | undefined {
  const bearer = bearerToken(req);
  if (bearer !== undefined || surface === 'api') return bearer;
  const query = surface === 'page' ? url.searchParams.get('token') : null;
  return query ?? cookieToken(req.headers.cookie);
}

/** Whether a page at `origin` was served by the host the request names (its Host header). */
function sameOrigin(origin: string, hostHeader: string | undefined): boolean {
  if (!hostHeader) return false;
  try {
    const o = new URL(origin);
    return (o.protocol === 'http:' || o.protocol === 'https:') && o.host === hostHeader.toLowerCase();
  } catch {
    return false;
  }
}

/** A request target as a URL; undefined when it is not one (`//`, `http://[`), which callers answer with 400. */
function parseTarget(target: string | undefined): URL | undefined {
  try {
    return new URL(target ?? '/', 'http://reef.invalid');
  } catch {
    return undefined;
  }
}

/**
 * Where to send a page after its ?token= is read: always a path on this host. `//evil.example/`
 * or `/\\evil.example/` would be read by a browser as another host.
 */
export function sameHostLocation(url: URL): string {
  return `/${url.pathname.replace(/^[/\\]+/, '')}${url.search}`;
}

async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new ReefError('too_large', `request body is over ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new ReefError('too_large', `request body is over ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof ReefError) throw err;
    // The client hung up mid-body: its problem, not the host's (and not an error line per try).
    throw new ReefError('invalid_request', 'the connection closed before the whole body arrived');
  }
  if (size === 0) return {};
  const type = req.headers['content-type'] ?? '';
  if (!type.includes('application/json')) {
    throw new ReefError('invalid_request', 'the body must be JSON with content-type: application/json');
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch (err) {
    throw new ReefError('invalid_request', `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  // JSON reads 1e999 (or a 400-digit integer) as Infinity, which the bus would carry on as null
  // (and `maxDepth: null` clears a limit).
  if (hasNonFinite(body)) {
    throw new ReefError('invalid_request', 'the body holds a number too large to represent (like 1e999)');
  }
  return body;
}

function hasNonFinite(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v === 'number' && !Number.isFinite(v)) return true;
    if (typeof v === 'object' && v !== null) stack.push(...Object.values(v));
  }
  return false;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { log, routes, bus } = options;
  const operator: Caller = { kind: 'operator', id: 'operator' };

  /** The operator on every surface; agent tokens only on the agent API. */
  const authorize = async (req: http.IncomingMessage, url: URL, surface: Surface): Promise<Caller | undefined> => {
    const token = presentedToken(req, url, surface);
    if (token === undefined) return undefined;
    if (tokensEqual(token, options.operatorToken)) return operator;
    return surface === 'api' && options.verifyAgentToken ? options.verifyAgentToken(token) : undefined;
  };

  const mcp = options.tools ? new McpGateway({ tools: options.tools, bus, log, listenHost: options.host }) : undefined;

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = ReefError.from(err);
      // The path only: a query string may hold a token.
      if (e.code === 'internal') log.error({ err: e.message, method: req.method, path: parseTarget(req.url)?.pathname }, 'request failed');
      if (!res.headersSent) sendError(res, e);
      else res.destroy();
    });
  });
  // A malformed request line or header: Node answers 400 itself without this; with it, we also log.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    log.debug({ err: err.code ?? err.message }, 'malformed HTTP request refused');
    // As Node would answer without this listener; never into a response already under way.
    const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (!socket.writable || (socket as Socket).destroyed || answering) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = parseTarget(req.url);
    if (!url) throw new ReefError('invalid_request', 'the request target is not a valid path');
    res.setHeader('x-content-type-options', 'nosniff');
    if (url.pathname === '/healthz') {
      sendJson(res, 200, { ok: true, version: options.version, tier: options.tier() });
      return;
    }
    const api = url.pathname.startsWith('/v1/') || (url.pathname === '/mcp' && mcp !== undefined);
    const caller = await authorize(req, url, api ? 'api' : 'page');
    if (!caller) {
      res.setHeader('www-authenticate', 'Bearer realm="reef"');
      throw new ReefError(
        'unauthorized',
        api
          ? 'a valid token is required in the header "Authorization: Bearer TOKEN" (run `reef token` to print the operator token; cookies and ?token= are not accepted on /v1)'
          : 'a valid token is required: send "Authorization: Bearer TOKEN" or open the address `reef serve` printed (run `reef token` to print the operator token)',
      );
    }
    // A page opened with ?token= gets a cookie, then the token leaves the address bar.
    if (!api && url.searchParams.has('token') && req.method === 'GET') {
      const token = url.searchParams.get('token') ?? '';
      url.searchParams.delete('token');
      res.writeHead(303, {
        'set-cookie': `${COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`,
        location: sameHostLocation(url),
      });
      res.end();
      return;
    }
    if (url.pathname === '/mcp' && mcp) {
      const body = req.method === 'POST' ? await readJsonBody(req) : undefined;
      await mcp.handle(req, res, caller, body);
      return;
    }
    if (api) {
      await handleGateway(req, res, url, caller);
      return;
    }
    if (url.pathname === '/metrics' && options.metrics) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ReefError('not_found', `/metrics does not take ${req.method}`);
      const text = await options.metrics();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : text);
      return;
    }
    if (url.pathname.startsWith('/plugin-assets/')) {
      const [, , id, ...rest] = url.pathname.split('/');
      const dir = id ? options.pluginDir(id) : undefined;
      if (!dir || !(await serveStatic(req, res, dir, rest.join('/'), { spa: false, onlyScripts: true }))) {
        throw new ReefError('not_found', `no plugin asset ${url.pathname}`);
      }
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new ReefError('not_found', `no route ${req.method} ${url.pathname}`);
    if (!options.rendererDir || !(await serveStatic(req, res, options.rendererDir, url.pathname.slice(1), { spa: true }))) {
      throw new ReefError('not_found', 'the renderer is not built: run `npm run build`');
    }
  }

  async function handleGateway(req: http.IncomingMessage, res: http.ServerResponse, url: URL, caller: Caller): Promise<void> {
    const match = routes.match(req.method ?? 'GET', url.pathname);
    if (match === undefined) throw new ReefError('not_found', `no route ${req.method} ${url.pathname}`);
    if (match === 'method_not_allowed') throw new ReefError('not_found', `${url.pathname} does not take ${req.method}`);
    const { route, params } = match;
    if (caller.kind !== 'operator' && !route.scopes.includes(caller.kind as 'agent')) {
      throw new ReefError('forbidden', `${route.method} ${route.path} needs scope ${route.scopes.join(' or ')}`);
    }
    const body = req.method === 'GET' || req.method === 'DELETE' ? {} : await readJsonBody(req);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ReefError('invalid_request', 'the body must be a JSON object');
    }
    const merged: Record<string, unknown> = { ...(body as Record<string, unknown>) };
    if (route.query) for (const [k, v] of url.searchParams) merged[k] = v;
    for (const [k, v] of Object.entries(params)) {
      if (k in merged && merged[k] !== v) throw new ReefError('invalid_request', `${k}: differs between the path and the body`);
      merged[k] = v;
    }
    for (const [header, field] of Object.entries(route.headers ?? {})) {
      const value = req.headers[header.toLowerCase()];
      if (typeof value === 'string') merged[field] = value;
    }
    // A client that hangs up (a long poll given up on) aborts the request, so nothing is taken for it.
    const gone = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) gone.abort(new ReefError('unavailable', 'the client closed the connection'));
    };
    res.once('close', onClose);
    try {
      if (route.stream && merged.stream === true) {
        await streamGateway(res, route.subject, merged, caller, route.timeoutMs ?? DEFAULT_ROUTE_TIMEOUT_MS, gone.signal);
        return;
      }
      const reply = await bus.request(route.subject, merged, { caller, timeoutMs: route.timeoutMs ?? DEFAULT_ROUTE_TIMEOUT_MS, signal: gone.signal });
      sendJson(res, 200, reply);
    } finally {
      res.off('close', onClose);
    }
  }

  /**
   * A streaming route (`HttpRoute.stream`): the handler publishes `{seq, data}` events on a subject
   * of this request's own, written as server-sent events in `seq` order (the bus may deliver them
   * out of order, or after the reply), then `data: [DONE]` once the reply says how many there were.
   */
  async function streamGateway(res: http.ServerResponse, subject: string, merged: Record<string, unknown>, caller: Caller, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const streamTo = `${STREAM_SUBJECT_PREFIX}${randomUUID().replaceAll('-', '')}`;
    merged.streamTo = streamTo;
    const pending = new Map<number, unknown>();
    let next = 0;
    let started = false;
    let caughtUp: (() => void) | undefined;
    const start = () => {
      if (started) return;
      started = true;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    };
    const sub = await bus.subscribe(streamTo, (message) => {
      const { seq, data } = (message ?? {}) as { seq?: unknown; data?: unknown };
      if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < next || pending.has(seq) || pending.size > 10_000) return;
      pending.set(seq, data);
      while (pending.has(next)) {
        start();
        res.write(`data: ${JSON.stringify(pending.get(next) ?? null)}\n\n`);
        pending.delete(next);
        next++;
      }
      caughtUp?.();
    });
    try {
      const reply = (await bus.request(subject, merged, { caller, timeoutMs, signal })) as { streamed?: unknown } | null;
      const streamed = typeof reply?.streamed === 'number' ? reply.streamed : next;
      // Events published before the reply may arrive after it: wait for them, briefly.
      if (next < streamed) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5000);
          caughtUp = () => {
            if (next >= streamed) {
              clearTimeout(timer);
              resolve();
            }
          };
        });
      }
      start();
      res.end('data: [DONE]\n\n');
    } catch (err) {
      if (!started) throw err;
      res.end(`data: ${JSON.stringify(ReefError.from(err).toBody())}\n\n`);
    } finally {
      await sub.unsubscribe();
    }
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  wss.on('error', (err) => log.warn({ err: err.message }, 'WebSocket server error'));
  server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    // Until ws takes the socket over, its errors (a reset while we answer) are ours to handle.
    const onSocketError = (err: Error) => {
      log.debug({ err: err.message }, 'socket error during upgrade');
      socket.destroy();
    };
    socket.on('error', onSocketError);
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    upgrade(req, socket, head, refuse, () => socket.off('error', onSocketError)).catch((err: unknown) => {
      log.error({ err: ReefError.from(err).message }, 'upgrade failed');
      refuse(500, 'Internal Server Error');
    });
  });

  async function upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, refuse: (status: number, reason: string) => void, handOver: () => void): Promise<void> {
    const url = parseTarget(req.url);
    if (!url) return refuse(400, 'Bad Request');
    if (url.pathname !== '/rpc') return refuse(404, 'Not Found');
    // Only pages served by this host may open the socket: a page elsewhere would ride the cookie.
    // http or https: behind a TLS proxy the page is https://host while Reef itself speaks http.
    if (req.headers.origin !== undefined && !sameOrigin(req.headers.origin, req.headers.host)) return refuse(403, 'Forbidden');
    const caller = await authorize(req, url, 'socket');
    if (!caller) return refuse(401, 'Unauthorized');
    if ((socket as Socket).destroyed) return;
    wss.handleUpgrade(req, socket, head, (ws) => {
      handOver();
      attachRpc(ws, caller);
    });
  }

  const maxBuffered = options.maxSocketBufferBytes ?? MAX_SOCKET_BUFFER_BYTES;
  /** Sockets that answered the last ping; the rest are ended at the next round. */
  const alive = new WeakSet<WebSocket>();
  const pinger = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.has(ws)) {
        log.info('renderer socket did not answer a ping: ended');
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, options.pingIntervalMs ?? 15_000);
  pinger.unref();

  function attachRpc(ws: WebSocket, caller: Caller): void {
    alive.add(ws);
    ws.on('pong', () => alive.add(ws));
    // An oversized frame, invalid UTF-8, a reset: ws reports it here and closes this socket; the host goes on.
    ws.on('error', (err) => log.warn({ err: err.message }, 'renderer socket error: connection closed'));
    let stuck = false;
    const send = (frame: WsServerFrame) => {
      if (ws.readyState !== ws.OPEN || stuck) return;
      // A page that stops reading would make the host buffer every event for it: past the cap it
      // is closed instead, and reconnects and resyncs as after a restart.
      if (ws.bufferedAmount > maxBuffered) {
        stuck = true;
        log.warn({ bufferedBytes: ws.bufferedAmount }, 'renderer socket is not reading: closed (1013)');
        void session.close();
        ws.close(CLOSE_TOO_SLOW, 'too far behind: reconnect');
        // The close frame waits behind what the page has not read; do not wait for it for long.
        setTimeout(() => ws.terminate(), 5000).unref();
        return;
      }
      ws.send(JSON.stringify(frame));
    };
    const session = new RendererSession(options.rendererHost, (event: HostEvent) => send({ event }), caller);
    ws.on('message', (data) => {
      let frame;
      try {
        frame = WsClientFrameSchema.parse(JSON.parse(String(data)));
      } catch {
        ws.close(1003, 'frames must be {id, method, params} JSON');
        return;
      }
      const { id, method, params } = frame;
      session.call(method, params).then(
        (result) => send({ id, result }),
        (err: unknown) => send({ id, error: ReefError.from(err).toBody().error }),
      );
    });
    ws.on('close', () => void session.close());
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  // After listening, a server error (EMFILE on accept) is logged; the server keeps serving what it can.
  server.on('error', (err) => log.error({ err: err.message }, 'HTTP server error'));
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: async () => {
      clearInterval(pinger);
      await mcp?.close();
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type { Tier };
