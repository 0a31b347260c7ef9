/**
 * Local inference: one engine process per loaded model (process.ts), started on the first
 * request for it. Concurrent first requests share one load; a model that would not fit in the
 * memory left is refused before anything starts; a crashed process fails what it was serving
 * with `engine_crashed`, a request is retried once on a fresh process, and the next request
 * starts one. Requests for one model run one at a time, in arrival order.
 *
 * SCHEDULER SEAM: `enqueue` is a plain per-model FIFO. The swap-aware scheduler (../scheduler,
 * a pure state machine) takes its place: `enqueue` becomes its `request` event, `load`/`unload`
 * its actions, and `run` the dispatch of a request it chose; the rest of this file stays.
 */
import os from 'node:os';
import { ReefError } from '../../../../sdk/index.js';
import { estimateMemoryBytes, type ModelInfo, type ModelsDirectory } from './models.js';
import { EngineProcess, isEngineCrash, type WorkerLauncher } from './process.js';
import type { EmbedResult, GenerateParams, GenerateResult, LoadResult } from './protocol.js';

export interface EngineOptions {
  models: ModelsDirectory;
  /** The built worker script (worker.js). */
  workerScript: string;
  launch?: WorkerLauncher;
  /** Threads per model; 1 by default (on 2 cores the library's default was ~30x slower). */
  threads?: number;
  /** Context per model, at most the model's own; 2048 by default. */
  contextSize?: number;
  /** What models may use in all, in bytes; by default the memory free when a model loads. */
  memoryLimitBytes?: number;
  /** Free memory now, in bytes (tests replace it). */
  freeMemory?: () => number;
  onLoaded?: (model: string, result: LoadResult) => void;
  onUnloaded?: (model: string, reason: 'unload' | 'crash') => void;
  log?: (message: string, fields?: Record<string, unknown>) => void;
}

export interface LoadedModel {
  info: ModelInfo;
  process: EngineProcess;
  load: LoadResult;
  estimateBytes: number;
}

interface Slot {
  loading?: Promise<LoadedModel>;
  loaded?: LoadedModel;
  /** The tail of this model's FIFO. */
  tail: Promise<void>;
  loads: number;
}

export class Engine {
  private readonly slots = new Map<string, Slot>();
  private readonly threads: number;
  private readonly contextSize: number;
  private closed = false;

  constructor(private readonly options: EngineOptions) {
    this.threads = options.threads ?? 1;
    this.contextSize = options.contextSize ?? 2048;
  }

  private slot(model: string): Slot {
    let s = this.slots.get(model);
    if (!s) {
      s = { tail: Promise.resolve(), loads: 0 };
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

  /** Loads the model unless it is loaded or loading; every caller meanwhile waits for the same load. */
  async load(model: string): Promise<LoadedModel> {
    if (this.closed) throw new ReefError('unavailable', 'the inference engine is shutting down');
    const slot = this.slot(model);
    if (slot.loaded?.process.alive) return slot.loaded;
    slot.loading ??= this.start(model, slot).finally(() => {
      slot.loading = undefined;
    });
    return slot.loading;
  }

  private async start(model: string, slot: Slot): Promise<LoadedModel> {
    const info = await this.options.models.find(model);
    if (!info) throw new ReefError('not_found', `no model ${model} in ${this.options.models.dir} (a .gguf file named ${model}.gguf)`);
    const contextSize = Math.min(this.contextSize, info.contextLength ?? this.contextSize);
    const estimateBytes = estimateMemoryBytes(info, contextSize);
    this.checkFit(info, estimateBytes);
    const proc = new EngineProcess(model, this.options.workerScript, this.options.launch, (m) => this.options.log?.(m));
    slot.loads++;
    let load: LoadResult;
    try {
      load = await proc.load({ modelPath: info.path, contextSize, threads: this.threads });
    } catch (err) {
      proc.kill();
      throw err;
    }
    const loaded: LoadedModel = { info, process: proc, load, estimateBytes };
    slot.loaded = loaded;
    this.options.onLoaded?.(model, load);
    void proc.exited.then(() => {
      if (slot.loaded === loaded) {
        slot.loaded = undefined;
        this.options.onUnloaded?.(model, 'crash');
        if (!this.closed) this.options.log?.(`engine process for ${model} ended; it starts again on the next request`, { pid: proc.pid });
      }
    });
    return loaded;
  }

  private checkFit(info: ModelInfo, needed: number): void {
    const free = (this.options.freeMemory ?? os.freemem)();
    const inUse = this.loadedModels().reduce((a, m) => a + m.estimateBytes, 0);
    const limit = this.options.memoryLimitBytes;
    const available = limit === undefined ? free : Math.min(free, limit - inUse);
    if (needed > available) {
      const mib = (b: number) => `${Math.round(b / 2 ** 20)} MiB`;
      throw new ReefError(
        'conflict',
        `model ${info.id} needs about ${mib(needed)} of RAM (weights ${mib(info.sizeBytes)}, KV cache and working memory) but ${mib(Math.max(0, available))} is available` +
          (limit !== undefined ? ` (limit ${mib(limit)}, ${mib(inUse)} used by loaded models)` : '') +
          ': unload a model or choose a smaller one',
        { reason: 'insufficient_memory', model: info.id, neededBytes: needed, availableBytes: Math.max(0, available) },
      );
    }
  }

  /** Runs `fn` when the model's earlier requests are done (the FIFO; see SCHEDULER SEAM). */
  private enqueue<T>(model: string, fn: () => Promise<T>): Promise<T> {
    const slot = this.slot(model);
    const run = slot.tail.then(fn);
    slot.tail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Loads as needed and runs; a request its engine crashed under is run once more on a fresh one when `retry()` allows. */
  private async run<T>(model: string, fn: (loaded: LoadedModel) => Promise<T>, retry: () => boolean = () => true): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.enqueue(model, async () => fn(await this.load(model)));
      } catch (err) {
        if (attempt >= 2 || !isEngineCrash(err) || !retry() || this.closed) throw err;
        this.options.log?.(`request retried after the engine for ${model} crashed`);
      }
    }
  }

  generate(model: string, params: GenerateParams, onChunk?: (text: string) => void, signal?: AbortSignal): Promise<GenerateResult & { model: string }> {
    let streamed = false;
    const chunk = onChunk
      ? (text: string) => {
          streamed = true;
          onChunk(text);
        }
      : undefined;
    // Once text has gone out, a retry would send it again: such a request fails instead.
    return this.run(
      model,
      async (m) => ({ ...(await m.process.generate({ ...params, stream: chunk !== undefined }, chunk, signal)), model }),
      () => !streamed,
    );
  }

  embed(model: string, input: string[]): Promise<EmbedResult> {
    return this.run(model, (m) => m.process.embed(input));
  }

  async unload(model: string): Promise<boolean> {
    const slot = this.slots.get(model);
    const loaded = slot?.loaded;
    if (!slot || !loaded) return false;
    slot.loaded = undefined;
    await loaded.process.stop();
    this.options.onUnloaded?.(model, 'unload');
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.slots.keys()].map((m) => this.unload(m)));
  }
}
