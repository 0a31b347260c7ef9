/**
 * Local inference wired to the plugin's context: the models directory (setting `models-dir`,
 * by default `<data dir>/models`), the engine and its scheduler (settings `threads`,
 * `context-size`, `memory-limit-mib`, `max-wait-ms`, `agent-max-wait-ms`, `keep-alive-s`,
 * `queue-limit`), the fallback upstream (`fallback-url`, `fallback-api-key`, `fallback-models`,
 * prices), preloading from the task queue (`preload-from-queue`), the `reef.v1.inference.*`
 * subjects, the OpenAI-compatible `/v1` routes, /metrics and the panel's events.
 * Telemetry stays on while a model is loaded.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Disposable, HttpRoute, PluginContext, RequestHandler } from '../../../../sdk/index.js';
import { Engine, type SchedulingOptions } from '../engine/engine.js';
import { ModelsDirectory } from '../engine/models.js';
import type { Telemetry } from '../telemetry/index.js';
import type { TelemetrySample } from '../telemetry/schemas.js';
import { INFERENCE_EVENT, InferenceAdmin, STATUS_EVENT } from './admin.js';
import { startPreload } from './preload.js';
import { InferenceService } from './service.js';
import { InferenceStats } from './stats.js';
import { Upstream } from './upstream.js';
import { UsageMeter } from './usage.js';

export interface Inference {
  engine: Engine;
  models: ModelsDirectory;
  admin: InferenceAdmin;
}

function numberSetting(ctx: PluginContext, key: string, min: number, max: number): number | undefined {
  const v = ctx.settings[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  if (Number.isFinite(n) && n >= min && n <= max) return n;
  ctx.log.warn(`setting gpu.${key} must be a number from ${min} to ${max}: ignored`, { value: v });
  return undefined;
}

/** `name=value,name=value` (names as given; values by `parse`), or undefined with a warning when malformed. */
export function pairsSetting<T>(ctx: PluginContext, key: string, parse: (v: string) => T | undefined): Record<string, T> | undefined {
  const raw = ctx.settings[key];
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const out: Record<string, T> = {};
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    const name = part.slice(0, eq).trim();
    const value = eq > 0 ? parse(part.slice(eq + 1).trim()) : undefined;
    if (!name || value === undefined) {
      ctx.log.warn(`setting gpu.${key} must be name=value pairs separated by commas: ignored`, { part });
      return undefined;
    }
    out[name] = value;
  }
  return out;
}

/** `gpu-layers`: `cpu` (or 0) for none, `auto`, `max`, or a count; undefined: the CPU only. */
export function gpuLayersSetting(ctx: PluginContext): number | 'max' | 'auto' | undefined {
  const v = String(ctx.settings['gpu-layers'] ?? 'auto').trim();
  if (v === 'cpu' || v === '0') return undefined;
  if (v === 'auto' || v === 'max') return v;
  if (/^\d+$/.test(v) && Number(v) <= 100_000) return Number(v);
  ctx.log.warn('setting gpu.gpu-layers must be auto, max, cpu or a number of layers: auto', { value: v });
  return 'auto';
}

/** Free VRAM on all GPUs of the latest sample, if it is recent and has GPUs with memory readings. */
export function freeVram(sample: TelemetrySample | undefined, now: number): number | undefined {
  if (!sample || now - sample.at > 30_000) return undefined;
  let free = 0;
  let known = false;
  for (const g of sample.gpus) {
    if (g.memoryTotalMiB === null || g.memoryUsedMiB === null) continue;
    known = true;
    free += Math.max(0, g.memoryTotalMiB - g.memoryUsedMiB) * 2 ** 20;
  }
  return known ? free : undefined;
}

