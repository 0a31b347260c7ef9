// The browser transport: the renderer contract over one WebSocket at /rpc, reconnecting by itself.
import type {
  ConnectionState,
  HostEvent,
  MethodName,
  ReefApi,
  ReefTransport,
  WsServerFrame,
} from '../../../sdk/contract.js';
import { ReefError } from '../../../sdk/errors.js';
import { connectionLostError, notConnectedError } from './errors.js';
import { RENDERER_METHODS } from './methods.js';

/** Close codes a server may use to say the credentials were refused. */
const UNAUTHORIZED_CLOSE_CODES = new Set([1008, 4401]);

export interface WsTransportOptions {
  /** ws:// or wss:// URL of the host's /rpc socket. */
  url: string;
  /** Defaults to the global WebSocket. */
  WebSocketImpl?: typeof WebSocket;
  /** First reconnect delay; doubles up to maxDelayMs. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /** A reply slower than this fails the call with `unavailable`. busRequest waits its own timeoutMs plus this. */
  callTimeoutMs?: number;
  /**
   * Asked when a connection attempt fails before opening: browsers hide the HTTP status of a
   * refused upgrade, so this finds out whether it was a 401. Resolve true for "unauthorized".
   */
  probeUnauthorized?: () => Promise<boolean>;
  /** Jitter source in [0, 1); tests pin it. */
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface PendingCall {
  method: MethodName;
  resolve: (value: unknown) => void;
  reject: (err: ReefError) => void;
  timer: unknown;
}

interface QueuedCall {
  method: MethodName;
  params: unknown;
  resolve: (value: unknown) => void;
  reject: (err: ReefError) => void;
}

/** The URL of the /rpc socket of the host that served this page. */
export function rpcUrlFor(location: Pick<Location, 'protocol' | 'host'>): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc`;
}

/** HEAD /rpc carries the cookie like the upgrade did: a 401 means the token is missing or wrong. */
export async function probeUnauthorizedOverHttp(): Promise<boolean> {
  try {
    const res = await fetch('/rpc', { method: 'HEAD', credentials: 'same-origin', cache: 'no-store' });
    return res.status === 401;
  } catch {
    // The host is down: that is "unreachable", not "unauthorized".
    return false;
  }
}

export class WsTransport implements ReefTransport {
  readonly api: ReefApi;
  private socket: WebSocket | undefined;
  private state: ConnectionState = 'connecting';
  private nextId = 1;
  private failures = 0;
  private reconnectTimer: unknown;
  private stopped = false;
  private readonly pending = new Map<number, PendingCall>();
  private queued: QueuedCall[] = [];
  private readonly eventListeners = new Set<(event: HostEvent) => void>();
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();
  private readonly WebSocketImpl: typeof WebSocket;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: WsTransportOptions) {
    this.WebSocketImpl = options.WebSocketImpl ?? WebSocket;
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
    const api: Partial<Record<MethodName, (request: unknown) => Promise<unknown>>> = {};
    for (const method of RENDERER_METHODS) api[method] = (request) => this.call(method, request);
    this.api = api as ReefApi;
    this.connect();
  }

  onEvent(listener: (event: HostEvent) => void): () => void {
    this.eventListeners.add(listener);
    return () => this.eventListeners.delete(listener);
  }

  /** The listener hears the current state at once, then every change. */
  onConnection(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    listener(this.state);
    return () => this.connectionListeners.delete(listener);
  }

  connectionState(): ConnectionState {
    return this.state;
  }

  /** Stops reconnecting and fails every call still waiting. */
  close(): void {
    this.stopped = true;
    if (this.reconnectTimer !== undefined) this.clearTimer(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, 'closed by the renderer');
    this.failAll();
    this.setState('closed');
  }

  private call(method: MethodName, params: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const socket = this.socket;
      if (socket && socket.readyState === this.WebSocketImpl.OPEN) {
        this.send(socket, method, params, resolve, reject);
      } else if (this.state === 'connecting' && !this.stopped) {
        this.queued.push({ method, params, resolve, reject });
      } else {
        reject(notConnectedError(method));
      }
    });
  }

  private send(
    socket: WebSocket,
    method: MethodName,
    params: unknown,
    resolve: (value: unknown) => void,
    reject: (err: ReefError) => void,
  ): void {
    const id = this.nextId++;
    const busTimeout =
      method === 'busRequest' && typeof params === 'object' && params !== null && 'timeoutMs' in params
        ? Number((params as { timeoutMs?: unknown }).timeoutMs) || 0
        : 0;
    const limit = (this.options.callTimeoutMs ?? 30_000) + busTimeout;
    const timer = this.setTimer(() => {
      if (!this.pending.delete(id)) return;
      reject(new ReefError('unavailable', `${method}: the Reef host did not reply within ${Math.round(limit / 1000)} s`));
    }, limit);
    this.pending.set(id, { method, resolve, reject, timer });
    socket.send(JSON.stringify({ id, method, params: params ?? {} }));
  }

  private connect(): void {
    if (this.stopped) return;
    this.reconnectTimer = undefined;
    this.setState('connecting');
    let socket: WebSocket;
    try {
      socket = new this.WebSocketImpl(this.options.url);
    } catch (err) {
      console.error(`reef: cannot open ${this.options.url}: ${ReefError.from(err).message}`);
      this.onAttemptFailed(false);
      return;
    }
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      opened = true;
      this.failures = 0;
      this.setState('open');
      const queued = this.queued;
      this.queued = [];
      for (const q of queued) this.send(socket, q.method, q.params, q.resolve, q.reject);
    };
    socket.onmessage = (message: MessageEvent) => {
      if (this.socket === socket) this.receive(message.data);
    };
    socket.onclose = (event: CloseEvent) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.failAll();
      if (UNAUTHORIZED_CLOSE_CODES.has(event.code)) {
        this.onAttemptFailed(true);
      } else if (!opened && this.options.probeUnauthorized) {
        const probe = this.options.probeUnauthorized;
        probe().then(
          (unauthorized) => this.onAttemptFailed(unauthorized),
          () => this.onAttemptFailed(false),
        );
      } else {
        this.onAttemptFailed(false);
      }
    };
    // Every error is followed by a close event, which does the work.
    socket.onerror = () => undefined;
  }

  private onAttemptFailed(unauthorized: boolean): void {
    if (this.stopped) return;
    this.failAll();
    this.setState(unauthorized ? 'unauthorized' : 'closed');
    const initial = this.options.initialDelayMs ?? 250;
    const max = this.options.maxDelayMs ?? 5000;
    // A refused token will not fix itself quickly: retry slowly (a new tab with ?token= sets the cookie).
    const base = unauthorized ? max : Math.min(max, initial * 2 ** this.failures);
    this.failures++;
    const jitter = 0.8 + 0.4 * (this.options.random ?? Math.random)();
    this.reconnectTimer = this.setTimer(() => this.connect(), Math.round(base * jitter));
  }

  private receive(data: unknown): void {
    let frame: WsServerFrame;
    try {
      frame = JSON.parse(String(data)) as WsServerFrame;
    } catch {
      console.error('reef: ignored a frame from the host that is not JSON');
      return;
    }
    if ('event' in frame) {
      for (const listener of [...this.eventListeners]) listener(frame.event);
      return;
    }
    const call = this.pending.get(frame.id);
    if (!call) return;
    this.pending.delete(frame.id);
    this.clearTimer(call.timer);
    if ('error' in frame) call.reject(ReefError.fromBody({ error: frame.error }) ?? new ReefError('internal', 'malformed error'));
    else call.resolve(frame.result);
  }

  private failAll(): void {
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      this.clearTimer(call.timer);
      call.reject(connectionLostError(call.method));
    }
    const queued = this.queued;
    this.queued = [];
    for (const q of queued) q.reject(notConnectedError(q.method));
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    for (const listener of [...this.connectionListeners]) listener(state);
  }
}
