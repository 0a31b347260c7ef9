/**
 * Tells claimers on every host that a queue has work: local waiters directly, other hosts by
 * NOTIFY on PostgreSQL (coalesced: at most one per queue every few ms). A notification can be
 * lost, so long-polling claims also look again every pollMs on their own.
 */
import type { Disposable, PluginNotifications } from '../../../sdk/index.js';
import type { ClaimWaiters } from './waiters.js';

const CHANNEL = 'ready';

export class ReadySignal {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private subscription: Disposable | undefined;
  private stopReconnect: (() => void) | undefined;

  constructor(
    private readonly waiters: ClaimWaiters,
    private readonly notifications: PluginNotifications | undefined,
    private readonly onError: (err: unknown) => void = () => {},
    private readonly coalesceMs = 2,
  ) {}

  async start(): Promise<void> {
    if (!this.notifications) return;
    this.subscription = await this.notifications.listen(CHANNEL, (queue) => this.waiters.wake(queue));
    // Whatever was announced while the connection was down is gone: everyone looks again.
    this.stopReconnect = this.notifications.onReconnect(() => this.waiters.wakeAll());
  }

  ready(queue: string): void {
    this.waiters.wake(queue);
    if (!this.notifications) return;
    this.pending.add(queue);
    this.timer ??= setTimeout(() => this.flush(), this.coalesceMs);
  }

  private flush(): void {
    this.timer = undefined;
    const queues = [...this.pending];
    this.pending.clear();
    for (const q of queues) this.notifications?.notify(CHANNEL, q).catch(this.onError);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.stopReconnect?.();
    await this.subscription?.dispose();
  }
}
