/**
 * KeyValue on a NATS KV bucket (JetStream), for hosts sharing a NATS cluster: JSON values,
 * revisions are the bucket's stream sequence (growing across all keys, like SqlKeyValue's),
 * compare-and-set by the server's expected-last-subject-sequence check, watchers told of every
 * later change made by any host. Opened on an existing connection (NatsBus.connection, or one
 * from openNatsConnection()), never its own.
 */
import { jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, KvWatchInclude, type KV, type KvEntry as NatsKvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { ReefError, type Disposable, type KeyValue, type KvChange, type KvEntry } from '../../sdk/index.js';
import { assertKey } from './kv.js';

export interface NatsKvOptions {
  /** Bucket name (stream KV_<bucket>). Default "reef". */
  bucket?: string;
  /** Copies of the bucket when it is created: 1 on a single server, 3 (or 5) on a cluster. Default 1. */
  replicas?: number;
  /** Values kept per key when the bucket is created (1 = only the latest). Default 1. */
  history?: number;
  /** How long one KV operation may wait for JetStream before it fails as `unavailable`. Default 5000. */
  timeoutMs?: number;
}

export const DEFAULT_KV_BUCKET = 'reef';

const CONFLICT_CODES: ReadonlySet<number> = new Set([JetStreamApiCodes.StreamWrongLastSequence, JetStreamApiCodes.StreamWrongLastSequenceUnknown]);
const VALID_HEAD = /^[-/_=.a-zA-Z0-9]{1,255}$/;

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The NATS subject filter that covers every key starting with `prefix` (string prefix, as in
 * SqlKeyValue): the complete dot-separated tokens plus `>`, or undefined when no valid key can
 * start with it. Callers still filter by `startsWith(prefix)` for a partial last token.
 */
function filterFor(prefix: string): string | undefined {
  const cut = prefix.lastIndexOf('.');
  if (cut < 0) return '>';
  const head = prefix.slice(0, cut);
  if (!VALID_HEAD.test(head) || head.split('.').some((token) => token === '')) return undefined;
  return `${head}.>`;
}

function encode(key: string, value: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new ReefError('invalid_request', `the value for ${key} is not JSON: ${message(err)}`, { key });
  }
  if (text === undefined) throw new ReefError('invalid_request', `the value for ${key} is not JSON`, { key });
  return text;
}

export class NatsKeyValue implements KeyValue {
  private readonly watchers = new Set<{ stop(): void }>();

  constructor(
    private readonly kv: KV,
    readonly bucket: string,
  ) {}

  /** Maps a nats.js failure: a wrong-last-sequence is `conflict`, anything else (timeouts, no JetStream, closed connection) `unavailable`. */
  private failure(err: unknown, what: string, conflict: () => ReefError): ReefError {
    if (err instanceof ReefError) return err;
    if (err instanceof JetStreamApiError && CONFLICT_CODES.has(err.code)) return conflict();
    if (/max_payload/i.test(message(err))) return new ReefError('too_large', `NATS KV ${what}: the value is larger than the server's max_payload`);
    return new ReefError('unavailable', `NATS KV ${what} failed (bucket ${this.bucket}): ${message(err)}`);
  }

  private unavailable(err: unknown, what: string): ReefError {
    return this.failure(err, what, () => new ReefError('unavailable', `NATS KV ${what} failed (bucket ${this.bucket}): ${message(err)}`));
  }

  private entry(e: NatsKvEntry | null): KvEntry | undefined {
    if (!e || e.operation !== 'PUT') return undefined;
    return { key: e.key, value: e.json<unknown>(), revision: e.revision };
  }

  async get(key: string): Promise<KvEntry | undefined> {
    assertKey(key);
    let e: NatsKvEntry | null;
    try {
      e = await this.kv.get(key);
    } catch (err) {
      throw this.unavailable(err, `get ${key}`);
    }
    return this.entry(e);
  }

  async put(key: string, value: unknown): Promise<number> {
    assertKey(key);
    const text = encode(key, value);
    try {
      return await this.kv.put(key, text);
    } catch (err) {
      throw this.unavailable(err, `put ${key}`);
    }
  }

  async create(key: string, value: unknown): Promise<number> {
    assertKey(key);
    const text = encode(key, value);
    try {
      // nats.js: expects "no message yet", else retries once at the revision of a DEL/PURGE marker.
      return await this.kv.create(key, text);
    } catch (err) {
      throw this.failure(err, `create ${key}`, () => new ReefError('conflict', `key ${key} exists already`, { key }));
    }
  }

