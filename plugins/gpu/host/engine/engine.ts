/**
 * Local inference: one engine process per loaded model (process.ts), driven by the swap-aware
 * scheduler (../scheduler). Every request is an `arrived` event; the scheduler's actions say which
 * model to load (and which to evict first), which request runs, and which leave for the fallback
 * or are refused. This file does what the actions say and reports back (`loaded`, `finished`, …);
 * it decides nothing itself, except what only it can know: whether a model fits in the memory
 * free now, and whether a process has died.
 *
 * A crashed process fails what it was serving with `engine_crashed`; a request is retried once
 * (as a new arrival), and the scheduler loads the model again when it is next wanted.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { ReefError } from '../../../../sdk/index.js';
import { SwapScheduler } from '../scheduler/scheduler.js';
import type { EndReason, InferenceRequest, LoadReason, ModelView, PreloadHint, SchedulerAction, SchedulerEvent, SchedulerOptions } from '../scheduler/types.js';
import { estimateMemoryBytes, type ModelInfo, type ModelsDirectory } from './models.js';
import { EngineProcess, isEngineCrash, type WorkerLauncher } from './process.js';
import type { EmbedResult, GenerateParams, GenerateResult, LoadResult } from './protocol.js';

/** The scheduler's settings the host may give (the rest are the engine's own). */
export type SchedulingOptions = Partial<Pick<SchedulerOptions, 'maxWaitMs' | 'agentMaxWaitMs' | 'keepAliveMs' | 'queueLimit' | 'swapWorkRatio'>>;

/** One swap, for the swap log: what was loaded, what went to make room, and for whom. */
export interface SwapRecord {
  at: number;
  model: string;
  evicted: string[];
  reason: LoadReason;
  /** The agents whose queued requests the load was for (at most 20 requests), with counts. */
  agents: Record<string, number>;
  requests: number;
  /** How long the load took (eviction included); undefined while loading or when it failed. */
  loadMs?: number;
  error?: string;
}

/** How a request left the engine: for metrics. */
export interface RequestOutcome {
  model: string;
  agent: string;
  kind: 'ran' | 'fallback' | 'rejected' | 'cancelled' | 'failed';
  /** From arrival to start (ran) or to leaving. */
  waitMs: number;
  reason?: EndReason;
}

export interface EngineOptions {
  models: ModelsDirectory;
  /** The built worker script (worker.js). */
  workerScript: string;
  launch?: WorkerLauncher;
  /** Threads per model; 1 by default (on 2 cores the library's default was ~30x slower). */
  threads?: number;
  /** Context per model, at most the model's own; 2048 by default. */
  contextSize?: number;
  /** What models may use in all, in bytes; by default the memory free plus what loaded models hold. */
  memoryLimitBytes?: number;
  /**
   * Offload to the GPU: the layers to put there (a count, `max`, or `auto`: what fits), and the
   * VRAM free now (undefined while unknown; then RAM is planned with). Absent: the CPU only.
   */
  gpu?: {
    layers: number | 'max' | 'auto';
    /** VRAM free now in bytes; undefined where no GPU is known (then the model loads on the CPU). */
    freeBytes: () => number | undefined;
    /** Called before a load, so that `freeBytes` is current (a telemetry sample). */
    refresh?: () => Promise<void>;
  };
  /** Free memory now, in bytes (tests replace it). */
  freeMemory?: () => number;
  /** The clock (ms); Date.now by default. */
  now?: () => number;
  scheduling?: SchedulingOptions;
  /** An upstream takes what cannot be served here in time: `generate`/`embed` throw `FallbackNeeded` for it. */
  fallback?: boolean;
  onLoaded?: (model: string, result: LoadResult) => void;
  onUnloaded?: (model: string, reason: 'unload' | 'crash' | 'idle' | 'evicted') => void;
  onSwap?: (swap: SwapRecord) => void;
  onOutcome?: (outcome: RequestOutcome) => void;
  /** After anything the scheduler was told: queues, loads or pins may have changed. */
  onChange?: () => void;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface RequestOptions {
  /** Who asked: the scheduler's per-agent wait bound, the swap log. */
  agent?: string;
  /** This request's own bound on its wait. */
  maxWaitMs?: number;
  /** Its expected service time, where known (generate: max tokens at the model's measured speed). */
  estimatedMs?: number;
  signal?: AbortSignal;
}

/** Thrown when the scheduler sends a request to the configured upstream instead of running it here. */
export class FallbackNeeded extends Error {
  constructor(
    readonly reason: EndReason,
    message: string,
  ) {
    super(message);
    this.name = 'FallbackNeeded';
  }
}

export interface LoadedModel {
  info: ModelInfo;
  process: EngineProcess;
  load: LoadResult;
  estimateBytes: number;
}

interface Slot {
  loaded?: LoadedModel;
  /** The load in progress, which every `load()` caller meanwhile shares. */
  loading?: Promise<LoadedModel>;
  loadError?: unknown;
  loads: number;
  /** Measured generation time per token (running average), for a request's expected service time. */
  msPerToken?: number;
}

interface Waiter {
  model: string;
  agent: string;
  arrivedAt: number;
  request: InferenceRequest;
  run(loaded: LoadedModel): void;
  fail(err: unknown): void;
}

export class Engine {
  private readonly slots = new Map<string, Slot>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly threads: number;
  private readonly contextSize: number;
  private readonly now: () => number;
  private readonly scheduler: SwapScheduler;
  /** Processes being stopped: a load waits for them, so memory is free before it starts. */
  private readonly stopping = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private readonly events: SchedulerEvent[] = [];
  private handling = false;
  private closed = false;

