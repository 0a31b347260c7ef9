/**
 * NATS connections through one transport selection: `nats://`/`tls://` over TCP, `ws://`/
 * `wss://` over WebSocket. Every NATS connection of the host (the bus, JetStream, KV) is opened
 * here; a lint rule keeps nats.js's own connect functions out of the rest of the code.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { createRequire } from 'node:module';
import path from 'node:path';
import {
  credsAuthenticator,
  NatsConnectionImpl,
  nkeyAuthenticator,
  setTransportFactory,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  wsUrlParseFn,
  type ConnectionOptions,
  type NatsConnection,
  type Server,
  type Transport,
} from '@nats-io/nats-core/internal';
import { NodeTransport, nodeResolveHost } from '@nats-io/transport-node/lib/node_transport.js';
import { WebSocket as NodeWebSocket } from 'ws';
import { ReefError } from '../../sdk/index.js';

// ---------------------------------------------------------------------------------------------
// Transports. nats.js keeps ONE process-wide transport factory, set by each connect() and
// wsconnect() call and read again at every reconnect: a process holding a TCP and a WebSocket
// connection would reconnect the first with the second's transport. So every connection made
// here goes through one factory that picks the transport per server URL.

export const isWsUrl = (u: string) => /^wss?:\/\//i.test(u);

// WsTransport is not exported; load it from the same module instance nats-core uses.
const requireCjs = createRequire(import.meta.url);
const { WsTransport } = requireCjs(path.join(path.dirname(requireCjs.resolve('@nats-io/nats-core')), 'ws_transport.js')) as {
  WsTransport: new () => Transport;
};

/** A transport that becomes a NodeTransport or a WsTransport once it learns which server it dials. */
class DispatchTransport implements Transport {
  private inner: Transport | undefined;
  private readonly whenClosed: Promise<void | Error>;
  private settleClosed: (v: void | Error) => void = () => {};

  constructor() {
    this.whenClosed = new Promise((resolve) => (this.settleClosed = resolve));
  }

  private get t(): Transport {
    if (!this.inner) throw new Error('the NATS transport is not connected');
    return this.inner;
  }
  get isClosed() {
    return this.inner?.isClosed ?? false;
  }
  get lang() {
    return this.t.lang;
  }
  get version() {
    return this.t.version;
  }
  get closeError() {
    return this.inner?.closeError;
  }
  connect(server: Server, opts: ConnectionOptions): Promise<void> {
    this.inner = isWsUrl(server.src) ? new WsTransport() : new NodeTransport();
    void this.inner.closed().then(this.settleClosed);
    return this.inner.connect(server, opts);
  }
  [Symbol.asyncIterator]() {
    return this.t[Symbol.asyncIterator]();
  }
  isEncrypted() {
    return this.inner?.isEncrypted() ?? false;
  }
  send(frame: Uint8Array) {
    this.t.send(frame);
  }
  async close(err?: Error) {
    if (this.inner) await this.inner.close(err);
    else this.settleClosed(err);
  }
  disconnect() {
    this.inner?.disconnect();
  }
  closed() {
    return this.whenClosed;
  }
  discard() {
    this.inner?.discard();
  }
}

function installTransports(): void {
  setTransportFactory({
    factory: () => new DispatchTransport(),
    urlParseFn: (u: string, encrypted?: boolean) => (isWsUrl(u) ? wsUrlParseFn(u, encrypted) : u),
    dnsResolveFn: nodeResolveHost,
    defaultPort: 4222,
  });
}

/** Node has no W3C WebSocket before 22; `ws` is one, and behaves the same under Electron. */
function wsFactory(ca: Buffer | undefined) {
  return async (u: string): Promise<{ socket: WebSocket; encrypted: boolean }> => ({
    socket: new NodeWebSocket(u, ca ? { ca } : undefined) as unknown as WebSocket,
    encrypted: /^wss:/i.test(u),
  });
}

/**
 * nats.js dials an IP address with no TLS server name, so Node checks the certificate against
 * "localhost". For servers given by IP, accept a certificate (still verified up to a trusted
 * CA) that names one of those IPs.
 */
