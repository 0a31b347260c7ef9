/** The in-process bus: NATS semantics (wildcards, queue groups, JSON bodies) without a server. */
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

interface Server {
  pattern: string;
  handler: RequestHandler;
  queue: string | undefined;
  /** When this server last answered (a sequence number): the least recent one answers next. */
  lastPicked: number;
}

interface Listener {
  pattern: string;
  onMessage: MessageHandler;
  queue: string | undefined;
}

const HOST_CALLER: Caller = { kind: 'host', id: 'host' };

/** A body as the wire would carry it; a value JSON cannot carry (a BigInt, a cycle) is the caller's error. */
function serialize(body: unknown, what: string): string | undefined {
  try {
    return JSON.stringify(body);
  } catch (err) {
    throw new ReefError('invalid_request', `${what} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** Copies a body the way a wire would, so no handler shares objects with its caller. */
function wireCopy(body: unknown, what: string): unknown {
  if (body === undefined) return undefined;
  const text = serialize(body, what);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

export class LocalBus implements Bus {
  private readonly servers = new Set<Server>();
  private readonly listeners = new Set<Listener>();
  private readonly counts: BusStats = { requests: 0, publishes: 0, errors: 0 };
  private picks = 0;
  private closed = false;

  constructor(private readonly onListenerError: (err: unknown, subject: string) => void = () => {}) {}

  async request<T = unknown>(subject: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    this.assertOpen();
    if (!isValidSubject(subject)) throw new ReefError('invalid_request', `"${subject}" is not a valid subject`);
    this.counts.requests++;
    const requestBody = wireCopy(body, `the request body on ${subject}`);
    const server = this.pickServer(subject);
    if (!server) {
      this.counts.errors++;
      throw new ReefError('unavailable', `no service answers on ${subject}`);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // The handler's signal: aborted when the requester gives up (its own signal) or times out.
    const gone = new AbortController();
    const info = { subject, caller: options.caller ?? HOST_CALLER, signal: gone.signal };
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const ended = new Promise<never>((_, reject) => {
      const end = (error: ReefError) => {
        gone.abort(error);
        reject(error);
      };
      timer = setTimeout(() => end(new ReefError('unavailable', `no reply on ${subject} within ${timeoutMs} ms`)), timeoutMs);
      const requester = options.signal;
      if (!requester) return;
      onAbort = () => end(new ReefError('unavailable', `the request on ${subject} was abandoned by its caller`));
      if (requester.aborted) onAbort();
      else requester.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const reply = await Promise.race([Promise.resolve().then(() => server.handler(requestBody, info)), ended]);
      // A reply JSON cannot carry is the handler's fault, not the caller's.
      try {
        return wireCopy(reply, `the reply on ${subject}`) as T;
      } catch (err) {
        throw new ReefError('internal', ReefError.from(err).message);
      }
    } catch (err) {
      this.counts.errors++;
      throw ReefError.from(err);
    } finally {
      clearTimeout(timer);
      if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    }
  }

  async publish(subject: string, body: unknown): Promise<void> {
    this.assertOpen();
    if (!isValidSubject(subject)) throw new ReefError('invalid_request', `"${subject}" is not a valid subject`);
    const copy = serialize(body ?? null, `the body published on ${subject}`) ?? 'null';
    this.counts.publishes++;
    const groupsServed = new Set<string>();
    for (const l of this.listeners) {
      if (!subjectMatches(l.pattern, subject)) continue;
      // One listener per queue group gets it, as on NATS (in one process: the first one).
      if (l.queue !== undefined) {
        if (groupsServed.has(l.queue)) continue;
        groupsServed.add(l.queue);
      }
      // Delivered asynchronously, as over a wire: a slow or throwing listener never blocks the publisher.
      queueMicrotask(() => {
        try {
          l.onMessage(JSON.parse(copy) as unknown, subject);
        } catch (err) {
          this.onListenerError(err, subject);
        }
      });
    }
  }

  async subscribe(pattern: string, onMessage: MessageHandler, options: { queue?: string } = {}): Promise<Subscription> {
    this.assertOpen();
    if (!isValidPattern(pattern)) throw new ReefError('invalid_request', `"${pattern}" is not a valid subject pattern`);
    const listener: Listener = { pattern, onMessage, queue: options.queue };
    this.listeners.add(listener);
    return { subject: pattern, unsubscribe: async () => void this.listeners.delete(listener) };
  }

  async serve(pattern: string, handler: RequestHandler, options: { queue?: string } = {}): Promise<Subscription> {
    this.assertOpen();
    if (!isValidPattern(pattern)) throw new ReefError('invalid_request', `"${pattern}" is not a valid subject pattern`);
    const server: Server = { pattern, handler, queue: options.queue, lastPicked: 0 };
    this.servers.add(server);
    return { subject: pattern, unsubscribe: async () => void this.servers.delete(server) };
  }

  stats(): BusStats {
    return { ...this.counts };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.servers.clear();
    this.listeners.clear();
  }

  /**
   * Like NATS: with several servers on one subject, one answers, in turn. Picking the least
   * recently used keeps the turn per server, so traffic on another subject cannot starve one.
   */
  private pickServer(subject: string): Server | undefined {
    let chosen: Server | undefined;
    for (const s of this.servers) {
      if (!subjectMatches(s.pattern, subject)) continue;
      if (!chosen || s.lastPicked < chosen.lastPicked) chosen = s;
    }
    if (chosen) chosen.lastPicked = ++this.picks;
    return chosen;
  }

  private assertOpen(): void {
    if (this.closed) throw new ReefError('unavailable', 'the bus is closed');
  }
}