  constructor(private readonly options: EngineOptions) {
    this.threads = options.threads ?? 1;
    this.contextSize = options.contextSize ?? 2048;
    this.now = options.now ?? Date.now;
    this.scheduler = new SwapScheduler({
      now: this.now,
      memoryBytes: this.memoryBudget(),
      models: [],
      fallback: options.fallback ?? false,
      ...options.scheduling,
    });
  }

  private slot(model: string): Slot {
    let s = this.slots.get(model);
    if (!s) {
      s = { loads: 0 };
      this.slots.set(model, s);
    }
    return s;
  }

  /** How many times the model's process was started and loaded (tests: concurrent first requests load once). */
  loadCount(model: string): number {
    return this.slots.get(model)?.loads ?? 0;
  }

  loadedModels(): LoadedModel[] {
    return [...this.slots.values()].flatMap((s) => (s.loaded?.process.alive ? [s.loaded] : []));
  }

  /** The scheduler's view of every model it knows, with the loaded ones' processes. */
  view(): Array<ModelView & { pid?: number; estimateBytes?: number }> {
    return this.scheduler.view().map((v) => {
      const loaded = this.slots.get(v.name)?.loaded;
      return loaded?.process.alive ? { ...v, pid: loaded.process.pid, estimateBytes: loaded.estimateBytes } : v;
    });
  }

  /** The memory budget the scheduler plans with (VRAM or RAM), and what loaded models are estimated to hold. */
  memory(): { budgetBytes: number; usedBytes: number; kind: 'vram' | 'ram' } {
    return { budgetBytes: this.memoryBudget(), usedBytes: this.loadedModels().reduce((a, m) => a + m.estimateBytes, 0), kind: this.device().kind === 'VRAM' ? 'vram' : 'ram' };
  }

  // ─── the scheduler's driver ───────────────────────────────────────────────────────────────

  /** The memory models are loaded into now: VRAM when offloading and known, else RAM. */
  private device(): { kind: 'VRAM' | 'RAM'; free: number } {
    const vram = this.options.gpu?.freeBytes();
    return vram !== undefined ? { kind: 'VRAM', free: vram } : { kind: 'RAM', free: (this.options.freeMemory ?? os.freemem)() };
  }

  /** What loaded models may take: the limit, else what is free plus what they hold. */
  private memoryBudget(): number {
    const free = this.device().free;
    const held = this.loadedModels().reduce((a, m) => a + m.estimateBytes, 0);
    const available = free + held;
    return this.options.memoryLimitBytes === undefined ? available : Math.min(this.options.memoryLimitBytes, available);
  }

