/**
 * Events on JetStream: every `reef.v1.events.>` message is kept in one stream with retention
 * limits, and subscribers to events read it through an ordered consumer. When their connection
 * drops, the consumer is recreated after the last message it delivered, so what was published
 * meanwhile is replayed, in order and once (a stream sequence seen before is dropped).
 */
import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { ReefError, subjectMatches, type MessageHandler, type Subscription } from '../../sdk/index.js';

export const EVENT_STREAM = 'REEF_EVENTS';
export const EVENT_SUBJECTS = 'reef.v1.events.>';

export interface EventStreamLimits {
  maxAgeMs: number;
  maxMessages: number;
  maxBytes: number;
  replicas: number;
}

export const DEFAULT_EVENT_LIMITS: EventStreamLimits = { maxAgeMs: 24 * 3_600_000, maxMessages: 1_000_000, maxBytes: 1024 ** 3, replicas: 1 };

/** Creates the stream, or brings an existing one's limits up to date. */
export async function ensureEventStream(nc: NatsConnection, limits: EventStreamLimits = DEFAULT_EVENT_LIMITS): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = {
    name: EVENT_STREAM,
    subjects: [EVENT_SUBJECTS],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: limits.maxAgeMs * 1_000_000,
    max_msgs: limits.maxMessages,
    max_bytes: limits.maxBytes,
    num_replicas: limits.replicas,
    duplicate_window: 120 * 1_000_000_000,
  };
  try {
    await jsm.streams.info(EVENT_STREAM);
    const { name: _n, ...update } = config;
    await jsm.streams.update(EVENT_STREAM, update);
  } catch (err) {
    if (!/not found/i.test(String(err))) throw new ReefError('unavailable', `JetStream event stream: ${String(err)}`);
    await jsm.streams.add(config);
  }
}

/** Is every subject this pattern can match an event subject? */
export function isEventPattern(pattern: string): boolean {
  return pattern === EVENT_SUBJECTS || (pattern.startsWith('reef.v1.events.') && pattern.split('.').length > 3);
}

/** How many delivered sequences a subscription remembers to drop repeats. */
const SEEN_WINDOW = 200_000;

/** Durable consumers nobody reads for this long are removed by the server. */
const DURABLE_IDLE_NS = 3600 * 1_000_000_000;

/**
 * A subscription to events. With `durable`, a named consumer on the server remembers what this
 * subscriber acknowledged, so a control center that restarts (same data dir, same pattern)
 * gets what was published meanwhile; without, an ordered consumer covers reconnects only.
 */
export async function subscribeToEvents(
  nc: NatsConnection,
  pattern: string,
  onMessage: MessageHandler,
  onError: (err: unknown, subject: string) => void,
  durable?: string,
): Promise<Subscription> {
  const js = jetstream(nc);
  if (durable) {
    const jsm = await jetstreamManager(nc);
    try {
      await jsm.consumers.info(EVENT_STREAM, durable);
    } catch {
      await jsm.consumers.add(EVENT_STREAM, {
        durable_name: durable,
        filter_subject: pattern,
        deliver_policy: DeliverPolicy.New,
        ack_policy: AckPolicy.Explicit,
        // A message lost in flight with a dying node comes again after this (default 30 s).
        ack_wait: 5_000_000_000,
        inactive_threshold: DURABLE_IDLE_NS,
      });
    }
  }
  const consumer = durable
    ? await js.consumers.get(EVENT_STREAM, durable)
    : await js.consumers.get(EVENT_STREAM, { filter_subjects: pattern, deliver_policy: DeliverPolicy.New });
  // A message can come again (an ack lost with a node) and, after a consumer moves, out of
  // order: remember recent sequences rather than only the highest one.
  const seen = new Set<number>();
  const messages = await consumer.consume({
    // Short pulls (heartbeats every 2.5 s): a consumer lost with a dead node is noticed and
    // recreated after the last message in seconds, not after the default 30 s.
    expires: 5000,
    callback: (msg) => {
      if (durable) msg.ack();
      if (seen.has(msg.seq)) return;
      seen.add(msg.seq);
      if (seen.size > SEEN_WINDOW) seen.delete(seen.values().next().value as number);
      if (!subjectMatches(pattern, msg.subject)) return;
      try {
        onMessage(msg.data.length ? (JSON.parse(new TextDecoder().decode(msg.data)) as unknown) : null, msg.subject);
      } catch (err) {
        onError(err, msg.subject);
      }
    },
  });
  return {
    subject: pattern,
    unsubscribe: async () => {
      await messages.close();
    },
  };
}

/**
 * Publishes events into the stream with JetStream acks: an event the server did not confirm
 * (a node died, the stream is electing a leader, the connection is down) is sent again until it
 * is, under the same message id, so the stream keeps it once. Up to `window` events are in
 * flight at a time; `maxPending` bounds the memory an outage can take (then the oldest are
 * dropped, and counted).
 */
export class EventPublisher {
  private readonly pending: Array<{ subject: string; data: Uint8Array; id: string }> = [];
  private inFlight = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  dropped = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly onError: (err: unknown, subject: string) => void = () => {},
    private readonly window = 256,
    private readonly maxPending = 100_000,
  ) {
    this.js = jetstream(nc);
  }

  publish(subject: string, data: Uint8Array): void {
    if (this.pending.length >= this.maxPending) {
      this.pending.shift();
      this.dropped++;
    }
    this.pending.push({ subject, data, id: `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}-${(this.counter++).toString(36)}` });
    this.pump();
  }

  private counter = 0;

  private readonly js: ReturnType<typeof jetstream>;

  private pump(): void {
    const js = this.js;
    while (!this.closed && this.inFlight < this.window && this.pending.length && !this.retryTimer) {
      const event = this.pending.shift() as { subject: string; data: Uint8Array; id: string };
      this.inFlight++;
      js.publish(event.subject, event.data, { msgID: event.id, timeout: 5000 }).then(
        () => {
          this.inFlight--;
          this.pump();
        },
        (err: unknown) => {
          this.inFlight--;
          this.onError(err, event.subject);
          // Put it back at the front and wait a little: the stream is electing or the line is down.
          this.pending.unshift(event);
          this.retryTimer ??= setTimeout(() => {
            this.retryTimer = undefined;
            this.pump();
          }, 250);
        },
      );
    }
  }

  /** Waits (up to `ms`) for what is pending to be confirmed. */
  async flush(ms = 5000): Promise<void> {
    const until = Date.now() + ms;
    while ((this.pending.length || this.inFlight) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
  }
}
