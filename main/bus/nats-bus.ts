/**
 * The NATS bus: the Bus interface over a NATS server (TCP, TLS or WebSocket), with the local
 * bus's semantics — JSON bodies, PROTOCOL error bodies, one answer per request, wildcards —
 * plus what a network adds: a Reef-Token header (or a host signature) the serving side turns
 * into the Caller, the requester's deadline as the handler's abort signal, reconnection
 * forever with backoff, and a connection status for the UI.
 */
import { EVENT_SUBJECTS, EventPublisher, isEventPattern, subscribeToEvents } from './event-stream.js';
import { createHash } from 'node:crypto';
import {
  createInbox,
  headers as natsHeaders,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription as NatsSubscription,
} from '@nats-io/nats-core/internal';
import { HOST_NONCE_HEADER, HOST_SIG_HEADER, HOST_TS_HEADER, HostRequestAuth } from './nats-host-auth.js';
import { openNatsConnection, type NatsCredentials } from './nats-connection.js';
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

export { openNatsConnection, type NatsCredentials };

/** The request header carrying the requester's Reef token; the serving side authenticates it. */
export const TOKEN_HEADER = 'Reef-Token';
/** The request header naming the caller a host relays for; believed only on a host-signed request (see NatsBusOptions.hostKey). */
export const CALLER_HEADER = 'Reef-Caller';
/**
 * Where a host says that the requester of one of its signed requests has gone (an HTTP client
 * hung up on a long poll): body = that request's nonce, signed like a request. Every host hears
 * it (no queue group); the one serving that request aborts its handler's signal. Outside
 * reef.v1, so only hosts may use it under the shipped NATS permissions.
 */
