/** HTTP and WebSocket on one port: /healthz, the /v1 gateway, the renderer RPC socket and the built renderer. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ReefError,
  WsClientFrameSchema,
  type Bus,
  type Caller,
  type HostEvent,
  type Tier,
  type WsServerFrame,
} from '../../sdk/index.js';
import type { Logger } from '../host/log.js';
import { RendererSession, type RendererHost } from '../host/renderer-api.js';
import type { RouteTable } from './routes.js';
import { serveStatic } from './static.js';
import { tokensEqual } from './tokens.js';

export const MAX_BODY_BYTES = 1024 * 1024;
const COOKIE = 'reef_token';

export interface ServerOptions {
  host: string;
  port: number;
  operatorToken: string;
  /** Agent tokens: the caller a non-operator token stands for (HTTP /v1 only). */
  verifyAgentToken?: (token: string) => Promise<Caller | undefined>;
  routes: RouteTable;
  bus: Bus;
  rendererHost: RendererHost;
  rendererDir: string | undefined;
  pluginDir: (id: string) => string | undefined;
  log: Logger;
  version: string;
  tier: () => Tier;
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

function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}

/**
 * The token a request carries: Authorization header, then ?token=, then the session cookie.
 * An explicit ?token= beats the cookie so that a new token replaces a stale cookie.
 */
function presentedToken(req: http.IncomingMessage, url: URL): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  return url.searchParams.get('token') ?? cookieToken(req.headers.cookie) ?? undefined;
}

async function readJsonBody(req: http.IncomingMessage): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) throw new ReefError('too_large', `request body is over ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ReefError('too_large', `request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  const type = req.headers['content-type'] ?? '';
  if (!type.includes('application/json')) {
    throw new ReefError('invalid_request', 'the body must be JSON with content-type: application/json');
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    throw new ReefError('invalid_request', `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { log, routes, bus } = options;
  const operator: Caller = { kind: 'operator', id: 'operator' };

  const authorize = (req: http.IncomingMessage, url: URL): Caller | undefined => {
    const token = presentedToken(req, url);
    if (token && tokensEqual(token, options.operatorToken)) return operator;
    return undefined;
  };

  /** The agent API also takes agent tokens; the app, its socket and its files take only the operator's. */
  const authorizeAgent = async (req: http.IncomingMessage): Promise<Caller | undefined> => {
    const auth = req.headers.authorization;
    if (!auth?.startsWith('Bearer ') || !options.verifyAgentToken) return undefined;
    return options.verifyAgentToken(auth.slice(7).trim());
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = ReefError.from(err);
      if (e.code === 'internal') log.error({ err: e.message, url: req.url }, 'request failed');
      if (!res.headersSent) sendError(res, e);
      else res.destroy();
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://reef.invalid');
    res.setHeader('x-content-type-options', 'nosniff');
    if (url.pathname === '/healthz') {
      sendJson(res, 200, { ok: true, version: options.version, tier: options.tier() });
      return;
    }
    const caller = authorize(req, url) ?? (url.pathname.startsWith('/v1/') ? await authorizeAgent(req) : undefined);
    if (!caller) {
      res.setHeader('www-authenticate', 'Bearer realm="reef"');
      throw new ReefError(
        'unauthorized',
        'a valid token is required: send "Authorization: Bearer TOKEN" (run `reef token` to print the operator token)',
      );
    }
    // A page opened with ?token= gets a cookie, then the token leaves the address bar.
    if (url.searchParams.has('token') && req.method === 'GET' && !url.pathname.startsWith('/v1/')) {
      url.searchParams.delete('token');
      res.writeHead(303, {
        'set-cookie': `${COOKIE}=${encodeURIComponent(presentedToken(req, new URL(req.url ?? '/', 'http://reef.invalid')) ?? '')}; Path=/; HttpOnly; SameSite=Strict`,
        location: url.pathname + (url.search || ''),
      });
      res.end();
      return;
    }
    if (url.pathname.startsWith('/v1/')) {
      await handleGateway(req, res, url, caller);
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
    // The token authenticates the call; it is never part of the operation's body.
    if (route.query) for (const [k, v] of url.searchParams) if (k !== 'token') merged[k] = v;
    for (const [k, v] of Object.entries(params)) {
      if (k in merged && merged[k] !== v) throw new ReefError('invalid_request', `${k}: differs between the path and the body`);
      merged[k] = v;
    }
    const reply = await bus.request(route.subject, merged, { caller, timeoutMs: 130_000 });
    sendJson(res, 200, reply);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://reef.invalid');
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
    };
    if (url.pathname !== '/rpc') return refuse(404, 'Not Found');
    // Only pages served by this host may open the socket: a page elsewhere would ride the cookie.
    const origin = req.headers.origin;
    const hostHeader = req.headers.host;
    if (origin !== undefined && (!hostHeader || origin !== `http://${hostHeader}`)) return refuse(403, 'Forbidden');
    const caller = authorize(req, url);
    if (!caller) return refuse(401, 'Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => attachRpc(ws, caller));
  });

  function attachRpc(ws: WebSocket, caller: Caller): void {
    const send = (frame: WsServerFrame) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame));
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
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type { Tier };
