/**
 * LISTEN/NOTIFY on PostgreSQL: one dedicated connection for every channel a host listens on,
 * re-established with backoff when it drops. After a reconnect, listeners are told, since
 * notifications sent while it was down are gone (callers fall back to looking again).
 */
import pg from 'pg';
import type { Notifications } from './database.js';

const CHANNEL = /^[a-z][a-z0-9_]{0,62}$/;

export class PgListener implements Notifications {
  private client: pg.Client | undefined;
  private connecting: Promise<void> | undefined;
  private readonly channels = new Map<string, Set<(payload: string) => void>>();
  private readonly reconnectListeners = new Set<() => void>();
  private closed = false;
  private backoffMs = 250;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly notifyVia: (sql: string, params: unknown[]) => Promise<unknown>,
  ) {}

  async listen(channel: string, onNotify: (payload: string) => void): Promise<{ dispose(): Promise<void> }> {
    if (!CHANNEL.test(channel)) throw new Error(`"${channel}" is not a valid channel name (a-z, 0-9, _)`);
    let set = this.channels.get(channel);
    const fresh = !set;
    if (!set) this.channels.set(channel, (set = new Set()));
    set.add(onNotify);
    await this.ensureConnected();
    if (fresh && this.client) await this.client.query(`LISTEN ${channel}`);
    return {
      dispose: async () => {
        set.delete(onNotify);
        if (set.size === 0) {
          this.channels.delete(channel);
          await this.client?.query(`UNLISTEN ${channel}`).catch(() => {});
        }
      },
    };
  }

  async notify(channel: string, payload: string): Promise<void> {
    if (!CHANNEL.test(channel)) throw new Error(`"${channel}" is not a valid channel name (a-z, 0-9, _)`);
    await this.notifyVia('SELECT pg_notify(?, ?)', [channel, payload]);
  }

  onReconnect(fn: () => void): () => void {
    this.reconnectListeners.add(fn);
    return () => this.reconnectListeners.delete(fn);
  }

  /** The backend pid of the listening connection (tests terminate it to simulate a loss). */
  async backendPid(): Promise<number | undefined> {
    await this.ensureConnected();
    const res = await this.client?.query('SELECT pg_backend_pid() AS pid');
    return res?.rows[0] ? Number((res.rows[0] as { pid: number }).pid) : undefined;
  }

  private ensureConnected(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('notification', (msg) => {
      for (const fn of this.channels.get(msg.channel) ?? []) fn(msg.payload ?? '');
    });
    const lost = () => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => {});
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    for (const channel of this.channels.keys()) await client.query(`LISTEN ${channel}`);
    this.client = client;
    this.backoffMs = 250;
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.ensureConnected().then(
        () => {
          for (const fn of this.reconnectListeners) fn();
        },
        () => {
          this.backoffMs = Math.min(this.backoffMs * 2, 5000);
          this.scheduleReconnect();
        },
      );
    }, this.backoffMs);
    this.retryTimer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