export const CANCEL_SUBJECT = 'reef.hosts.cancel';
/** Published messages one subscription holds while their senders are checked; past it, new ones are dropped. */
const MAX_WAITING_CHECKS = 10_000;
/** The requester's timeout in ms, relative (hosts' clocks differ): the serving side aborts RequestInfo.signal when it has passed. */
export const TIMEOUT_HEADER = 'Reef-Timeout-Ms';
/** The caller of a host-signed request that relays no one: the peer host itself. */
export const HOST_CALLER: Caller = { kind: 'host', id: 'peer' };
/** A served request's deadline is capped here, whatever its header says (claims wait at most 60 s). */
const MAX_SERVED_DEADLINE_MS = 10 * 60_000;
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
  /** How this client proves itself to the NATS server (user and password, token, NKey, .creds); none: anonymous. */
  credentials?: NatsCredentials;
  /**
   * Sent as the Reef-Token header on every request and publish this bus makes: a bearer token
   * (an operator or agent token), so whoever can read the subject can use it. Hosts use hostKey.
   */
  token?: string;
  /**
   * The secret hosts on one database share (host-tables busSecret). It is never sent: requests
   * this bus makes are signed with it (an HMAC over subject, reply subject, body, relayed caller,
   * deadline, timestamp and nonce), and a signed request this bus serves is believed, with the
   * caller it relays (Reef-Caller, from RequestOptions.caller), only when its signature verifies,
   * is fresh (replayWindowMs) and was not seen before.
   */
  hostKey?: string;
  /** How far a signed request's timestamp may be from this host's clock. Default 30 s. */
  replayWindowMs?: number;
  /**
   * Serving side: turns a request's Reef-Token (undefined without the header) into the Caller
   * its handler sees; a thrown ReefError (e.g. `unauthorized`) is the reply. Reef-Caller is
   * ignored on a request that is not host-signed, whatever this returns. Default: every request
   * is `{kind: 'agent', id: 'nats'}`, the least privilege.
   */
  authenticate?: (token: string | undefined) => Promise<Caller>;
  /**
   * Subscribing side, for subjects whose messages must say who sent them (an agent's published
   * heartbeat): a published message on a subject matching `pattern` is delivered only when its
   * sender proves who it is and `admit` accepts that caller for that subject. The sender is its
   * Reef-Token, through authenticate (a message without one is from no one). Refused messages
   * are dropped and reported to onListenerError with an `unauthorized` ReefError.
   */
  attributedPublishes?: { pattern: string; admit: (caller: Caller, subject: string) => boolean };
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
  /** One per request being served: aborted at the requester's deadline, or when this bus closes. */
  private readonly serving = new Set<AbortController>();
  /** Signed requests being served, by nonce: a verified cancel from their requester aborts them. */
  private readonly cancellable = new Map<string, AbortController>();
  private readonly hostAuth: HostRequestAuth | undefined;
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
    this.hostAuth =
      options.hostKey === undefined ? undefined : new HostRequestAuth(options.hostKey, options.replayWindowMs === undefined ? {} : { windowMs: options.replayWindowMs });
    this.server = connection.getServer();
    if (this.hostAuth) this.listenForCancels(this.hostAuth);
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
      ...(options.credentials !== undefined && { credentials: options.credentials }),
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
      const reply = await this.exchange(subject, payload, options.caller, timeoutMs, options.signal);
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
      // A published message has no reply to refuse: the token is how a subscriber can tell who sent it (attributedPublishes).
      if (this.options.token === undefined) this.connection.publish(subject, payload);
      else {
        const h = natsHeaders();
        h.set(TOKEN_HEADER, this.options.token);
        this.connection.publish(subject, payload, { headers: h });
      }
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
    const deliver = (msg: Msg) => {
      try {
        onMessage(decodeJson(msg.data, `the message on ${msg.subject}`) ?? null, msg.subject);
      } catch (e) {
        report(e, msg.subject);
      }
    };
    const attributed = this.options.attributedPublishes;
    // Checking a token is async; a chain keeps this subscription's messages (checked or not) in their order.
    let queue = Promise.resolve();
    // A flood of messages to check (made-up tokens cost a database read each) must not grow the chain without bound.
    let waiting = 0;
    const sub = this.connection.subscribe(pattern, {
      ...(options.queue ? { queue: options.queue } : {}),
      callback: (err, msg) => {
        if (err) return report(err, pattern);
        if (!attributed) return deliver(msg);
        if (waiting >= MAX_WAITING_CHECKS) {
          return report(new ReefError('busy', `more than ${MAX_WAITING_CHECKS} messages on ${pattern} wait for their sender to be checked: dropped`), msg.subject);
        }
        waiting++;
        queue = queue.then(async () => {
          try {
            await checkThenDeliver(msg);
          } finally {
            waiting--;
          }
        });
      },
    });
    const checkThenDeliver = async (msg: Msg) => {
      if (!attributed || !subjectMatches(attributed.pattern, msg.subject)) return deliver(msg);
      try {
        const caller = await this.publisherOf(msg.headers);
        if (!attributed.admit(caller, msg.subject)) {
          throw new ReefError('unauthorized', `a message on ${msg.subject} from ${caller.kind} "${caller.id}", who may not send it: dropped`);
        }
      } catch (e) {
        return report(ReefError.from(e), msg.subject);
      }
      deliver(msg);
    };
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
      // Handlers still waiting (long polls) stop now and answer while the connection can carry it.
      for (const c of this.serving) c.abort(new ReefError('unavailable', 'the bus is closing'));
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

  private async exchange(subject: string, payload: Uint8Array, caller: Caller | undefined, timeoutMs: number, signal: AbortSignal | undefined): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    const late = () => new ReefError('unavailable', `no reply on ${subject} within ${timeoutMs} ms`);
    const gone = () => new ReefError('unavailable', `the request on ${subject} was abandoned by its requester`);
    if (signal?.aborted) throw gone();
    let timer: NodeJS.Timeout | undefined;
    let stopListening = () => {};
    let sentNonce: string | undefined;
    // nats.js starts its own timer at the call; ours is the guarantee that nothing outlives the
    // deadline, and the requester's signal ends the wait at once (the server learns from its own deadline).
    const ended = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late()), timeoutMs + 20);
      if (signal) {
        const onAbort = () => {
          reject(gone());
          // The serving host would otherwise go on until Reef-Timeout-Ms (a long poll would still
          // take a task for nobody): tell it, when the request was ours to sign.
          if (sentNonce !== undefined) this.cancelServed(sentNonce);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        stopListening = () => signal.removeEventListener('abort', onAbort);
      }
    });
    ended.catch(() => {}); // raced below; unobserved when the reply wins
    try {
      if (this.current !== 'connected') {
        // Held here rather than in nats.js's buffer, which a reconnect discards: the request is
        // sent once the connection is back, or never, and fails at its deadline either way.
        const connected = await Promise.race([this.connectedBefore(deadline), ended]);
        if (!connected) throw new ReefError('unavailable', `no reply on ${subject} within ${timeoutMs} ms: not connected to NATS (${this.current} ${this.serverUrl()})`);
      }
      const remaining = Math.max(1, deadline - Date.now());
      const h = natsHeaders();
      if (this.options.token !== undefined) h.set(TOKEN_HEADER, this.options.token);
      const callerText = caller ? JSON.stringify({ kind: caller.kind, id: caller.id }) : '';
      if (caller) h.set(CALLER_HEADER, callerText);
      h.set(TIMEOUT_HEADER, String(remaining));
      let sent: Promise<Msg>;
      if (this.hostAuth) {
        // The reply subject is signed too, so it is chosen here (one inbox per request) rather than by nats.js's shared one.
        const reply = createInbox();
        const sig = this.hostAuth.sign({ subject, reply, caller: callerText, timeoutMs: String(remaining), body: payload });
        h.set(HOST_TS_HEADER, sig.ts);
        h.set(HOST_NONCE_HEADER, sig.nonce);
        h.set(HOST_SIG_HEADER, sig.sig);
        sent = this.connection.request(subject, payload, { timeout: remaining, headers: h, noMux: true, reply });
        sentNonce = sig.nonce;
      } else {
        sent = this.connection.request(subject, payload, { timeout: remaining, headers: h });
      }
      sent.catch(() => {}); // raced below; unobserved when the deadline or the signal wins
      return await Promise.race([sent, ended]);
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
      stopListening();
    }
  }

  /** Serving side: authenticate, decode, run the handler, answer with its JSON or PROTOCOL's error body. */
  private async answer(msg: Msg, handler: RequestHandler): Promise<void> {
    const subject = msg.subject;
    let reply: Uint8Array;
    let replyHeaders: MsgHdrs | undefined;
    const requester = this.requesterDeadline(msg.headers);
    // Registered before any await, so a cancel that follows the request cannot miss it. The
    // first holder keeps a nonce: a copy of the request (refused as a replay) cannot take it over.
    const nonce = msg.headers?.has(HOST_NONCE_HEADER) ? msg.headers.get(HOST_NONCE_HEADER) : undefined;
    if (nonce && !this.cancellable.has(nonce)) this.cancellable.set(nonce, requester.controller);
    try {
      const caller = await this.callerOf(msg);
      const body = decodeJson(msg.data, `the request body on ${subject}`);
      const result = await handler(body, { subject, caller, signal: requester.signal });
      try {
        reply = encodeJson(result, `the reply on ${subject}`);
      } catch (err) {
        throw new ReefError('internal', ReefError.from(err).message);
      }
    } catch (err) {
      [reply, replyHeaders] = this.errorReply(ReefError.from(err));
    } finally {
      requester.done();
      if (nonce && this.cancellable.get(nonce) === requester.controller) this.cancellable.delete(nonce);
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

  /**
   * The signal a handler sees: aborted once the requester's timeout (its Reef-Timeout-Ms, counted
   * from receipt, since hosts' clocks differ) has passed, or when this bus closes.
   */
  private requesterDeadline(h: MsgHdrs | undefined): { controller: AbortController; signal: AbortSignal; done(): void } {
    const controller = new AbortController();
    this.serving.add(controller);
    const text = h?.has(TIMEOUT_HEADER) ? h.get(TIMEOUT_HEADER) : '';
    const ms = /^\d{1,9}$/.test(text) ? Math.min(Number(text), MAX_SERVED_DEADLINE_MS) : MAX_SERVED_DEADLINE_MS;
    const timer = setTimeout(() => controller.abort(new ReefError('unavailable', `the requester stopped waiting after ${ms} ms`)), ms);
    timer.unref();
    return {
      controller,
      signal: controller.signal,
      done: () => {
        clearTimeout(timer);
        this.serving.delete(controller);
      },
    };
  }

  /** Requester side: a signed request's requester has gone; the host serving it should stop. */
  private cancelServed(requestNonce: string): void {
    if (!this.hostAuth || this.current !== 'connected') return; // the deadline ends it anyway
    const body = encoder.encode(requestNonce);
    const sig = this.hostAuth.sign({ subject: CANCEL_SUBJECT, reply: '', caller: '', timeoutMs: '', body });
    const h = natsHeaders();
    h.set(HOST_TS_HEADER, sig.ts);
    h.set(HOST_NONCE_HEADER, sig.nonce);
    h.set(HOST_SIG_HEADER, sig.sig);
    try {
      this.connection.publish(CANCEL_SUBJECT, body, { headers: h });
    } catch {
      // connection gone: the serving host stops at the request's deadline
    }
  }

  /**
   * Serving side: a cancel counts only when a host signed it (anyone who saw a request's nonce
   * could otherwise end it), fresh and not seen before, like a signed request.
   */
  private listenForCancels(auth: HostRequestAuth): void {
    const sub = this.connection.subscribe(CANCEL_SUBJECT, {
      callback: (err, msg) => {
        if (err) return;
        const h = msg.headers;
        try {
          auth.verify(
            { subject: CANCEL_SUBJECT, reply: '', caller: '', timeoutMs: '', body: msg.data },
            { ts: h?.get(HOST_TS_HEADER) ?? '', nonce: h?.get(HOST_NONCE_HEADER) ?? '', sig: h?.get(HOST_SIG_HEADER) ?? '' },
          );
        } catch (e) {
          this.options.onListenerError?.(e, CANCEL_SUBJECT);
          return;
        }
        this.cancellable.get(decoder.decode(msg.data))?.abort(new ReefError('unavailable', 'the requester went away'));
      },
    });
    this.subs.add(sub);
  }

  /** Who sent a request: a host whose signature verifies (with the caller it relays), else whoever its Reef-Token says. */
  private async callerOf(msg: Msg): Promise<Caller> {
    const h = msg.headers;
    if (h?.has(HOST_SIG_HEADER)) {
      if (!this.hostAuth) throw new ReefError('unauthorized', 'a host-signed request reached a bus without the hosts\' key (a control center or an agent)');
      const callerText = h.has(CALLER_HEADER) ? h.get(CALLER_HEADER) : '';
      this.hostAuth.verify(
        { subject: msg.subject, reply: msg.reply ?? '', caller: callerText, timeoutMs: h.has(TIMEOUT_HEADER) ? h.get(TIMEOUT_HEADER) : '', body: msg.data },
        { ts: h.get(HOST_TS_HEADER), nonce: h.get(HOST_NONCE_HEADER), sig: h.get(HOST_SIG_HEADER) },
      );
      if (callerText === '') return HOST_CALLER;
      const relayed = parseCaller(callerText);
      if (!relayed) throw new ReefError('invalid_request', `the ${CALLER_HEADER} header is not a caller ({"kind", "id"})`);
      return relayed;
    }
    // A bearer token names one caller; a relayed caller is believed only from a signed host.
    return this.authenticate(h?.has(TOKEN_HEADER) ? h.get(TOKEN_HEADER) : undefined);
  }

  /** Who published a message: its Reef-Token through authenticate; without one, no one (refused). */
  private async publisherOf(h: MsgHdrs | undefined): Promise<Caller> {
    if (!h?.has(TOKEN_HEADER)) throw new ReefError('unauthorized', `a message without a ${TOKEN_HEADER} header on a subject whose sender must prove who it is: dropped`);
    return this.authenticate(h.get(TOKEN_HEADER));
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
