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

/**
 * The first event id at or after `since`, on SQLite, where queue_task_events has no index on
 * `at` (migration 007: one less index entry per state change). Ids grow with time (one writer,
 * in commit order), so bisecting them by their `at` finds it in ~log2(events) seeks by rowid.
 * If the clock ever stepped back, the boundary is off by that step; the `at >= since` that
 * follows keeps the count exact within it.
 */
export async function firstEventIdSince(db: PluginDatabase, since: number): Promise<number> {
  const ends = (await db.query('SELECT MIN(id) AS lo, MAX(id) AS hi FROM queue_task_events'))[0];
  if (ends?.lo === null || ends?.lo === undefined) return 0;
  let lo = Number(ends.lo);
  let hi = Number(ends.hi) + 1;
  // Invariant: every id below lo is before `since`; hi is past the last or at/after `since`.
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const row = (await db.query('SELECT id, at FROM queue_task_events WHERE id >= ? ORDER BY id LIMIT 1', [mid]))[0];
    if (!row || Number(row.at) >= since) hi = mid;
    else lo = Number(row.id) + 1;
  }
  return lo;
}

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
       WHERE id >= ? AND at >= ? AND (state IN ('succeeded', 'failed', 'dead') OR (attempt = 0 AND state IN ('ready', 'scheduled', 'blocked')))
       GROUP BY 1, 2`,
      [this.db.dialect === 'sqlite' ? await firstEventIdSince(this.db, since) : 0, since],
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
