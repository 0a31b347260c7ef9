/** Overview plugin, host side: serves a summary of the host and publishes bus traffic once a second. */
import type { BusStats, PluginContext } from '../../../sdk/index.js';

export interface TrafficSample {
  /** ms since epoch at the end of the interval */
  at: number;
  requestsPerSec: number;
  publishesPerSec: number;
  errorsPerSec: number;
}

const HISTORY = 300;

/** Rates between two counter readings; counters only grow, so a reset reads as zero. */
export function rate(prev: BusStats, next: BusStats, seconds: number, at: number): TrafficSample {
  const per = (a: number, b: number) => Math.max(0, b - a) / seconds;
  return {
    at,
    requestsPerSec: per(prev.requests, next.requests),
    publishesPerSec: per(prev.publishes, next.publishes),
    errorsPerSec: per(prev.errors, next.errors),
  };
}

export async function activate(ctx: PluginContext): Promise<void> {
  const history: TrafficSample[] = [];
  let last = ctx.host.busStats();
  let lastAt = ctx.now();

  await ctx.bus.serve('reef.v1.overview.summary', () => ({
    host: ctx.host.info(),
    plugins: ctx.host.plugins(),
    traffic: history,
  }));

  ctx.timers.setInterval(() => {
    const now = ctx.now();
    // Our own publishes below would count as traffic: measure before sending them.
    const stats = ctx.host.busStats();
    const sample = rate(last, stats, Math.max(0.001, (now - lastAt) / 1000), now);
    last = { ...stats, publishes: stats.publishes + 2 };
    lastAt = now;
    history.push(sample);
    if (history.length > HISTORY) history.shift();
    const total = sample.requestsPerSec + sample.publishesPerSec;
    // A failed publish (the bus closing, NATS away) must not become an unhandled rejection.
    const report = (err: unknown) => ctx.log.warn('publishing traffic failed', { err: String(err) });
    ctx.bus.publish('reef.v1.events.overview.traffic', sample).catch(report);
    ctx.bus.publish('reef.v1.events.overview.status', { text: `bus ${total.toFixed(0)} msg/s`, tone: 'neutral' }).catch(report);
  }, 1000);
}
