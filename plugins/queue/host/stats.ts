/**
 * Series for the queue panel's charts: depth per state sampled every 10 s (kept in memory for
 * an hour) and throughput per minute counted from the task event log (so it survives restarts
 * and covers every host on a shared database).
 */
import type { PluginDatabase } from '../../../sdk/index.js';
import type { TaskStore } from './store.js';

export interface DepthSample {
  at: number;
  ready: number;
  scheduled: number;
  leased: number;
  blocked: number;
  failed: number;
  dead: number;
}

export interface ThroughputSample {
  /** start of the minute, epoch ms */
  at: number;
  enqueued: number;
  succeeded: number;
  failed: number;
  dead: number;
}

const HOUR = 3_600_000;

export class QueueStats {
  private readonly depth: DepthSample[] = [];

  constructor(
    private readonly store: TaskStore,
    private readonly db: PluginDatabase,
    private readonly now: () => number = Date.now,
  ) {}

  async sampleDepth(): Promise<DepthSample> {
    const counts = await this.store.counts();
    const sample: DepthSample = { at: this.now(), ready: 0, scheduled: 0, leased: 0, blocked: 0, failed: 0, dead: 0 };
    for (const c of counts) {
      if (c.state !== 'succeeded' && c.state !== 'cancelled') sample[c.state] += c.count;
    }
    this.depth.push(sample);
    const cutoff = this.now() - HOUR;
    while (this.depth.length && (this.depth[0] as DepthSample).at < cutoff) this.depth.shift();
    return sample;
  }

  async throughput(): Promise<ThroughputSample[]> {
    const since = Math.floor((this.now() - HOUR) / 60_000) * 60_000;
    const rows = await this.db.query(
      // Enqueued = a first event at attempt 0 (a retry by the operator counts too).
      `SELECT (at / 60000) * 60000 AS minute, state, COUNT(*) AS n FROM queue_task_events
       WHERE at >= ? AND (state IN ('succeeded', 'failed', 'dead') OR (attempt = 0 AND state IN ('ready', 'scheduled', 'blocked')))
       GROUP BY 1, 2`,
      [since],
    );
    const byMinute = new Map<number, ThroughputSample>();
    for (let m = since; m <= this.now(); m += 60_000) byMinute.set(m, { at: m, enqueued: 0, succeeded: 0, failed: 0, dead: 0 });
    for (const r of rows) {
      const minute = Number(r.minute);
      const s = byMinute.get(minute);
      if (!s) continue;
      const n = Number(r.n);
      if (r.state === 'succeeded') s.succeeded += n;
      else if (r.state === 'failed') s.failed += n;
      else if (r.state === 'dead') s.dead += n;
      else s.enqueued += n;
    }
    return [...byMinute.values()];
  }

  async series(): Promise<{ depth: DepthSample[]; throughput: ThroughputSample[] }> {
    return { depth: [...this.depth], throughput: await this.throughput() };
  }
}