export async function startInference(ctx: PluginContext, telemetry: Pick<Telemetry, 'watch' | 'sampler'>): Promise<Inference> {
  const setting = ctx.settings['models-dir'];
  const dir = typeof setting === 'string' && setting !== '' ? path.resolve(setting) : path.join(ctx.host.info().dataDir, 'models');
  const models = new ModelsDirectory(dir);
  const watches = new Map<string, Disposable>();
  const memoryLimitMiB = numberSetting(ctx, 'memory-limit-mib', 0, 2 ** 30) || undefined; // 0: no limit of our own
  const keepAliveS = numberSetting(ctx, 'keep-alive-s', 0, 7 * 24 * 3600);
  const scheduling: SchedulingOptions = {
    maxWaitMs: numberSetting(ctx, 'max-wait-ms', 0, 3_600_000) ?? 60_000,
    keepAliveMs: keepAliveS === undefined ? 300_000 : keepAliveS * 1000,
    queueLimit: numberSetting(ctx, 'queue-limit', 1, 100_000) ?? 64,
  };
  const agentWaits = pairsSetting(ctx, 'agent-max-wait-ms', (v) => (/^\d+$/.test(v) && Number(v) <= 3_600_000 ? Number(v) : undefined));
  if (agentWaits) scheduling.agentMaxWaitMs = agentWaits;

  const fallbackUrl = typeof ctx.settings['fallback-url'] === 'string' ? ctx.settings['fallback-url'].trim() : '';
  let upstream: Upstream | undefined;
  if (fallbackUrl) {
    try {
      const url = new URL(fallbackUrl);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
      const apiKey = typeof ctx.settings['fallback-api-key'] === 'string' && ctx.settings['fallback-api-key'] !== '' ? ctx.settings['fallback-api-key'] : undefined;
      const map = pairsSetting(ctx, 'fallback-models', (v) => (v ? v : undefined));
      upstream = new Upstream({ baseUrl: fallbackUrl, ...(apiKey ? { apiKey } : {}), ...(map ? { models: map } : {}) });
      ctx.log.info(`fallback upstream: ${upstream.url}`);
    } catch {
      ctx.log.warn('setting gpu.fallback-url must be an http(s) URL: no fallback', { value: fallbackUrl.replace(/\/\/[^@/]*@/, '//***@') });
    }
  }
  const stats = new InferenceStats({
    inputPerMillion: numberSetting(ctx, 'price-input-per-million', 0, 1e6) ?? 0,
    outputPerMillion: numberSetting(ctx, 'price-output-per-million', 0, 1e6) ?? 0,
  });
  let changed = true;
  const gpuLayers = gpuLayersSetting(ctx);
  const engine = new Engine({
    models,
    workerScript: fileURLToPath(new URL('../engine/worker.js', import.meta.url)),
    ...(ctx.host.launchWorker ? { launch: ctx.host.launchWorker } : {}),
    threads: numberSetting(ctx, 'threads', 1, 1024) ?? 1,
    contextSize: numberSetting(ctx, 'context-size', 16, 1_048_576) ?? 2048,
    ...(memoryLimitMiB !== undefined ? { memoryLimitBytes: memoryLimitMiB * 2 ** 20 } : {}),
    ...(gpuLayers !== undefined
      ? {
          gpu: {
            layers: gpuLayers,
            freeBytes: () => freeVram(telemetry.sampler.latest(), ctx.now()),
            // One nvidia-smi run at most every 10 s (none where it is missing: that is quick to say).
            refresh: () => telemetry.sampler.fresh(10_000, 3_000),
          },
        }
      : {}),
    now: () => ctx.now(),
    scheduling,
    fallback: upstream !== undefined,
    onLoaded: (model, load) => {
      ctx.log.info(`model ${model} loaded`, { loadMs: Math.round(load.loadMs), contextSize: load.contextSize });
      watches.get(model)?.dispose();
      watches.set(model, telemetry.watch('model'));
      changed = true;
    },
    onUnloaded: (model, reason) => {
      ctx.log.info(`model ${model} unloaded`, { reason });
      watches.get(model)?.dispose();
      watches.delete(model);
      changed = true;
    },
    onSwap: (swap) => {
      stats.swap(swap);
      changed = true;
    },
    onOutcome: (outcome) => stats.outcome(outcome),
    onChange: () => {
      changed = true;
    },
    log: (message, fields) => ctx.log.warn(message, fields),
  });
  ctx.onDispose(() => engine.close());
  ctx.log.info(`models directory: ${dir}`);
  await engine.refreshModels().catch((err: unknown) => ctx.log.warn(`models directory ${dir} could not be read`, { err: String(err) }));

  const usage = new UsageMeter();
  ctx.metrics.collect(() => [usage.metrics(), stats.metrics(engine.view())].join('\n'));
  const service = new InferenceService({
    engine,
    models,
    ...(upstream ? { upstream } : {}),
    publish: (subject, body) => ctx.bus.publish(subject, body),
    now: () => ctx.now(),
    onUsage: (u) => {
      usage.record(u);
      stats.usage(u);
      changed = true;
    },
  });
  const admin = new InferenceAdmin({
    engine,
    models,
    stats,
    ...(upstream ? { upstreamUrl: upstream.url } : {}),
    scheduling: { maxWaitMs: scheduling.maxWaitMs ?? 60_000, keepAliveMs: scheduling.keepAliveMs ?? 300_000, queueLimit: scheduling.queueLimit ?? 64 },
    now: () => ctx.now(),
  });
  const subjects: Array<[string, RequestHandler]> = [
    ['reef.v1.inference.models', service.models],
    ['reef.v1.inference.chat', service.chat],
    ['reef.v1.inference.completions', service.completions],
    ['reef.v1.inference.embeddings', service.embeddings],
    ['reef.v1.inference.status', admin.statusHandler],
    ['reef.v1.inference.load', admin.load],
    ['reef.v1.inference.unload', admin.unload],
    ['reef.v1.inference.pin', admin.pin],
    ['reef.v1.inference.keepAlive', admin.keepAlive],
    ['reef.v1.inference.hint', admin.hint],
  ];
  for (const [subject, handler] of subjects) await ctx.bus.serve(subject, handler, { queue: 'reef.inference' });
  // A first request may load a model, and a long answer takes a while: the longest wait a route may have.
  const long = 600_000;
  // X-Reef-Agent says whom an operator's call is for (service.ts `attribution`); X-Reef-Max-Wait-Ms bounds the wait for a model.
  const headers = { 'x-reef-agent': 'reefAgent', 'x-reef-max-wait-ms': 'reefMaxWaitMs' };
  const both = ['operator', 'agent'] as const;
  const routes: HttpRoute[] = [
    { method: 'GET', path: '/v1/models', subject: 'reef.v1.inference.models', scopes: [...both] },
    { method: 'POST', path: '/v1/chat/completions', subject: 'reef.v1.inference.chat', scopes: [...both], timeoutMs: long, stream: true, headers },
    { method: 'POST', path: '/v1/completions', subject: 'reef.v1.inference.completions', scopes: [...both], timeoutMs: long, stream: true, headers },
    { method: 'POST', path: '/v1/embeddings', subject: 'reef.v1.inference.embeddings', scopes: [...both], timeoutMs: long, headers },
    { method: 'GET', path: '/v1/inference/status', subject: 'reef.v1.inference.status', scopes: [...both] },
    { method: 'POST', path: '/v1/inference/load', subject: 'reef.v1.inference.load', scopes: ['operator'], timeoutMs: long },
    { method: 'POST', path: '/v1/inference/unload', subject: 'reef.v1.inference.unload', scopes: ['operator'], timeoutMs: 30_000 },
    { method: 'POST', path: '/v1/inference/pin', subject: 'reef.v1.inference.pin', scopes: ['operator'] },
    { method: 'POST', path: '/v1/inference/keep-alive', subject: 'reef.v1.inference.keepAlive', scopes: ['operator'] },
    { method: 'POST', path: '/v1/inference/hint', subject: 'reef.v1.inference.hint', scopes: [...both] },
  ];
  for (const route of routes) ctx.http.route(route);

  // The panel's live view and the status bar: published when something changed, at most twice a second.
  const report = (err: unknown) => ctx.log.warn('publishing the inference status failed', { err: String(err) });
  let lastLine = '';
  const publish = async () => {
    if (!changed) return;
    changed = false;
    const line = admin.statusLine();
    if (line.text !== lastLine) {
      lastLine = line.text;
      await ctx.bus.publish(STATUS_EVENT, line);
    }
    await ctx.bus.publish(INFERENCE_EVENT, await admin.status());
  };
  ctx.timers.setInterval(() => void publish().catch(report), 500);

  if (ctx.settings['preload-from-queue'] !== false) startPreload(ctx, engine);
  return { engine, models, admin };
}