  async update(key: string, value: unknown, expected: number): Promise<number> {
    assertKey(key);
    const text = encode(key, value);
    const conflict = () => new ReefError('conflict', `key ${key} is no longer at revision ${expected}`, { key, expected });
    // No entry is ever at revision 0 (nats.js would throw a plain Error for it).
    if (!Number.isSafeInteger(expected) || expected <= 0) throw conflict();
    try {
      return await this.kv.update(key, text, expected);
    } catch (err) {
      throw this.failure(err, `update ${key}`, conflict);
    }
  }

  async delete(key: string): Promise<void> {
    assertKey(key);
    try {
      await this.kv.delete(key);
    } catch (err) {
      throw this.unavailable(err, `delete ${key}`);
    }
  }

  async keys(prefix = ''): Promise<string[]> {
    const filter = filterFor(prefix);
    if (filter === undefined) return [];
    const found: string[] = [];
    try {
      for await (const key of await this.kv.keys(filter)) if (key.startsWith(prefix)) found.push(key);
    } catch (err) {
      throw this.unavailable(err, `keys ${prefix || '(all)'}`);
    }
    return found.sort();
  }

  /**
   * Only changes after the watch is set up (no replay of current values), from any host;
   * deletes and purges arrive as `{ deleted: true }`. The iterator is an ordered consumer,
   * which nats.js recreates after a reconnect.
   */
  async watch(prefix: string, onChange: (change: KvChange) => void): Promise<Disposable> {
    const filter = filterFor(prefix);
    if (filter === undefined) return { dispose: () => {} };
    let iter: Awaited<ReturnType<KV['watch']>>;
    try {
      iter = await this.kv.watch({ key: filter, include: KvWatchInclude.UpdatesOnly });
    } catch (err) {
      throw this.unavailable(err, `watch ${prefix || '(all)'}`);
    }
    const handle = { stop: () => iter.stop() };
    this.watchers.add(handle);
    void (async () => {
      try {
        for await (const e of iter) {
          if (!e.key.startsWith(prefix)) continue;
          let change: KvChange;
          if (e.operation === 'PUT') {
            let value: unknown;
            try {
              value = e.json<unknown>();
            } catch {
              continue; // not written by a KeyValue: nothing a JSON reader can be told
            }
            change = { key: e.key, deleted: false, entry: { key: e.key, value, revision: e.revision } };
          } else {
            change = { key: e.key, deleted: true };
          }
          try {
            onChange(change);
          } catch {
            // a throwing listener must not end the watch for later changes
          }
        }
      } catch {
        // the connection closed under the watch: nothing more will come
      } finally {
        this.watchers.delete(handle);
      }
    })();
    return {
      dispose: () => {
        this.watchers.delete(handle);
        iter.stop();
      },
    };
  }

  /** Stops every watch (the connection stays open: it belongs to the caller). */
  close(): void {
    for (const w of [...this.watchers]) w.stop();
    this.watchers.clear();
  }
}

/**
 * Opens (creating it when missing) the KV bucket on an existing connection. `replicas` and
 * `history` apply only when the bucket is created here; an existing bucket keeps its settings.
 * A server without JetStream, or none reachable, is `unavailable`.
 */
export async function openNatsKv(connection: NatsConnection, options: NatsKvOptions = {}): Promise<NatsKeyValue> {
  const bucket = options.bucket ?? DEFAULT_KV_BUCKET;
  if (!/^[-\w]{1,64}$/.test(bucket)) throw new ReefError('invalid_request', `"${bucket}" is not a valid bucket name: use letters, digits, "-" and "_"`);
  const history = options.history ?? 1;
  const replicas = options.replicas ?? 1;
  if (!Number.isInteger(history) || history < 1 || history > 64) throw new ReefError('invalid_request', `history must be 1..64, not ${history}`);
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) throw new ReefError('invalid_request', `replicas must be 1..5, not ${replicas}`);
  const timeout = options.timeoutMs ?? 5000;
  try {
    const kvm = new Kvm(jetstream(connection, { timeout }));
    // allow_direct off: reads go to the stream leader, so a get sees the put this host just made
    // (direct gets may be answered by a lagging replica).
    const kv = await kvm.create(bucket, { history, replicas, timeout, allow_direct: false });
    return new NatsKeyValue(kv, bucket);
  } catch (err) {
    throw new ReefError('unavailable', `cannot open the NATS KV bucket ${bucket}: ${message(err)}`);
  }
}
