/**
 * GPU telemetry, wired to the plugin's context: the sampler (settings from config.json
 * `settings.gpu`), its subjects and route, its event while watched, its part of /metrics. The
 * returned handle is what the rest of the plugin uses: `watch('model')` while a model is loaded.
 */
import type { Disposable, HttpRoute, PluginContext, RequestHandler } from '../../../../sdk/index.js';
import { WatchLeases } from './leases.js';
import { telemetryMetrics } from './metrics.js';
import { DEFAULTS, TelemetrySampler } from './sampler.js';
import { TelemetryService } from './service.js';

export const TELEMETRY_EVENT = 'reef.v1.events.gpu.telemetry';

export interface Telemetry {
  readonly sampler: TelemetrySampler;
  /** Keeps sampling on until disposed (counted with every other watcher). */
  watch(reason: string): Disposable;
}

/** A positive number setting, else the default. */
function numberSetting(ctx: PluginContext, key: string, fallback: number, min: number, max: number): number {
  const v = Number(ctx.settings[key]);
  return Number.isFinite(v) && v >= min && v <= max ? v : fallback;
}

export async function startTelemetry(ctx: PluginContext): Promise<Telemetry> {
  const binary = typeof ctx.settings['nvidia-smi'] === 'string' && ctx.settings['nvidia-smi'] !== '' ? ctx.settings['nvidia-smi'] : DEFAULTS.binary;
  const report = (err: unknown) => ctx.log.warn('publishing GPU telemetry failed', { err: String(err) });
  const sampler = new TelemetrySampler({
    binary,
    intervalMs: numberSetting(ctx, 'interval-ms', DEFAULTS.intervalMs, 100, 60_000),
    timeoutMs: numberSetting(ctx, 'timeout-ms', DEFAULTS.timeoutMs, 100, 60_000),
    maxBackoffMs: numberSetting(ctx, 'max-backoff-ms', DEFAULTS.maxBackoffMs, 100, 3_600_000),
    historyMs: numberSetting(ctx, 'history-minutes', DEFAULTS.historyMs / 60_000, 1, 24 * 60) * 60_000,
    now: () => ctx.now(),
    // Its own timers (stopped on dispose), not ctx.timers: the host keeps every ctx timer until
    // the plugin deactivates, and the sampler arms a few each second.
    onSample: (event) => ctx.bus.publish(TELEMETRY_EVENT, event).catch(report),
    onStatus: (status) => {
      if (status.state === 'ok') ctx.log.info('GPU telemetry: nvidia-smi answers');
      else ctx.log.warn('GPU telemetry: no GPU readings; CPU and memory are still sampled', { reason: status.reason });
    },
    onWarning: (message, fields) => ctx.log.warn(`GPU telemetry: ${message}`, fields),
  });
  ctx.onDispose(() => sampler.stop());

  const leases = new WatchLeases(() => sampler.watch('window'), () => ctx.now());
  ctx.onDispose(() => leases.releaseAll());
  ctx.timers.setInterval(() => leases.sweep(), 1000);

  const service = new TelemetryService(sampler, leases);
  const subjects: Array<[string, RequestHandler]> = [
    ['reef.v1.gpu.telemetry', service.telemetry],
    ['reef.v1.gpu.watch', service.watch],
    ['reef.v1.gpu.unwatch', service.unwatch],
  ];
  for (const [subject, handler] of subjects) await ctx.bus.serve(subject, handler, { queue: 'reef.gpu' });
  const routes: HttpRoute[] = [
    // Waits for one nvidia-smi run when nobody watches: its timeout, and some.
    { method: 'GET', path: '/v1/gpu/telemetry', subject: 'reef.v1.gpu.telemetry', scopes: ['operator'], query: true, timeoutMs: 30_000 },
  ];
  for (const route of routes) ctx.http.route(route);

  // GET /metrics: a scrape nobody's watch keeps current takes a sample (it has a second in all).
  ctx.metrics.collect(async () => {
    await sampler.fresh(sampler.intervalMs * 2, 700);
    const latest = sampler.latest();
    const current = latest && ctx.now() - latest.at <= 30_000 ? latest : undefined;
    return telemetryMetrics(sampler, current);
  });

  return { sampler, watch: (reason) => sampler.watch(reason) };
}
