/**
 * Events on JetStream: every `reef.v1.events.>` message is kept in one stream with retention
 * limits, and subscribers to events read it through an ordered consumer. When their connection
 * drops, the consumer is recreated after the last message it delivered, so what was published
 * meanwhile is replayed, in order and once (a stream sequence seen before is dropped).
 */
import { DeliverPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager } from '@nats-io/jetstream';
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

export async function subscribeToEvents(
  nc: NatsConnection,
  pattern: string,
  onMessage: MessageHandler,
  onError: (err: unknown, subject: string) => void,
): Promise<Subscription> {
  const js = jetstream(nc);
  const consumer = await js.consumers.get(EVENT_STREAM, { filter_subjects: pattern, deliver_policy: DeliverPolicy.New });
  let lastSeq = 0;
  const messages = await consumer.consume({
    callback: (msg) => {
      // Ordered consumers resume after the last sequence they delivered; this guards the seam.
      if (msg.seq <= lastSeq) return;
      lastSeq = msg.seq;
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
