/** The swap-aware scheduler's vocabulary: what it is told (events) and what it asks for (actions). */

/** A model the device may hold. Sizes and times in bytes and milliseconds. */
export interface ModelSpec {
  name: string;
  /** Memory the model takes once loaded (weights and context). */
  sizeBytes: number;
  /** Requests it runs at once (parallel sequences). Default: the scheduler's `concurrency`. */
  concurrency?: number;
  /** First estimate of a load; replaced by measured loads. Default: size / `loadBytesPerSec`. */
  loadMs?: number;
  /** First estimate of one request's service time; replaced by measured ones. */
  serviceMs?: number;
  /** Unload after this long idle, unless pinned. Default: the scheduler's `keepAliveMs`. */
  keepAliveMs?: number;
  /** Queued requests at most; one more is refused `busy`. Default: the scheduler's `queueLimit`. */
  queueLimit?: number;
}

export interface SchedulerOptions {
  /** The clock: every decision reads it; the scheduler has no timers of its own. */
  now: () => number;
  /** Memory the loaded models may take together (VRAM, or RAM on CPU). */
  memoryBytes: number;
  models: ModelSpec[];
  /** A request's longest wait before it starts (default 60 s); per agent in `agentMaxWaitMs`, per request in the request. */
  maxWaitMs?: number;
  agentMaxWaitMs?: Record<string, number>;
  /** True when an upstream is configured: requests that cannot be served in time go there instead of being refused. */
  fallback?: boolean;
  /** Default 5 minutes (as Ollama's). `Infinity`: never unload an idle model. */
  keepAliveMs?: number;
  /** Default 64 per model. */
  queueLimit?: number;
  /** Default 1. */
  concurrency?: number;
  /** For first load estimates: default 512 MiB/s. */
  loadBytesPerSec?: number;
  /** First service estimate for models without one: default 2 s. */
  serviceMs?: number;
  /**
   * A swap that no bound forces (evicting an idle model) happens only once the queued work of the
   * model to load, in estimated seconds, is at least this many times its load time. Default 1.
   */
  swapWorkRatio?: number;
}

export interface InferenceRequest {
  id: string;
  model: string;
  agent: string;
  arrivedAt: number;
  /** This request's own bound on its wait (overrides the agent's and the default). */
  maxWaitMs?: number;
  /** Its expected service time, where the caller knows (max_tokens × a model's speed). */
  estimatedMs?: number;
}

/** A hint from the task queue: `model` will be needed at `at`, or by `tasks` queued tasks. */
export interface PreloadHint {
  model: string;
  at?: number;
  tasks?: number;
}

export type SchedulerEvent =
  | { type: 'arrived'; request: InferenceRequest }
  | { type: 'finished'; request: string }
  | { type: 'cancelled'; request: string }
  | { type: 'loaded'; model: string }
  | { type: 'unloaded'; model: string }
  | { type: 'load-failed'; model: string; message: string }
  | { type: 'pin'; model: string; pinned: boolean }
  | { type: 'keep-alive'; model: string; ms: number }
  | { type: 'hint'; hint: PreloadHint }
  /** A model appeared in (or changed on) the device's catalogue: added, or its size updated while unloaded. */
  | { type: 'model'; spec: ModelSpec }
  /** The memory the loaded models may take changed (on CPU: what is free, plus what they hold). */
  | { type: 'memory'; bytes: number }
  /** The operator asks for a model now: loaded if it fits or only idle, unpinned models need to go. */
  | { type: 'load'; model: string }
  /** The operator asks for a model to go: unpinned and unloaded if it is idle. */
  | { type: 'unload'; model: string }
  | { type: 'tick' };

/** Why a request left the local queue without running here. */
export type EndReason =
  | 'queue_full' // its model's queue was at its limit
  | 'expected_wait' // it would have started after its maximum wait
  | 'not_local' // no such local model
  | 'too_big' // the model is larger than the device's memory
  | 'no_room' // pinned models leave no room for it
  | 'load_failed'; // its model failed to load

/** Why a model is loaded: for the swap log. */
export type LoadReason =
  | 'fits' // room was free
  | 'grouped' // the swap serving the most queued work per second of swap
  | 'stale' // what it replaced had been idle longer than it takes to load it back
  | 'urgent' // a request's wait bound forced it
  | 'preload' // a hint, while the device was idle
  | 'operator'; // the operator asked for it

export type SchedulerAction =
  | { type: 'load'; model: string; evict: string[]; reason: LoadReason; for: string[] }
  | { type: 'unload'; model: string; reason: 'idle' | 'operator' }
  | { type: 'run'; request: string; model: string }
  | { type: 'fallback'; request: string; reason: EndReason; message: string }
  | { type: 'reject'; request: string; code: 'busy' | 'not_found' | 'unavailable'; reason: EndReason; retryAfterMs?: number; message: string };

export type ModelState = 'unloaded' | 'loading' | 'loaded';

/** What the panel and /metrics read. */
export interface ModelView {
  name: string;
  state: ModelState;
  pinned: boolean;
  sizeBytes: number;
  queued: number;
  running: number;
  loadMsEstimate: number;
  serviceMsEstimate: number;
  lastUsedAt: number;
}