  /**
   * Feeds one event to the scheduler and does what it says. Events raised while doing so (a
   * request that cannot start, say) wait their turn, so the scheduler sees them one at a time.
   */
  private handle(event: SchedulerEvent): void {
    this.events.push(event);
    if (this.handling) return;
    this.handling = true;
    try {
      for (let e = this.events.shift(); e; e = this.events.shift()) for (const a of this.scheduler.handle(e)) this.apply(a);
    } finally {
      this.handling = false;
    }
    this.arm();
    this.options.onChange?.();
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const at = this.scheduler.nextWakeAt();
    if (at === undefined || this.closed) return;
    this.timer = setTimeout(() => this.handle({ type: 'tick' }), Math.max(0, at - this.now()) + 1);
    this.timer.unref();
  }

  private apply(a: SchedulerAction): void {
    switch (a.type) {
      case 'load':
        void this.doLoad(a.model, a.evict, a.reason, a.for);
        return;
      case 'unload':
        this.stopModel(a.model, a.reason === 'idle' ? 'idle' : 'unload');
        return;
      case 'run': {
        const w = this.waiters.get(a.request);
        if (!w) return;
        this.waiters.delete(a.request);
        const loaded = this.slots.get(a.model)?.loaded;
        if (loaded?.process.alive) {
          this.options.onOutcome?.({ model: w.model, agent: w.agent, kind: 'ran', waitMs: this.now() - w.arrivedAt });
          w.run(loaded);
        } else {
          // Its process died and the exit has not been seen yet: the model is gone; the request waits again.
          this.gone(a.model, loaded);
          this.handle({ type: 'cancelled', request: a.request });
          this.waiters.set(a.request, w);
          this.handle({ type: 'arrived', request: w.request });
        }
        return;
      }
      case 'fallback': {
        const w = this.waiters.get(a.request);
        if (!w) return;
        this.waiters.delete(a.request);
        this.options.onOutcome?.({ model: w.model, agent: w.agent, kind: 'fallback', waitMs: this.now() - w.arrivedAt, reason: a.reason });
        w.fail(new FallbackNeeded(a.reason, a.message));
        return;
      }
      case 'reject': {
        const w = this.waiters.get(a.request);
        if (!w) return;
        this.waiters.delete(a.request);
        this.options.onOutcome?.({ model: w.model, agent: w.agent, kind: 'rejected', waitMs: this.now() - w.arrivedAt, reason: a.reason });
        const loadError = this.slots.get(w.model)?.loadError;
        if (a.reason === 'load_failed' && loadError !== undefined) w.fail(loadError);
        else w.fail(new ReefError(a.code, a.code === 'busy' ? `busy: ${a.message}; try again later` : a.message, { reason: a.reason, model: w.model, ...(a.retryAfterMs !== undefined ? { retryAfterMs: a.retryAfterMs } : {}) }));
        return;
      }
    }
  }

  private async doLoad(model: string, evict: string[], reason: LoadReason, requests: string[]): Promise<void> {
    const startedAt = this.now();
    const agents: Record<string, number> = {};
    for (const id of requests) {
      const agent = this.waiters.get(id)?.agent;
      if (agent) agents[agent] = (agents[agent] ?? 0) + 1;
    }
    for (const v of evict) this.stopModel(v, 'evicted');
    const slot = this.slot(model);
    slot.loadError = undefined;
    const loading = (async () => {
      await Promise.all([...this.stopping]);
      return this.start(model, slot);
    })();
    slot.loading = loading;
    loading.catch(() => {}); // its outcome is handled below and by load()'s callers
    try {
      await loading;
      const loadMs = this.now() - startedAt;
      this.options.onSwap?.({ at: startedAt, model, evicted: evict, reason, agents, requests: requests.length, loadMs });
      this.handle({ type: 'loaded', model });
    } catch (err) {
      slot.loadError = err;
      const message = err instanceof Error ? err.message : String(err);
      this.options.onSwap?.({ at: startedAt, model, evicted: evict, reason, agents, requests: requests.length, error: message });
      this.handle({ type: 'load-failed', model, message });
    } finally {
      if (slot.loading === loading) slot.loading = undefined;
    }
  }

