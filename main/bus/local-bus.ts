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
}

interface Listener {
  pattern: string;
  onMessage: MessageHandler;
}

const HOST_CALLER: Caller = { kind: 'host', id: 'host' };

/** Copies a body the way a wire would, so no handler shares objects with its caller. */
function wireCopy(body: unknown): unknown {
  if (body === undefined) return undefined;
  const text = JSON.stringify(body);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

export class LocalBus implements Bus {
  private readonly servers = new Set<Server>();
  private readonly listeners = new Set<Listener>();
  private readonly counts: BusStats = { requests: 0, publishes: 0, errors: 0 };
  private roundRobin = 0;
  private closed = false;

  constructor(private readonly onListenerError: (err: unknown, subject: string) => void = () => {}) {}

  async request<T = unknown>(subject: string, body: unknown, options: RequestOptions = {}): Promise<T> {
    this.assertOpen();
    if (!isValidSubject(subject)) throw new ReefError('invalid_request', `"${subject}" is not a valid subject`);
    this.counts.requests++;
    const server = this.pickServer(subject);
    if (!server) {
      this.counts.errors++;
      throw new ReefError('unavailable', `no service answers on ${subject}`);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const info = { subject, caller: options.caller ?? HOST_CALLER };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ReefError('unavailable', `no reply on ${subject} within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      const reply = await Promise.race([Promise.resolve().then(() => server.handler(wireCopy(body), info)), timeout]);
      return wireCopy(reply) as T;
    } catch (err) {
      this.counts.errors++;
      throw ReefError.from(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async publish(subject: string, body: unknown): Promise<void> {
    this.assertOpen();
    if (!isValidSubject(subject)) throw new ReefError('invalid_request', `"${subject}" is not a valid subject`);
    this.counts.publishes++;
    const copy = JSON.stringify(body ?? null);
    for (const l of this.listeners) {
      if (!subjectMatches(l.pattern, subject)) continue;
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

  async subscribe(pattern: string, onMessage: MessageHandler): Promise<Subscription> {
    this.assertOpen();
    if (!isValidPattern(pattern)) throw new ReefError('invalid_request', `"${pattern}" is not a valid subject pattern`);
    const listener: Listener = { pattern, onMessage };
    this.listeners.add(listener);
    return { subject: pattern, unsubscribe: async () => void this.listeners.delete(listener) };
  }

  async serve(pattern: string, handler: RequestHandler, options: { queue?: string } = {}): Promise<Subscription> {
    this.assertOpen();
    if (!isValidPattern(pattern)) throw new ReefError('invalid_request', `"${pattern}" is not a valid subject pattern`);
    const server: Server = { pattern, handler, queue: options.queue };
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

  /** Like NATS: with several servers on one subject, one answers (round robin). */
  private pickServer(subject: string): Server | undefined {
    const matching: Server[] = [];
    for (const s of this.servers) if (subjectMatches(s.pattern, subject)) matching.push(s);
    if (matching.length <= 1) return matching[0];
    return matching[this.roundRobin++ % matching.length];
  }

  private assertOpen(): void {
    if (this.closed) throw new ReefError('unavailable', 'the bus is closed');
  }
}
