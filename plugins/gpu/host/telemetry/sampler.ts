/**
 * The telemetry sampler: about once a second, and only while someone watches (a window holding a
 * lease, the engine while a model is loaded), it runs nvidia-smi and reads the host's CPU and
 * memory, keeping a rolling series. One run at a time, each with a timeout that kills a hang;
 * when nvidia-smi keeps failing (no GPU, no driver) it is tried less and less often, up to every
 * `maxBackoffMs`, while CPU and memory go on being sampled; the status says why.
 */
import type { Disposable } from '../../../../sdk/index.js';
import { HostStats } from './host-stats.js';
import { APP_QUERY_ARGS, GPU_QUERY_ARGS, parseComputeApps, parseGpuQuery } from './parse.js';
import { problemOfRun, type RunOutcome } from './problems.js';
import { Ring } from './ring.js';
import { runCommand, type RunOptions } from './run.js';
import type { ComputeProcess, GpuPoint, GpuProblem, GpuReading, GpuStatus, HostPoint, TelemetryEvent, TelemetryReply, TelemetrySample } from './schemas.js';

export interface SamplerTimers {
  setTimeout(fn: () => void, ms: number): Disposable;
}

export interface SamplerOptions {
  /** The nvidia-smi to run: a name looked up on PATH, or a path. */
  binary?: string;
  /** The environment nvidia-smi runs with (its PATH decides which one a bare name finds). */
  env?: NodeJS.ProcessEnv;
  intervalMs?: number;
  /** Per nvidia-smi run; past it the run is killed and counts as a failure. */
  timeoutMs?: number;
  /** The longest wait between tries while nvidia-smi keeps failing. */
  maxBackoffMs?: number;
  /** How far back the rolling series goes. */
  historyMs?: number;
  now?: () => number;
  timers?: SamplerTimers;
  /** Each sample taken while someone watches. */
  onSample?: (event: TelemetryEvent) => void;
  /** The GPU status changed state or reason (for the log). */
  onStatus?: (status: GpuStatus, previous: GpuStatus) => void;
  /** Something worth a line in the log that changes no status (the process list failed). */
  onWarning?: (message: string, fields: Record<string, unknown>) => void;
  hostStats?: HostStats;
  run?: (binary: string, args: readonly string[], options: RunOptions) => Promise<RunOutcome>;
}

export const DEFAULTS = { binary: 'nvidia-smi', intervalMs: 1000, timeoutMs: 2000, maxBackoffMs: 30_000, historyMs: 600_000 } as const;
/** More GPUs than any box has: a bound on what garbage could make us keep. */
const MAX_GPUS = 64;

const realTimers: SamplerTimers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref(); // a sampler never keeps the process alive
    return { dispose: () => clearTimeout(t) };
  },
};

type GpuRead = { ok: true; gpus: GpuReading[]; processes: ComputeProcess[] } | { ok: false; problem: GpuProblem };

export class TelemetrySampler {
  readonly binary: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly maxBackoffMs: number;
  readonly historyMs: number;
  /** nvidia-smi runs started, and how many failed by reason (for /metrics). */
  runsTotal = 0;
  readonly failuresByCode = new Map<string, number>();

  private readonly now: () => number;
  private readonly timers: SamplerTimers;
  private readonly hostStats: HostStats;
  private readonly run: NonNullable<SamplerOptions['run']>;
  private readonly watchers = new Map<string, number>();
  private loop: Disposable | undefined;
  private inFlight: Promise<TelemetrySample> | undefined;
  private stopped = false;
  private ticking = false;
  private gpuStatus: GpuStatus;
  private latestSample: TelemetrySample | undefined;
  private readonly hostSeries: Ring<HostPoint>;
  private readonly gpuSeries = new Map<number, { uuid: string | null; name: string | null; points: Ring<GpuPoint> }>();

  constructor(private readonly options: SamplerOptions = {}) {
    this.binary = options.binary ?? DEFAULTS.binary;
    this.intervalMs = options.intervalMs ?? DEFAULTS.intervalMs;
    this.timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
    this.maxBackoffMs = Math.max(this.intervalMs, options.maxBackoffMs ?? DEFAULTS.maxBackoffMs);
    this.historyMs = options.historyMs ?? DEFAULTS.historyMs;
    this.now = options.now ?? Date.now;
    this.timers = options.timers ?? realTimers;
    this.hostStats = options.hostStats ?? new HostStats();
    this.run = options.run ?? runCommand;
    this.hostSeries = new Ring(Math.max(1, Math.ceil(this.historyMs / this.intervalMs)));
    this.gpuStatus = { state: 'unknown', since: this.now(), consecutiveFailures: 0, failuresTotal: 0 };
  }