  private async start(model: string, slot: Slot): Promise<LoadedModel> {
    if (this.closed) throw new ReefError('unavailable', 'the inference engine is shutting down');
    const info = await this.options.models.find(model);
    if (!info) throw notFound(model, this.options.models.dir);
    const contextSize = Math.min(this.contextSize, info.contextLength ?? this.contextSize);
    const estimateBytes = estimateMemoryBytes(info, contextSize);
    await this.options.gpu?.refresh?.().catch(() => undefined);
    this.checkFit(info, estimateBytes);
    const offload = this.options.gpu && this.options.gpu.freeBytes() !== undefined ? { gpuLayers: this.options.gpu.layers } : {};
    const proc = new EngineProcess(model, this.options.workerScript, this.options.launch, (m) => this.options.log?.(m));
    slot.loads++;
    let load: LoadResult;
    try {
      load = await proc.load({ modelPath: info.path, contextSize, threads: this.threads, ...offload });
    } catch (err) {
      proc.kill();
      throw err;
    }
    const loaded: LoadedModel = { info, process: proc, load, estimateBytes };
    slot.loaded = loaded;
    this.options.onLoaded?.(model, load);
    void proc.exited.then(() => this.gone(model, loaded));
    return loaded;
  }

  /** A loaded model's process ended without being asked to: the scheduler hears it is unloaded. */
  private gone(model: string, loaded: LoadedModel | undefined): void {
    const slot = this.slots.get(model);
    if (!slot || !loaded || slot.loaded !== loaded) return; // stopped on purpose, or already seen
    slot.loaded = undefined;
    this.options.onUnloaded?.(model, 'crash');
    if (this.closed) return;
    this.options.log?.(`engine process for ${model} ended; it starts again when the model is next wanted`, { pid: loaded.process.pid });
    this.handle({ type: 'unloaded', model });
  }

  private stopModel(model: string, reason: 'unload' | 'idle' | 'evicted'): void {
    const slot = this.slots.get(model);
    const loaded = slot?.loaded;
    if (!slot || !loaded) return;
    slot.loaded = undefined;
    const stopped = loaded.process.stop().then(() => {
      this.stopping.delete(stopped);
      this.options.onUnloaded?.(model, reason);
    });
    this.stopping.add(stopped);
  }

  private checkFit(info: ModelInfo, needed: number): void {
    const { kind, free } = this.device();
    const inUse = this.loadedModels().reduce((a, m) => a + m.estimateBytes, 0);
    const limit = this.options.memoryLimitBytes;
    const available = limit === undefined ? free : Math.min(free, limit - inUse);
    if (needed > available) throw insufficientMemory(info, needed, available, limit, inUse, kind);
  }

  /** Tells the scheduler about a model (its size as loaded here), reading the directory. */
  private async define(model: string): Promise<ModelInfo> {
    const info = await this.options.models.find(model);
    if (!info) {
      if (this.options.fallback) throw new FallbackNeeded('not_local', `no local model ${model}`);
      throw notFound(model, this.options.models.dir);
    }
    const contextSize = Math.min(this.contextSize, info.contextLength ?? this.contextSize);
    const sizeBytes = estimateMemoryBytes(info, contextSize);
    const budget = this.memoryBudget();
    this.handle({ type: 'model', spec: { name: model, sizeBytes, loadMs: firstLoadEstimateMs(sizeBytes) } });
    this.handle({ type: 'memory', bytes: budget });
    // Larger than all the memory there is: the reason in numbers, as a load would give it.
    if (sizeBytes > budget && !this.options.fallback) throw insufficientMemory(info, sizeBytes, budget, this.options.memoryLimitBytes, this.loadedModels().reduce((a, m) => a + m.estimateBytes, 0), this.device().kind);
    return info;
  }