function ipIdentity(servers: readonly string[]): { checkServerIdentity?: (host: string, cert: PeerCertificate) => Error | undefined } {
  const ips = servers.map((s) => new URL(s.replace(/^tls:/i, 'https:')).hostname.replace(/^\[|\]$/g, '')).filter((h) => isIP(h) !== 0);
  if (ips.length === 0) return {};
  return {
    checkServerIdentity: (host, cert) => {
      const err = checkServerIdentity(host, cert);
      return err && ips.some((ip) => checkServerIdentity(ip, cert) === undefined) ? undefined : err;
    },
  };
}

/**
 * How a client proves itself to the NATS server: a user and password, a token, an NKey seed file
 * (`SU…`), or a .creds file (a user JWT and its seed, for servers run in operator/JWT mode).
 */
export type NatsCredentials =
  | { kind: 'user'; user: string; pass: string }
  | { kind: 'token'; token: string }
  | { kind: 'nkey'; seedFile: string }
  | { kind: 'creds'; credsFile: string };

/** Which credentials, for logs and messages: never the secret itself. */
export function describeCredentials(c: NatsCredentials | undefined): string {
  if (!c) return 'anonymous';
  switch (c.kind) {
    case 'user':
      return `user ${c.user}`;
    case 'token':
      return 'a token';
    case 'nkey':
      return `the NKey seed in ${c.seedFile}`;
    case 'creds':
      return `the credentials in ${c.credsFile}`;
  }
}

/** Files are read at every (re)connect, so a rotated seed or .creds file is used without a restart. */
function authenticatorFor(c: NatsCredentials): Authenticator {
  const read = (file: string) => () => new Uint8Array(readFileSync(file));
  switch (c.kind) {
    case 'user':
      return usernamePasswordAuthenticator(c.user, c.pass);
    case 'token':
      return tokenAuthenticator(c.token);
    case 'nkey':
      // The seed file may end with a newline; nats.js wants the bare seed.
      return nkeyAuthenticator(() => new TextEncoder().encode(readFileSync(c.seedFile, 'utf8').trim()));
    case 'creds':
      return credsAuthenticator(read(c.credsFile));
  }
}

/**
 * A raw NATS connection (for JetStream and KV) through the same transport selection as the bus:
 * `nats://`/`tls://` over TCP, `ws://`/`wss://` over WebSocket. Several URLs may be given
 * (an array or comma-separated), all of one kind. `options.tls.caFile` adds trusted certificate
 * authorities (PEM) to the system's, for tls:// and wss:// alike.
 */
export async function openNatsConnection(
  url: string | readonly string[],
  { credentials, ...options }: Partial<ConnectionOptions> & { credentials?: NatsCredentials } = {},
): Promise<NatsConnection> {
  const servers = (typeof url === 'string' ? url.split(',') : [...url]).map((s) => s.trim()).filter(Boolean);
  if (servers.length === 0) throw new ReefError('invalid_request', 'no NATS server URL given');
  const ws = servers.filter(isWsUrl).length;
  if (ws !== 0 && ws !== servers.length) throw new ReefError('invalid_request', `mix of WebSocket and TCP NATS URLs: ${servers.join(', ')}`);
  for (const s of servers) {
    if (!/^(nats|tls|wss?):\/\//i.test(s)) throw new ReefError('invalid_request', `"${s}" is not a nats://, tls://, ws:// or wss:// URL`);
  }
  const caFile = options.tls?.caFile;
  const transportOptions: Partial<ConnectionOptions> & { wsFactory?: ReturnType<typeof wsFactory> } =
    ws > 0
      ? // Servers gossip other nodes' WebSocket ports as bare host:port, which would be dialled over TCP.
        { wsFactory: wsFactory(caFile ? readFileSync(caFile) : undefined), ignoreClusterUpdates: true, resolve: false, tls: undefined }
      : servers.some((s) => /^tls:/i.test(s))
        ? { tls: { ...(caFile && { caFile }), ...ipIdentity(servers) } }
        : { tls: undefined }; // nats:// is plain TCP, even where a CA file is configured
  installTransports();
  try {
    return await NatsConnectionImpl.connect({ ...options, ...transportOptions, ...(credentials && { authenticator: authenticatorFor(credentials) }), servers });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/authorization|authentication/i.test(message)) {
      throw new ReefError(
        'unauthorized',
        `NATS at ${servers.join(', ')} refused ${describeCredentials(credentials)} (${message}): give the credentials its configuration expects (--nats-user/--nats-pass, --nats-token, --nats-nkey or --nats-creds)`,
      );
    }
    throw new ReefError('unavailable', `cannot reach NATS at ${servers.join(', ')}: ${message}`);
  }
}

