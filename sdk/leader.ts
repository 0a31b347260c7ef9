/**
 * A leader lease on the shared KeyValue: of all hosts calling tryAcquire() on one key, one holds
 * it at a time. The stored value is `{ holder, expiresAt }`; every write is a compare-and-set
 * (create when absent, else update at the revision just read), so two racers never both win.
 *
 * The holder renews by calling tryAcquire() well within ttlMs. isLeader() trusts the lease only
 * until ttlMs minus a safety margin after the last successful write began, so a leader that
 * stops renewing (stalled, cut off from the store) stops acting before another host may take
 * over at expiresAt. expiresAt is written on the writer's clock and read on the others': clock
 * skew between hosts must stay below the margin. Use it to avoid duplicate work, not as the only
 * guard of correctness (a paused process can still act once after its lease ran out).
 */
import { ReefError } from './errors.js';
import type { KeyValue } from './plugin.js';

/** What is stored under the key. @since 0.1.0 */
export interface LeaseRecord {
  holder: string;
  /** ms since the epoch, on the writer's clock */
  expiresAt: number;
}

function asLease(value: unknown): LeaseRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { holder, expiresAt } = value as Record<string, unknown>;
  return typeof holder === 'string' && typeof expiresAt === 'number' && Number.isFinite(expiresAt) ? { holder, expiresAt } : undefined;
}

const isConflict = (err: unknown) => err instanceof ReefError && err.code === 'conflict';

/** One holder at a time for work that one host of many must do (see the top of this file). @since 0.1.0 */
export class LeaderLease {
  /** now() when our last successful acquire/renew began; undefined while not leader. */
  private acquiredAt: number | undefined;
  /** The revision our last write left the key at (for release). */
  private revision: number | undefined;
  private inFlight: Promise<boolean> | undefined;
  private readonly marginMs: number;

  /**
   * @param marginMs how much sooner than ttlMs isLeader() turns false without a renew
   *   (default a fifth of ttlMs: 1 s of a 5 s lease).
   */
  constructor(
    private readonly kv: KeyValue,
    readonly key: string,
    readonly holder: string,
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    marginMs?: number,
  ) {
    if (!(ttlMs > 0)) throw new ReefError('invalid_request', `a lease needs a positive ttl, not ${ttlMs}`);
    this.marginMs = marginMs ?? Math.floor(ttlMs / 5);
    if (!(this.marginMs >= 0 && this.marginMs < ttlMs)) throw new ReefError('invalid_request', `the safety margin must be 0..ttl, not ${this.marginMs}`);
  }

  /**
   * Takes the lease when it is free, expired or ours (renewing it); false when another holder
   * has a live lease or wins the race for it. A store failure (e.g. `unavailable`) is thrown;
   * isLeader() then runs out on its own unless a later renew succeeds.
   * Concurrent calls share one attempt.
   */
  tryAcquire(): Promise<boolean> {
    this.inFlight ??= this.attempt().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async attempt(): Promise<boolean> {
    const started = this.now();
    const record: LeaseRecord = { holder: this.holder, expiresAt: started + this.ttlMs };
    try {
      const current = await this.kv.get(this.key);
      let revision: number;
      if (!current) {
        revision = await this.kv.create(this.key, record);
      } else {
        const lease = asLease(current.value);
        // An unreadable record is treated as expired: no valid holder can rely on it.
        if (lease && lease.holder !== this.holder && lease.expiresAt > started) return this.lost();
        revision = await this.kv.update(this.key, record, current.revision);
      }
      this.acquiredAt = started;
      this.revision = revision;
      return true;
    } catch (err) {
      if (isConflict(err)) return this.lost(); // someone else wrote first
      throw err;
    }
  }

  private lost(): false {
    this.acquiredAt = undefined;
    this.revision = undefined;
    return false;
  }

  /** True only while our last successful acquire/renew is younger than ttlMs minus the safety margin. */
  isLeader(): boolean {
    return this.acquiredAt !== undefined && this.now() - this.acquiredAt < this.ttlMs - this.marginMs;
  }

  /**
   * Gives the lease up at once (marks it expired, at the revision we wrote, so a lease someone
   * else took meanwhile is left alone). Others can take it on their next tryAcquire().
   */
  async release(): Promise<void> {
    await this.inFlight?.catch(() => false);
    const revision = this.revision;
    this.lost();
    if (revision === undefined) return;
    try {
      await this.kv.update(this.key, { holder: this.holder, expiresAt: 0 } satisfies LeaseRecord, revision);
    } catch (err) {
      if (!isConflict(err)) throw err; // conflict: not ours any more, nothing to give up
    }
  }
}