  /** Waits for the scheduler to start the request on its model; the caller must `finish` it. */
  private async acquire(model: string, opts: RequestOptions): Promise<{ id: string; loaded: LoadedModel }> {
    if (this.closed) throw new ReefError('unavailable', 'the inference engine is shutting down');
    const agent = opts.agent ?? 'operator';
    try {
      await this.define(model);
    } catch (err) {
      if (err instanceof FallbackNeeded) this.options.onOutcome?.({ model, agent, kind: 'fallback', waitMs: 0, reason: err.reason });
      throw err;
    }
    const id = randomUUID();
    const arrivedAt = this.now();
    const signal = opts.signal;
    if (signal?.aborted) {
      this.options.onOutcome?.({ model, agent, kind: 'cancelled', waitMs: 0 });
      throw cancelled();
    }
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (!this.waiters.delete(id)) return;
        this.options.onOutcome?.({ model, agent, kind: 'cancelled', waitMs: this.now() - arrivedAt });
        this.handle({ type: 'cancelled', request: id });
        reject(cancelled());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const request: InferenceRequest = {
        id,
        model,
        agent,
        arrivedAt,
        ...(opts.maxWaitMs !== undefined ? { maxWaitMs: opts.maxWaitMs } : {}),
        ...(opts.estimatedMs !== undefined ? { estimatedMs: opts.estimatedMs } : {}),
      };
      this.waiters.set(id, {
        model,
        agent,
        arrivedAt,
        request,
        run: (loaded) => {
          signal?.removeEventListener('abort', onAbort);
          resolve({ id, loaded });
        },
        fail: (err) => {
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      });
      this.handle({ type: 'arrived', request });
    });
  }

  /** Runs `fn` when the scheduler starts the request; a request its engine crashed under is run once more when `retry()` allows. */
  private async run<T>(model: string, opts: RequestOptions, fn: (loaded: LoadedModel) => Promise<T>, retry: () => boolean = () => true): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { id, loaded } = await this.acquire(model, opts);
        let ok = false;
        try {
          const result = await fn(loaded);
          ok = true;
          return result;
        } finally {
          if (!ok) this.options.onOutcome?.({ model, agent: opts.agent ?? 'operator', kind: 'failed', waitMs: 0 });
          this.handle({ type: ok ? 'finished' : 'cancelled', request: id });
        }
      } catch (err) {
        if (attempt >= 2 || !isEngineCrash(err) || !retry() || this.closed) throw err;
        this.options.log?.(`request retried after the engine for ${model} crashed`);
      }
    }
  }

  generate(model: string, params: GenerateParams, onChunk?: (text: string) => void, opts: RequestOptions = {}): Promise<GenerateResult & { model: string }> {
    let streamed = false;
    const chunk = onChunk
      ? (text: string) => {
          streamed = true;
          onChunk(text);
        }
      : undefined;
    // At most maxTokens at the speed measured so far: the scheduler plans with it (else with the model's average).
    const speed = this.slots.get(model)?.msPerToken;
    const estimate = speed !== undefined ? { estimatedMs: params.maxTokens * speed } : {};
    // Once text has gone out, a retry would send it again: such a request fails instead.
    return this.run(
      model,
      { ...estimate, ...opts },
      async (m) => {
        const result = await m.process.generate({ ...params, stream: chunk !== undefined }, chunk, opts.signal);
        if (result.completionTokens > 0 && result.ms > 0) {
          const slot = this.slot(model);
          const sample = result.ms / result.completionTokens;
          slot.msPerToken = slot.msPerToken === undefined ? sample : slot.msPerToken + 0.2 * (sample - slot.msPerToken);
        }
        return { ...result, model };
      },
      () => !streamed,
    );
  }

  embed(model: string, input: string[], opts: RequestOptions = {}): Promise<EmbedResult> {
    return this.run(model, opts, (m) => m.process.embed(input));
  }

  // ─── the operator's actions ──────────────────────────────────────────────────────────────

  /**
   * Loads the model now (unless loaded), evicting idle unpinned models if it must; concurrent
   * callers share one load. Refused with `conflict` when busy models leave no room.
   */
  async load(model: string): Promise<LoadedModel> {
    if (this.closed) throw new ReefError('unavailable', 'the inference engine is shutting down');
    await this.define(model);
    const slot = this.slot(model);
    if (slot.loaded?.process.alive) return slot.loaded;
    if (!slot.loading) this.handle({ type: 'load', model });
    if (slot.loading) return slot.loading;
    const busy = this.scheduler.view().find((v) => v.state === 'loading');
    throw new ReefError(
      'conflict',
      busy ? `model ${busy.name} is loading; load ${model} when it is done` : `no room for ${model}: the loaded models are busy or pinned; unpin or unload one, or wait until they are idle`,
      { reason: busy ? 'loading' : 'no_room', model },
    );
  }

  /** Unloads an idle model (unpinning it); `conflict` while it serves or has queued requests. */
  async unload(model: string): Promise<boolean> {
    const slot = this.slots.get(model);
    if (!slot?.loaded) {
      this.handle({ type: 'pin', model, pinned: false });
      return false;
    }
    const loaded = slot.loaded;
    this.handle({ type: 'unload', model });
    if (slot.loaded === loaded) {
      const v = this.scheduler.view().find((x) => x.name === model);
      throw new ReefError('conflict', `model ${model} is busy (${v?.running ?? 0} running, ${v?.queued ?? 0} queued): it unloads when idle`, { reason: 'busy', model });
    }
    await loaded.process.exited;
    return true;
  }

  /** A pinned model is never evicted nor unloaded when idle, and is loaded when the device is free. */
  async pin(model: string, pinned: boolean): Promise<void> {
    await this.define(model);
    this.handle({ type: 'pin', model, pinned });
  }

  /** How long the model stays loaded while idle (Infinity: until evicted). */
  async keepAlive(model: string, ms: number): Promise<void> {
    await this.define(model);
    this.handle({ type: 'keep-alive', model, ms });
  }

  /** The task queue's word on what will be needed: loaded while the device is otherwise idle. */
  hint(hint: PreloadHint): void {
    if (this.closed) return;
    this.handle({ type: 'hint', hint });
  }

  /** Reads the models directory into the scheduler, so hints and pins know the models' sizes. */
  async refreshModels(): Promise<void> {
    const { models } = await this.options.models.scan();
    for (const info of models) {
      const contextSize = Math.min(this.contextSize, info.contextLength ?? this.contextSize);
      const sizeBytes = estimateMemoryBytes(info, contextSize);
      this.handle({ type: 'model', spec: { name: info.id, sizeBytes, loadMs: firstLoadEstimateMs(sizeBytes) } });
    }
    this.handle({ type: 'memory', bytes: this.memoryBudget() });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    for (const [id, w] of this.waiters) {
      this.waiters.delete(id);
      w.fail(new ReefError('unavailable', 'the inference engine is shutting down'));
    }
    for (const [model, slot] of this.slots) if (slot.loaded) this.stopModel(model, 'unload');
    await Promise.all([...this.stopping, ...[...this.slots.values()].map((s) => s.loading?.catch(() => {}))]);
    for (const [model, slot] of this.slots) if (slot.loaded) this.stopModel(model, 'unload');
    await Promise.all([...this.stopping]);
  }
}

