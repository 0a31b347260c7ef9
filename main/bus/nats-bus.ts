/**
 * The NATS bus: the Bus interface over a NATS server (TCP, TLS or WebSocket), with the local
 * bus's semantics — JSON bodies, PROTOCOL error bodies, one answer per request, wildcards —
 * plus what a network adds: a Reef-Token header the serving side turns into the Caller,
 * reconnection forever with backoff, and a connection status for the UI.
 */
import { EVENT_SUBJECTS, EventPublisher, isEventPattern, subscribeToEvents } from './event-stream.js';
import { createHash } from 'node:crypto';
import {
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription as NatsSubscription,
} from '@nats-io/nats-core/internal';
import { openNatsConnection } from './nats-connection.js';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  ReefError,
  isValidPattern,
  isValidSubject,
  subjectMatches,
  type Bus,
  type BusStats,
  type Caller,
  type MessageHandler,
  type RequestHandler,
  type RequestOptions,
  type Subscription,
} from '../../sdk/index.js';

export { openNatsConnection };

/** The request header carrying the requester's Reef token; the serving side authenticates it. */
export const TOKEN_HEADER = 'Reef-Token';
/** The request header naming the caller a trusted host relays for (see NatsBusOptions.authenticate). */
export const CALLER_HEADER = 'Reef-Caller';
/** Queue group of `serve` without `queue`: a request is answered once, as on the local bus, never by every server. */
export const DEFAULT_SERVE_QUEUE = 'reef';

export type NatsBusStatus = 'connected' | 'reconnecting' | 'closed';

export interface NatsBusOptions {
  /** Read `reef.v1.events.>` subscriptions from the JetStream event stream (replay after a disconnect). */
  eventStream?: boolean;
  /**
   * With eventStream: name event subscriptions' consumers `<prefix>_<pattern hash>_<n>` and keep
   * them on the server, so this process, restarted, resumes where it was. Unique per data dir.
   */
  durableEvents?: string;
  /** Connection name shown by the server's monitoring (/connz). */
  name?: string;
  /** A PEM file of certificate authorities to trust for tls:// and wss:// servers, besides the system's. */
  caFile?: string;
  /** Sent as the Reef-Token header on every request this bus makes. */
  token?: string;
  /**
   * Serving side: turns a request's Reef-Token (undefined without the header) into the Caller
   * its handler sees; a thrown ReefError (e.g. `unauthorized`) is the reply. A caller of kind
   * `host` is a trusted gateway: when its request names the caller it relays (Reef-Caller, from
   * RequestOptions.caller), the handler sees that caller instead. Default: every request is
   * `{kind: 'agent', id: 'nats'}`, the least privilege.
   */
  authenticate?: (token: string | undefined) => Promise<Caller>;
  /**
   * Called for a publish made while the connection is down: it is not sent (core NATS events are
   * at-most-once; what must not be lost belongs in JetStream). Counted in droppedPublishes().
   */
  onPublishDropped?: (subject: string) => void;
  /** Called when a subscriber throws or a published message is not JSON. */
  onListenerError?: (err: unknown, subject: string) => void;
  /** First reconnect delay; doubles per failed attempt up to `reconnectMaxWaitMs`, with jitter. Default 250. */
  reconnectTimeWaitMs?: number;
  /** Default 5000. */
  reconnectMaxWaitMs?: number;
  /** Keep trying when no server answers at start instead of failing. Default false. */
  waitOnFirstConnect?: boolean;
  /** How long close() waits for handlers still running and for the drain. Default 5000. */
  drainTimeoutMs?: number;
  /** Client pings: a dead connection is noticed after about pingIntervalMs * 3. Default 10000. */
  pingIntervalMs?: number;
}

const DEFAULT_CALLER: Caller = { kind: 'agent', id: 'nats' };
const CALLER_KINDS: ReadonlySet<string> = new Set<Caller['kind']>(['operator', 'agent', 'plugin', 'host']);
const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ---------------------------------------------------------------------------------------------

