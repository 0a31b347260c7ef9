/**
 * Watch leases: how a window keeps the sampler running over the bus. The bus cannot tell a
 * plugin who subscribes to its events, so a panel takes a lease (`reef.v1.gpu.watch`) and renews
 * it every few seconds; a window that closes, crashes or loses its connection stops renewing, and
 * its lease runs out. Each live lease holds one watch on the sampler.
 */
import { randomUUID } from 'node:crypto';
import { ReefError, type Disposable } from '../../../../sdk/index.js';

export interface Lease {
  leaseId: string;
  expiresAt: number;
  /** Renew at least this often to keep it (a third of its length). */
  renewEveryMs: number;
}

/** More than any number of windows one operator opens: a client that leaks leases is refused. */
export const MAX_LEASES = 256;

export class WatchLeases {
  private readonly leases = new Map<string, { expiresAt: number; watch: Disposable }>();

  constructor(
    private readonly watch: () => Disposable,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.leases.size;
  }

  /** Takes a lease, or renews `leaseId` (taken again under the same id if it ran out meanwhile). */
  renew(leaseId: string | undefined, ttlMs: number): Lease {
    this.sweep();
    const id = leaseId ?? randomUUID();
    const expiresAt = this.now() + ttlMs;
    const held = this.leases.get(id);
    if (held) held.expiresAt = expiresAt;
    else {
      if (this.leases.size >= MAX_LEASES) throw new ReefError('busy', `${MAX_LEASES} watch leases are held already; release some or let them run out`, { retryAfterMs: ttlMs });
      this.leases.set(id, { expiresAt, watch: this.watch() });
    }
    return { leaseId: id, expiresAt, renewEveryMs: Math.floor(ttlMs / 3) };
  }

  /** Ends a lease now (a panel closing); false when it had run out or never was. */
  release(leaseId: string): boolean {
    const held = this.leases.get(leaseId);
    if (!held) return false;
    this.leases.delete(leaseId);
    held.watch.dispose();
    return true;
  }

  /** Ends the leases that ran out. */
  sweep(): void {
    const now = this.now();
    for (const [id, lease] of this.leases) if (lease.expiresAt <= now) this.release(id);
  }

  releaseAll(): void {
    for (const id of [...this.leases.keys()]) this.release(id);
  }
}