/**
 * A model's first load estimate, until one is measured: starting its process and the library
 * (about a second here) and reading the weights at 512 MiB/s.
 */
function firstLoadEstimateMs(sizeBytes: number): number {
  return 1000 + (sizeBytes / (512 * 2 ** 20)) * 1000;
}

function notFound(model: string, dir: string): ReefError {
  return new ReefError('not_found', `no model ${model} in ${dir} (a .gguf file named ${model}.gguf)`);
}

function cancelled(): ReefError {
  return new ReefError('unavailable', 'the request was cancelled before it started (its caller went away)', { reason: 'cancelled' });
}

function insufficientMemory(info: ModelInfo, needed: number, available: number, limit: number | undefined, inUse: number, kind: 'VRAM' | 'RAM'): ReefError {
  const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
  return new ReefError(
    'conflict',
    `model ${info.id} needs about ${mib(needed)} of ${kind} (weights ${mib(info.sizeBytes)}, KV cache and working memory) but ${mib(Math.max(0, available))} is available` +
      (limit !== undefined ? ` (limit ${mib(limit)}, ${mib(inUse)} used by loaded models)` : '') +
      ': unload a model or choose a smaller one',
    { reason: 'insufficient_memory', model: info.id, neededBytes: needed, availableBytes: Math.max(0, available), memory: kind.toLowerCase() },
  );
}
