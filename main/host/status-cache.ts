/**
 * The last message on each status-item subject the plugins contribute, so a window that opens
 * (or reconnects) shows every status-bar item at once instead of waiting for its next publish
 * (the agents' fleet line is re-sent only every 5 s when it does not change).
 */
import type { Bus, Subscription } from '../../sdk/index.js';

export class StatusCache {
  private readonly subs = new Map<string, Subscription>();
  private readonly last = new Map<string, unknown>();
  private closed = false;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly bus: Bus,
    private readonly onError: (err: unknown, subject: string) => void = () => {},
  ) {}

  /** Follows exactly these subjects from now on (subscribing to new ones, dropping the rest). */
  track(subjects: Iterable<string>): Promise<void> {
    const wanted = new Set(subjects);
    // One change at a time: two overlapping ones would both subscribe a new subject.
    this.pending = this.pending.then(() => this.apply(wanted));
    return this.pending;
  }

  private async apply(wanted: Set<string>): Promise<void> {
    for (const [subject, sub] of [...this.subs]) {
      if (wanted.has(subject)) continue;
      this.subs.delete(subject);
      this.last.delete(subject);
      await sub.unsubscribe().catch((err: unknown) => this.onError(err, subject));
    }
    for (const subject of wanted) {
      if (this.subs.has(subject) || this.closed) continue;
      try {
        const sub = await this.bus.subscribe(subject, (body) => void this.last.set(subject, body));
        if (this.closed) await sub.unsubscribe();
        else this.subs.set(subject, sub);
      } catch (err) {
        this.onError(err, subject);
      }
    }
  }

  /** The last body published on `subject`, if it is tracked and anything came yet. */
  get(subject: string): { body: unknown } | undefined {
    return this.last.has(subject) ? { body: this.last.get(subject) } : undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    const subs = [...this.subs.values()];
    this.subs.clear();
    this.last.clear();
    await Promise.all(subs.map((s) => s.unsubscribe().catch(() => {})));
  }
}