function encodeJson(body: unknown, what: string): Uint8Array {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (err) {
    throw new ReefError('invalid_request', `${what} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  return text === undefined ? new Uint8Array(0) : encoder.encode(text);
}

/** An empty payload is `undefined`, as a body JSON drops. */
function decodeJson(data: Uint8Array, what: string): unknown {
  if (data.length === 0) return undefined;
  try {
    return JSON.parse(decoder.decode(data)) as unknown;
  } catch {
    throw new ReefError('invalid_request', `${what} is not JSON`);
  }
}

/** PROTOCOL's error body: an object whose only field is `error` with a code and a message. */
function errorFromReply(body: unknown): ReefError | undefined {
  if (typeof body !== 'object' || body === null || Object.keys(body).length !== 1) return undefined;
  return ReefError.fromBody(body);
}

function parseCaller(text: string): Caller | undefined {
  try {
    const c = JSON.parse(text) as { kind?: unknown; id?: unknown };
    if (typeof c.kind === 'string' && CALLER_KINDS.has(c.kind) && typeof c.id === 'string' && c.id.length > 0) {
      return { kind: c.kind as Caller['kind'], id: c.id };
    }
  } catch {
    // not a caller
  }
  return undefined;
}

function isMaxPayload(err: unknown): boolean {
  return err instanceof Error && /max_payload/i.test(err.message);
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : '';
}

export class NatsBus implements Bus {
  private readonly counts: BusStats = { requests: 0, publishes: 0, errors: 0 };
  private readonly subs = new Set<NatsSubscription>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly statusListeners = new Set<(status: NatsBusStatus, server: string) => void>();
  private readonly authenticate: (token: string | undefined) => Promise<Caller>;
  private current: NatsBusStatus = 'connected';
  private server: string;
  private closing: Promise<void> | undefined;
  private failedDials = 0;
  private dropped = 0;

  /** Use connectNatsBus(). */
  private constructor(
    readonly connection: NatsConnection,
    private readonly scheme: string,
    private readonly options: NatsBusOptions,
    private readonly backoff: { nextDelayMs: number },
  ) {
    this.authenticate = options.authenticate ?? (async () => DEFAULT_CALLER);
    this.server = connection.getServer();
    backoff.nextDelayMs = this.reconnectDelay();
    void this.watchStatus();
    void connection.closed().then(() => this.setStatus('closed'));
  }

  /** @internal the factory's half of construction */
  static async open(url: string | readonly string[], options: NatsBusOptions): Promise<NatsBus> {
    // nats.js asks for the next delay before the bus exists; the bus fills this in from status events.
    const backoff = { nextDelayMs: options.reconnectTimeWaitMs ?? 250 };
    const connection = await openNatsConnection(url, {
      name: options.name ?? 'reef',
      ...(options.caFile !== undefined && { tls: { caFile: options.caFile } }),
      reconnect: true,
      maxReconnectAttempts: -1,
      waitOnFirstConnect: options.waitOnFirstConnect ?? false,
      reconnectDelayHandler: () => backoff.nextDelayMs,
      pingInterval: options.pingIntervalMs ?? 10_000,
      maxPingOut: 2,
      timeout: 5000,
    });
    const first = typeof url === 'string' ? url : (url[0] ?? '');
    return new NatsBus(connection, (/^(\w+):\/\//.exec(first.trim())?.[1] ?? 'nats').toLowerCase(), options, backoff);
  }

  /** 'connected', 'reconnecting' (requests fail with `unavailable` meanwhile) or 'closed'. */
  status(): NatsBusStatus {
    return this.current;
  }

  /** The server this bus is (or was last) connected to, e.g. nats://10.0.0.5:4222. */
  serverUrl(): string {
    return `${this.scheme}://${this.server}`;
  }

  /** Publishes not sent because the connection was down (see NatsBusOptions.onPublishDropped). */
  droppedPublishes(): number {
    return this.dropped;
  }

  /** Calls `listener` on every status change; returns the function that stops it. */
  onStatus(listener: (status: NatsBusStatus, serverUrl: string) => void): () => void {
    this.statusListeners.add(listener);
    return () => void this.statusListeners.delete(listener);
  }

  async request<T = unknown>(subject: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    this.assertOpen();
    if (!isValidSubject(subject)) throw new ReefError('invalid_request', `"${subject}" is not a valid subject`);
    this.counts.requests++;
    const payload = encodeJson(body, `the request body on ${subject}`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    try {
      const reply = await this.exchange(subject, payload, options.caller, timeoutMs);
      let decoded: unknown;
      try {
        decoded = decodeJson(reply.data, `the reply on ${subject}`);
      } catch (err) {
        // A reply that is not JSON is the server's fault, not the caller's.
        throw new ReefError('internal', ReefError.from(err).message);
      }
      const error = errorFromReply(decoded);
      if (error) throw error;
      return decoded as T;
    } catch (err) {
      this.counts.errors++;
      throw ReefError.from(err);
    }
  }

  private eventPublisher: EventPublisher | undefined;
  private readonly durableSlots = new Map<string, Set<number>>();

  /** The lowest free durable name for this pattern: windows that come back take their old names. */
  private durableSlot(pattern: string): { name: string; release(): void } | undefined {
    const prefix = this.options.durableEvents;
    if (!prefix) return undefined;
    let used = this.durableSlots.get(pattern);
    if (!used) this.durableSlots.set(pattern, (used = new Set()));
    let n = 0;
    while (used.has(n)) n++;
    used.add(n);
    const taken = used;
    const hash = createHash('sha1').update(pattern).digest('hex').slice(0, 10);
    return { name: `${prefix}_${hash}_${n}`, release: () => void taken.delete(n) };
  }

  /**
   * From now on, events (`reef.v1.events.>`) go into the JetStream stream with acks and are
   * sent again until confirmed, even across a disconnect or a node's death. Call it once the
   * stream exists.
   */
  useEventStream(): void {
    this.eventPublisher ??= new EventPublisher(this.connection, (err, subject) => this.options.onListenerError?.(err, subject));
  }

  async publish(subject: string, body: unknown): Promise<void> {
    this.assertOpen();
    if (!isValidSubject(subject)) throw new ReefError('invalid_request', `"${subject}" is not a valid subject`);
    const payload = encodeJson(body ?? null, `the body published on ${subject}`);
    if (this.eventPublisher && subjectMatches(EVENT_SUBJECTS, subject)) {
      this.eventPublisher.publish(subject, payload);
      this.counts.publishes++;
      return;
    }
    if (this.current !== 'connected') {
      // nats.js would buffer it and then discard its buffer when it redials. Core NATS events are
      // at-most-once: say so rather than reject, since callers (like LocalBus callers) fire and forget.
      this.dropped++;
      this.options.onPublishDropped?.(subject);
      return;
    }
    try {
      this.connection.publish(subject, payload);
    } catch (err) {
      throw this.transportError(err, subject, 'published');
    }
    this.counts.publishes++;
  }

  async subscribe(pattern: string, onMessage: MessageHandler, options: { queue?: string } = {}): Promise<Subscription> {
    this.assertOpen();
    if (!isValidPattern(pattern)) throw new ReefError('invalid_request', `"${pattern}" is not a valid subject pattern`);
    const report = this.options.onListenerError ?? (() => {});
    if (this.options.eventStream && isEventPattern(pattern)) {
      try {
        const slot = this.durableSlot(pattern);
        try {
          const sub = await subscribeToEvents(this.connection, pattern, onMessage, report, slot?.name);
          return {
            subject: sub.subject,
            unsubscribe: async () => {
              slot?.release();
              await sub.unsubscribe();
            },
          };
        } catch (err) {
          slot?.release();
          throw err;
        }
      } catch (err) {
        // No event stream on this server (yet): live events only, without replay.
        report(err, pattern);
      }
    }
    const sub = this.connection.subscribe(pattern, {
      ...(options.queue ? { queue: options.queue } : {}),
      callback: (err, msg) => {
        if (err) return report(err, pattern);
        try {
          onMessage(decodeJson(msg.data, `the message on ${msg.subject}`) ?? null, msg.subject);
        } catch (e) {
          report(e, msg.subject);
        }
      },
    });
    return this.track(sub, pattern);
  }

  async serve(pattern: string, handler: RequestHandler, options: { queue?: string } = {}): Promise<Subscription> {
    this.assertOpen();
    if (!isValidPattern(pattern)) throw new ReefError('invalid_request', `"${pattern}" is not a valid subject pattern`);
    const sub = this.connection.subscribe(pattern, {
      queue: options.queue ?? DEFAULT_SERVE_QUEUE,
      callback: (err, msg) => {
        // A publish on a served subject has no one to answer to: like the local bus, servers only take requests.
        if (err || !msg.reply) return;
        const done = this.answer(msg, handler).finally(() => this.inflight.delete(done));
        this.inflight.add(done);
      },
    });
    return this.track(sub, pattern);
  }

  stats(): BusStats {
    return { ...this.counts };
  }

  /** Stops taking messages, lets running handlers answer (up to drainTimeoutMs), then drains the connection. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const limit = this.options.drainTimeoutMs ?? 5000;
      const timeout = () => new Promise<void>((r) => setTimeout(r, limit).unref());
      for (const sub of this.subs) sub.unsubscribe();
      this.subs.clear();
      await Promise.race([Promise.allSettled([...this.inflight]), timeout()]);
      // Events still waiting for the stream's ack get a moment to land.
      await this.eventPublisher?.flush(Math.min(limit, 2000));
      this.eventPublisher?.close();
      if (!this.connection.isClosed()) {
        const drained = this.current === 'connected' ? this.connection.drain().catch(() => {}) : Promise.resolve();
        await Promise.race([drained, timeout()]);
        if (!this.connection.isClosed()) await this.connection.close();
      }
      this.setStatus('closed');
    })();
    return this.closing;
  }

  private async exchange(subject: string, payload: Uint8Array, caller: Caller | undefined, timeoutMs: number): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    const late = () => new ReefError('unavailable', `no reply on ${subject} within ${timeoutMs} ms`);
    if (this.current !== 'connected') {
      // Held here rather than in nats.js's buffer, which a reconnect discards: the request is
      // sent once the connection is back, or never, and fails at its deadline either way.
      if (!(await this.connectedBefore(deadline))) {
        throw new ReefError('unavailable', `no reply on ${subject} within ${timeoutMs} ms: not connected to NATS (${this.current} ${this.serverUrl()})`);
      }
    }
    const remaining = Math.max(1, deadline - Date.now());
    const h = natsHeaders();
    if (this.options.token !== undefined) h.set(TOKEN_HEADER, this.options.token);
    if (caller) h.set(CALLER_HEADER, JSON.stringify({ kind: caller.kind, id: caller.id }));
    let timer: NodeJS.Timeout | undefined;
    // nats.js starts its own timer at the call; ours is the guarantee that nothing outlives the deadline.
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late()), remaining + 20);
    });
    try {
      return await Promise.race([this.connection.request(subject, payload, { timeout: remaining, headers: h }), expired]);
    } catch (err) {
      if (err instanceof ReefError) throw err;
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
      if (errorName(err) === 'TimeoutError' || errorName(cause) === 'TimeoutError') throw late();
      if (errorName(cause) === 'NoRespondersError' || (err instanceof Error && 'isNoResponders' in err && (err as { isNoResponders(): boolean }).isNoResponders())) {
        throw new ReefError('unavailable', `no service answers on ${subject}`);
      }
      throw this.transportError(err, subject, 'request');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Serving side: authenticate, decode, run the handler, answer with its JSON or PROTOCOL's error body. */
  private async answer(msg: Msg, handler: RequestHandler): Promise<void> {
    const subject = msg.subject;
    let reply: Uint8Array;
    let replyHeaders: MsgHdrs | undefined;
    try {
      const caller = await this.callerOf(msg.headers);
      const body = decodeJson(msg.data, `the request body on ${subject}`);
      const result = await handler(body, { subject, caller });
      try {
        reply = encodeJson(result, `the reply on ${subject}`);
      } catch (err) {
        throw new ReefError('internal', ReefError.from(err).message);
      }
    } catch (err) {
      [reply, replyHeaders] = this.errorReply(ReefError.from(err));
    }
    try {
      msg.respond(reply, replyHeaders ? { headers: replyHeaders } : undefined);
    } catch (err) {
      if (!isMaxPayload(err)) return; // connection gone: the requester times out, as it would on a lost reply
      const max = this.connection.info?.max_payload ?? 0;
      [reply, replyHeaders] = this.errorReply(new ReefError('too_large', `the reply on ${subject} is ${reply.length} bytes; the NATS server takes at most ${max}`));
      try {
        msg.respond(reply, { headers: replyHeaders });
      } catch {
        // connection gone meanwhile: as above
      }
    }
  }

  private errorReply(error: ReefError): [Uint8Array, MsgHdrs] {
    // The NATS services convention, so `nats req` and NATS tooling see an error too.
    const h = natsHeaders();
    h.set('Nats-Service-Error', error.message.replace(/[\r\n]+/g, ' '));
    h.set('Nats-Service-Error-Code', String(error.httpStatus));
    return [encoder.encode(JSON.stringify(error.toBody())), h];
  }

  private async callerOf(h: MsgHdrs | undefined): Promise<Caller> {
    const token = h?.has(TOKEN_HEADER) ? h.get(TOKEN_HEADER) : undefined;
    const authenticated = await this.authenticate(token);
    if (authenticated.kind !== 'host' || !h?.has(CALLER_HEADER)) return authenticated;
    return parseCaller(h.get(CALLER_HEADER)) ?? authenticated;
  }

  private async track(sub: NatsSubscription, pattern: string): Promise<Subscription> {
    this.subs.add(sub);
    // The server has the interest once the flush returns, so another client's request finds it.
    if (this.current === 'connected') await this.connection.flush().catch(() => {});
    return {
      subject: pattern,
      unsubscribe: async () => {
        if (!this.subs.delete(sub)) return;
        sub.unsubscribe();
        if (this.current === 'connected' && !this.connection.isClosed()) await this.connection.flush().catch(() => {});
      },
    };
  }

  private transportError(err: unknown, subject: string, what: 'request' | 'published'): ReefError {
    if (isMaxPayload(err)) {
      const max = this.connection.info?.max_payload ?? 0;
      return new ReefError('too_large', `the body ${what === 'request' ? 'of the request' : 'published'} on ${subject} is larger than the NATS server takes (${max} bytes)`);
    }
    if (this.closing || this.connection.isClosed()) return new ReefError('unavailable', 'the bus is closed');
    return new ReefError('unavailable', `NATS ${what} on ${subject} failed: ${err instanceof Error ? err.message : String(err)}`);
  }

  private connectedBefore(deadline: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), Math.max(0, deadline - Date.now()));
      const stop = this.onStatus((s) => {
        if (s === 'connected') finish(true);
        if (s === 'closed') finish(false);
      });
      function finish(ok: boolean) {
        clearTimeout(timer);
        stop();
        resolve(ok);
      }
    });
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.connection.status()) {
      switch (s.type) {
        case 'disconnect':
          this.server = s.server;
          this.setStatus('reconnecting');
          break;
        case 'reconnecting':
          this.failedDials++;
          this.backoff.nextDelayMs = this.reconnectDelay();
          this.setStatus('reconnecting');
          break;
        case 'reconnect':
          this.server = s.server;
          this.failedDials = 0;
          this.backoff.nextDelayMs = this.reconnectDelay();
          // nats.js resends our subscriptions on reconnect; 'connected' waits until the server has
          // them (a PING answered after the SUBs), so a peer told we are back finds our subjects served.
          void this.connection.flush().then(
            () => this.setStatus('connected'),
            () => {}, // dropped again before the PONG: still reconnecting
          );
          break;
        case 'close':
          this.setStatus('closed');
          break;
        default:
          break;
      }
    }
  }

  /** Exponential backoff with jitter (half to all of the step), so a fleet does not reconnect in lockstep. */
  private reconnectDelay(): number {
    const base = this.options.reconnectTimeWaitMs ?? 250;
    const max = this.options.reconnectMaxWaitMs ?? 5000;
    const step = Math.min(max, base * 2 ** Math.min(this.failedDials, 16));
    return Math.round(step / 2 + (Math.random() * step) / 2);
  }

  private setStatus(status: NatsBusStatus): void {
    if (this.current === 'closed' || this.current === status) return;
    this.current = status;
    for (const l of [...this.statusListeners]) l(status, this.serverUrl());
  }

  private assertOpen(): void {
    if (this.closing || this.current === 'closed') throw new ReefError('unavailable', 'the bus is closed');
  }
}

/**
 * Connects a NatsBus: `nats://`/`tls://` URLs over TCP, `ws://`/`wss://` over WebSocket (a
 * desktop reaching a factory through its WebSocket port). Fails with `unavailable` when no
 * server answers, unless `waitOnFirstConnect`.
 */
export function connectNatsBus(url: string | readonly string[], options: NatsBusOptions = {}): Promise<NatsBus> {
  return NatsBus.open(url, options);
}
