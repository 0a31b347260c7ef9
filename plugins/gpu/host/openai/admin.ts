/**
 * Local inference for the operator: what the scheduler holds and has done (`reef.v1.inference.status`,
 * also published on `reef.v1.events.gpu.inference` when it changes, and a one-line status-bar
 * item on `reef.v1.events.gpu.status`), and the actions load, unload, pin and keep-alive.
 */
import { z } from 'zod';
import { parseBody, requireOperator, type RequestHandler } from '../../../../sdk/index.js';
import type { Engine, SwapRecord } from '../engine/engine.js';
import type { ModelsDirectory } from '../engine/models.js';
import type { ModelState } from '../scheduler/types.js';
import type { InferenceStats, ModelSummary, TokenTotals } from './stats.js';

export const INFERENCE_EVENT = 'reef.v1.events.gpu.inference';
export const STATUS_EVENT = 'reef.v1.events.gpu.status';

const modelName = z.string().min(1).max(256);
export const ModelActionSchema = z.object({ model: modelName }).strict();
export const PinSchema = z.object({ model: modelName, pinned: z.boolean() }).strict();
/** `seconds: null` keeps the model loaded until it is evicted. */
export const KeepAliveSchema = z.object({ model: modelName, seconds: z.number().int().min(0).max(7 * 24 * 3600).nullable() }).strict();
export const HintSchema = z
  .object({ model: modelName, at: z.number().int().min(0).max(253402300799999).optional(), tasks: z.number().int().min(0).max(1_000_000).optional() })
  .strict();

export interface ModelStatus extends Partial<Omit<ModelSummary, 'model'>> {
  id: string;
  state: ModelState;
  pinned: boolean;
  /** What it takes loaded (the scheduler's estimate: weights, KV cache, working memory). */
  sizeBytes: number;
  fileBytes?: number;
  architecture?: string;
  parameters?: number;
  quantization?: string;
  contextLength?: number;
  queued: number;
  running: number;
  loadMsEstimate: number;
  lastUsedAt: number;
  pid?: number;
}

export interface InferenceStatus {
  at: number;
  modelsDir: string;
  models: ModelStatus[];
  unreadable: Array<{ id: string; error: string }>;
  swaps: SwapRecord[];
  totals: TokenTotals;
  memory: { budgetBytes: number; usedBytes: number; kind: 'vram' | 'ram' };
  upstream: { url: string } | null;
  scheduling: { maxWaitMs: number; keepAliveMs: number; queueLimit: number };
}

export interface AdminOptions {
  engine: Engine;
  models: ModelsDirectory;
  stats: InferenceStats;
  upstreamUrl?: string;
  scheduling: InferenceStatus['scheduling'];
  now: () => number;
}

export class InferenceAdmin {
  constructor(private readonly o: AdminOptions) {}

  async status(): Promise<InferenceStatus> {
    const { engine, stats } = this.o;
    const { models, unreadable } = await this.o.models.scan();
    const summary = new Map(stats.summary().map((s) => [s.model, s]));
    const view = new Map(engine.view().map((v) => [v.name, v]));
    const ids = [...new Set([...models.map((m) => m.id), ...view.keys()])].sort();
    const files = new Map(models.map((m) => [m.id, m]));
    return {
      at: this.o.now(),
      modelsDir: this.o.models.dir,
      models: ids.map((id) => {
        const v = view.get(id);
        const f = files.get(id);
        const s = summary.get(id);
        const { model: _model, ...numbers } = s ?? { model: id };
        return {
          id,
          state: v?.state ?? 'unloaded',
          pinned: v?.pinned ?? false,
          sizeBytes: v?.sizeBytes ?? f?.sizeBytes ?? 0,
          queued: v?.queued ?? 0,
          running: v?.running ?? 0,
          loadMsEstimate: v?.loadMsEstimate ?? 0,
          lastUsedAt: v?.lastUsedAt ?? 0,
          ...(v?.pid !== undefined ? { pid: v.pid } : {}),
          ...(f ? { fileBytes: f.sizeBytes, architecture: f.architecture, parameters: f.parameters, quantization: f.quantization, ...(f.contextLength !== undefined ? { contextLength: f.contextLength } : {}) } : {}),
          ...numbers,
        };
      }),
      unreadable: unreadable.map((u) => ({ id: u.id, error: u.error })),
      swaps: stats.swapLog().slice(0, 50),
      totals: stats.totals(),
      memory: engine.memory(),
      upstream: this.o.upstreamUrl ? { url: this.o.upstreamUrl } : null,
      scheduling: this.o.scheduling,
    };
  }

  /** The status bar's line: what is loaded and what waits. */
  statusLine(): { text: string; tone: 'neutral' | 'ok' | 'warn' } {
    const view = this.o.engine.view();
    const loaded = view.filter((v) => v.state === 'loaded').map((v) => v.name);
    const loading = view.filter((v) => v.state === 'loading').map((v) => v.name);
    const queued = view.reduce((a, v) => a + v.queued, 0);
    const parts = [loaded.length ? `${loaded.join(', ')}` : 'no model loaded', ...(loading.length ? [`loading ${loading.join(', ')}`] : []), ...(queued ? [`${queued} waiting`] : [])];
    return { text: parts.join(' · '), tone: loading.length || queued > 0 ? 'warn' : loaded.length ? 'ok' : 'neutral' };
  }

  statusHandler: RequestHandler = async () => this.status();

  load: RequestHandler = async (body, info) => {
    requireOperator(info, 'loading a model');
    const { model } = parseBody(ModelActionSchema, body);
    const loaded = await this.o.engine.load(model);
    return { model, loaded: true, loadMs: loaded.load.loadMs };
  };

  unload: RequestHandler = async (body, info) => {
    requireOperator(info, 'unloading a model');
    const { model } = parseBody(ModelActionSchema, body);
    return { model, unloaded: await this.o.engine.unload(model) };
  };

  pin: RequestHandler = async (body, info) => {
    requireOperator(info, 'pinning a model');
    const { model, pinned } = parseBody(PinSchema, body);
    await this.o.engine.pin(model, pinned);
    return { model, pinned };
  };

  keepAlive: RequestHandler = async (body, info) => {
    requireOperator(info, "setting a model's keep-alive");
    const { model, seconds } = parseBody(KeepAliveSchema, body);
    await this.o.engine.keepAlive(model, seconds === null ? Infinity : seconds * 1000);
    return { model, seconds };
  };

  /** The operator or an agent saying a model will be needed (at a time, or by a number of tasks). */
  hint: RequestHandler = async (body) => {
    const hint = parseBody(HintSchema, body);
    await this.o.engine.refreshModels();
    this.o.engine.hint(hint);
    return { accepted: true };
  };
}
