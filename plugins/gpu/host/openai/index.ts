/**
 * Local inference wired to the plugin's context: the models directory (setting `models-dir`,
 * by default `<data dir>/models`), the engine (settings `threads`, `context-size`,
 * `memory-limit-mib`), the `reef.v1.inference.*` subjects and the OpenAI-compatible `/v1` routes.
 * Telemetry stays on while a model is loaded.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Disposable, HttpRoute, PluginContext, RequestHandler } from '../../../../sdk/index.js';
import { Engine } from '../engine/engine.js';
import { ModelsDirectory } from '../engine/models.js';
import type { Telemetry } from '../telemetry/index.js';
import { InferenceService } from './service.js';
import { UsageMeter } from './usage.js';

export interface Inference {
  engine: Engine;
  models: ModelsDirectory;
}

function numberSetting(ctx: PluginContext, key: string, min: number, max: number): number | undefined {
  const v = ctx.settings[key];
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  if (Number.isFinite(n) && n >= min && n <= max) return n;
  ctx.log.warn(`setting gpu.${key} must be a number from ${min} to ${max}: ignored`, { value: v });
  return undefined;
}

export async function startInference(ctx: PluginContext, telemetry: Pick<Telemetry, 'watch'>): Promise<Inference> {
  const setting = ctx.settings['models-dir'];
  const dir = typeof setting === 'string' && setting !== '' ? path.resolve(setting) : path.join(ctx.host.info().dataDir, 'models');
  const models = new ModelsDirectory(dir);
  const watches = new Map<string, Disposable>();
  const memoryLimitMiB = numberSetting(ctx, 'memory-limit-mib', 0, 2 ** 30) || undefined; // 0: no limit of our own
  const engine = new Engine({
    models,
    workerScript: fileURLToPath(new URL('../engine/worker.js', import.meta.url)),
    threads: numberSetting(ctx, 'threads', 1, 1024) ?? 1,
    contextSize: numberSetting(ctx, 'context-size', 16, 1_048_576) ?? 2048,
    ...(memoryLimitMiB !== undefined ? { memoryLimitBytes: memoryLimitMiB * 2 ** 20 } : {}),
    onLoaded: (model, load) => {
      ctx.log.info(`model ${model} loaded`, { loadMs: Math.round(load.loadMs), contextSize: load.contextSize });
      watches.get(model)?.dispose();
      watches.set(model, telemetry.watch('model'));
    },
    onUnloaded: (model, reason) => {
      ctx.log.info(`model ${model} unloaded`, { reason });
      watches.get(model)?.dispose();
      watches.delete(model);
    },
    log: (message, fields) => ctx.log.warn(message, fields),
  });
  ctx.onDispose(() => engine.close());
  ctx.log.info(`models directory: ${dir}`);

  const usage = new UsageMeter();
  ctx.metrics.collect(() => usage.metrics());
  const service = new InferenceService({
    engine,
    models,
    publish: (subject, body) => ctx.bus.publish(subject, body),
    now: () => ctx.now(),
    onUsage: (u) => usage.record(u),
  });
  const subjects: Array<[string, RequestHandler]> = [
    ['reef.v1.inference.models', service.models],
    ['reef.v1.inference.chat', service.chat],
    ['reef.v1.inference.completions', service.completions],
    ['reef.v1.inference.embeddings', service.embeddings],
  ];
  for (const [subject, handler] of subjects) await ctx.bus.serve(subject, handler, { queue: 'reef.inference' });
  // A first request may load a model, and a long answer takes a while: the longest wait a route may have.
  const long = 600_000;
  // X-Reef-Agent says whom an operator's call is for (service.ts `attribution`).
  const headers = { 'x-reef-agent': 'reefAgent' };
  const routes: HttpRoute[] = [
    { method: 'GET', path: '/v1/models', subject: 'reef.v1.inference.models', scopes: ['operator', 'agent'] },
    { method: 'POST', path: '/v1/chat/completions', subject: 'reef.v1.inference.chat', scopes: ['operator', 'agent'], timeoutMs: long, stream: true, headers },
    { method: 'POST', path: '/v1/completions', subject: 'reef.v1.inference.completions', scopes: ['operator', 'agent'], timeoutMs: long, stream: true, headers },
    { method: 'POST', path: '/v1/embeddings', subject: 'reef.v1.inference.embeddings', scopes: ['operator', 'agent'], timeoutMs: long, headers },
  ];
  for (const route of routes) ctx.http.route(route);
  return { engine, models };
}