  /**
   * Keeps the sampler running until the returned handle is disposed (counted: sampling stops when
   * the last watcher goes). `reason` names who watches, as /metrics and the status show it:
   * "window" for a panel's lease, "model" for a loaded model.
   */
  watch(reason: string): Disposable {
    let done = false;
    this.watchers.set(reason, (this.watchers.get(reason) ?? 0) + 1);
    if (this.watcherCount() === 1) this.startLoop();
    return {
      dispose: () => {
        if (done) return;
        done = true;
        const left = (this.watchers.get(reason) ?? 1) - 1;
        if (left > 0) this.watchers.set(reason, left);
        else this.watchers.delete(reason);
        if (this.watcherCount() === 0) this.stopLoop();
      },
    };
  }

  watcherCount(): number {
    let total = 0;
    for (const n of this.watchers.values()) total += n;
    return total;
  }

  /** True while someone watches: samples are taken every interval. */
  get sampling(): boolean {
    return !this.stopped && this.watcherCount() > 0;
  }

  status(): GpuStatus {
    return { ...this.gpuStatus, ...(this.gpuStatus.reason && { reason: { ...this.gpuStatus.reason } }) };
  }

  latest(): TelemetrySample | undefined {
    return this.latestSample;
  }

  /**
   * One sample now, unless one is on its way (then that one): never two runs at once. Never
   * rejects; a failing nvidia-smi is in the status, and the host's figures are there regardless.
   */
  sampleNow(): Promise<TelemetrySample> {
    if (!this.inFlight) {
      this.inFlight = this.takeSample().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  /**
   * For a reader nobody's watch keeps current (a GET, a scrape): takes a sample when the latest
   * is older than `maxAgeMs`, waiting for it at most `waitMs`. Either way the latest is current
   * enough afterwards, or as current as the wait allowed.
   */
  async fresh(maxAgeMs: number, waitMs: number): Promise<void> {
    const latest = this.latestSample;
    if (latest && this.now() - latest.at <= maxAgeMs) return;
    let timer: Disposable | undefined;
    await Promise.race([this.sampleNow(), new Promise<void>((resolve) => (timer = this.timers.setTimeout(resolve, waitMs)))]);
    timer?.dispose();
  }

  /** Stops sampling for good (the plugin deactivates); waits for a run on its way, which its timeout bounds. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopLoop();
    await this.inFlight?.catch(() => undefined);
  }

  /** The reply of `reef.v1.gpu.telemetry`: the status, the latest sample and the series (after `since`). */
  snapshot(options: { since?: number; series?: boolean } = {}): TelemetryReply {
    const cutoff = this.now() - this.historyMs;
    const since = options.since;
    const keep = (p: { at: number }) => p.at >= cutoff && (since === undefined || p.at > since);
    const wantSeries = options.series ?? true;
    return {
      status: this.status(),
      sampling: this.sampling,
      watchers: { total: this.watcherCount(), byReason: Object.fromEntries(this.watchers) },
      intervalMs: this.intervalMs,
      historyMs: this.historyMs,
      ...(this.latestSample && { latest: this.latestSample }),
      series: wantSeries
        ? {
            host: this.hostSeries.toArray(keep),
            gpus: [...this.gpuSeries.entries()]
              .sort(([a], [b]) => a - b)
              .map(([index, s]) => ({ index, uuid: s.uuid, name: s.name, points: s.points.toArray(keep) })),
          }
        : { host: [], gpus: [] },
    };
  }

  private startLoop(): void {
    // A tick on its way schedules the next itself.
    if (this.loop || this.ticking || this.stopped) return;
    this.schedule(0);
  }

  private stopLoop(): void {
    this.loop?.dispose();
    this.loop = undefined;
  }

  private schedule(ms: number): void {
    this.loop = this.timers.setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    this.loop = undefined;
    if (!this.sampling) return;
    const started = this.now();
    this.ticking = true;
    const sample = await this.sampleNow().finally(() => (this.ticking = false));
    if (this.sampling) this.options.onSample?.({ status: this.status(), sample });
    // The next tick an interval after this one began (a slow run is not followed by a burst).
    if (this.sampling && !this.loop) this.schedule(Math.max(0, this.intervalMs - (this.now() - started)));
  }

  private async takeSample(): Promise<TelemetrySample> {
    const at = this.now();
    const host = this.hostStats.read();
    let gpus: GpuReading[] = [];
    let processes: ComputeProcess[] = [];
    const waitUntil = this.gpuStatus.nextAttemptAt;
    if (waitUntil === undefined || at >= waitUntil) {
      const read = await this.readGpus();
      if (read.ok) {
        gpus = read.gpus;
        processes = read.processes;
        this.setStatus({ state: 'ok', since: this.gpuStatus.state === 'ok' ? this.gpuStatus.since : this.now(), lastOkAt: this.now(), consecutiveFailures: 0, failuresTotal: this.gpuStatus.failuresTotal });
      } else {
        this.failed(read.problem);
      }
    }
    const sample: TelemetrySample = { at, host, gpus, processes };
    this.record(sample);
    return sample;
  }

  private async readGpus(): Promise<GpuRead> {
    const gpuRun = await this.runOnce(GPU_QUERY_ARGS);
    const runProblem = problemOfRun(gpuRun, this.binary, this.timeoutMs);
    if (runProblem) return { ok: false, problem: runProblem };
    const parsed = parseGpuQuery(gpuRun.stdout);
    if (!parsed.ok) return parsed;
    if (parsed.value.length === 0) return { ok: false, problem: { code: 'no_devices', message: 'nvidia-smi listed no GPU' } };
    const gpus = parsed.value.slice(0, MAX_GPUS);
    if (parsed.warnings.length > 0) this.options.onWarning?.('odd values in nvidia-smi --query-gpu', { warnings: parsed.warnings.slice(0, 10) });

    // The process list is a detail: when it fails, the GPU readings still stand.
    const appRun = await this.runOnce(APP_QUERY_ARGS);
    const appProblem = problemOfRun(appRun, this.binary, this.timeoutMs);
    const apps = appProblem ? undefined : parseComputeApps(appRun.stdout);
    if (appProblem || !apps?.ok) {
      this.count(appProblem ?? (apps && !apps.ok ? apps.problem : undefined));
      this.options.onWarning?.('nvidia-smi --query-compute-apps failed', { problem: appProblem ?? (apps && !apps.ok ? apps.problem : undefined) });
      return { ok: true, gpus, processes: [] };
    }
    return { ok: true, gpus, processes: apps.value.slice(0, 4096) };
  }

  /** One run, with a guard beyond the runner's own timeout: whatever happens, the sampler moves on. */
  private async runOnce(args: readonly string[]): Promise<RunOutcome> {
    this.runsTotal++;
    let guard: Disposable | undefined;
    const stuck = new Promise<RunOutcome>((resolve) => {
      guard = this.timers.setTimeout(
        () => resolve({ stdout: '', stderr: '', exitCode: null, signal: null, timedOut: true, durationMs: this.timeoutMs + 1000 }),
        this.timeoutMs + 1000,
      );
    });
    try {
      const env = this.options.env;
      return await Promise.race([
        this.run(this.binary, args, { timeoutMs: this.timeoutMs, ...(env && { env }) }).catch(
          (err: unknown): RunOutcome => ({ stdout: '', stderr: '', exitCode: null, signal: null, timedOut: false, durationMs: 0, spawnError: { code: 'UNKNOWN', message: String(err) } }),
        ),
        stuck,
      ]);
    } finally {
      guard?.dispose();
    }
  }

  private count(problem: GpuProblem | undefined): void {
    if (problem) this.failuresByCode.set(problem.code, (this.failuresByCode.get(problem.code) ?? 0) + 1);
  }

  private failed(problem: GpuProblem): void {
    this.count(problem);
    const failures = this.gpuStatus.consecutiveFailures + 1;
    // 2, 4, 8, 16 intervals … up to maxBackoffMs: a missing GPU costs one run every 30 s.
    const backoff = Math.min(this.maxBackoffMs, this.intervalMs * 2 ** Math.min(failures, 20));
    const sameReason = this.gpuStatus.state === 'unavailable' && this.gpuStatus.reason?.code === problem.code;
    this.setStatus({
      state: 'unavailable',
      reason: problem,
      since: sameReason ? this.gpuStatus.since : this.now(),
      ...(this.gpuStatus.lastOkAt !== undefined && { lastOkAt: this.gpuStatus.lastOkAt }),
      consecutiveFailures: failures,
      nextAttemptAt: this.now() + backoff,
      failuresTotal: this.gpuStatus.failuresTotal + 1,
    });
  }

  private setStatus(next: GpuStatus): void {
    const previous = this.gpuStatus;
    this.gpuStatus = next;
    if (previous.state !== next.state || previous.reason?.code !== next.reason?.code) this.options.onStatus?.(this.status(), previous);
  }

  private record(sample: TelemetrySample): void {
    this.latestSample = sample;
    const { at, host } = sample;
    this.hostSeries.push({ at, cpuPercent: host.cpuPercent, memoryUsedMiB: host.memoryUsedMiB, memoryTotalMiB: host.memoryTotalMiB });
    for (const gpu of sample.gpus) {
      let series = this.gpuSeries.get(gpu.index);
      if (!series) {
        if (this.gpuSeries.size >= MAX_GPUS) continue;
        series = { uuid: gpu.uuid, name: gpu.name, points: new Ring(this.hostSeries.capacity) };
        this.gpuSeries.set(gpu.index, series);
      }
      series.uuid = gpu.uuid;
      series.name = gpu.name;
      series.points.push({
        at,
        utilizationGpu: gpu.utilizationGpu,
        utilizationMemory: gpu.utilizationMemory,
        memoryUsedMiB: gpu.memoryUsedMiB,
        memoryTotalMiB: gpu.memoryTotalMiB,
        temperatureC: gpu.temperatureC,
        powerDrawW: gpu.powerDrawW,
        powerLimitW: gpu.powerLimitW,
        clockSmMHz: gpu.clockSmMHz,
        clockMemMHz: gpu.clockMemMHz,
      });
    }
  }
}
