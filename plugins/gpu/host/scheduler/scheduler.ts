/**
 * The swap-aware scheduler for one device: which models are loaded and which request runs next.
 * A pure state machine: events in (`handle`), actions out, time from the injected clock, no
 * timers (the driver calls `handle({type: 'tick'})` at `nextWakeAt()`), no I/O. The engine and
 * the simulation (simulation.ts) drive it the same way. Rules: docs/ARCHITECTURE.md "Local inference".
 */
import { drainEnd, memoryUsed, project, type ModelRecord, type Projection, type Queued } from './projection.js';
import type { EndReason, InferenceRequest, LoadReason, ModelSpec, ModelView, PreloadHint, SchedulerAction, SchedulerEvent, SchedulerOptions } from './types.js';

const DEFAULTS = { maxWaitMs: 60_000, keepAliveMs: 300_000, queueLimit: 64, concurrency: 1, loadBytesPerSec: 512 * 2 ** 20, serviceMs: 2_000, swapWorkRatio: 1 };
/** A hint with a time is dropped this long after it; one with only a task count after HINT_TTL_MS. */
const HINT_GRACE_MS = 60_000;
const HINT_TTL_MS = 600_000;
/** A load is planned at the longest of the last LOAD_SAMPLES measured, so a bound holds when loads vary. */
const LOAD_SAMPLES = 8;
/** Weight of a new measurement in the running estimate of a request's service time. */
const SERVICE_WEIGHT = 0.2;
/** Sums of estimates are compared with a bound to this much (floating point). */
const SLACK_MS = 1;
/**
 * An idle model may be evicted for any waiting work after this many of its own load times idle
 * (ski rental with a margin: 1 cost bench/swap 0.3x of its swap reduction, 2 none of the goal).
 */
const STALE_LOADS = 2;

interface Hint {
  at: number;
  tasks: number;
  expiresAt: number;
}

export class SwapScheduler {
  private readonly now: () => number;
  private readonly models = new Map<string, ModelRecord>();
  private readonly where = new Map<string, ModelRecord>(); // request id → its model, while queued or running
  private readonly hints = new Map<string, Hint>();
  private draining = new Set<string>();
  private projection: Projection = { start: new Map(), urgentAt: new Map() };
  private seq = 0;

  private memoryBytes: number;

  constructor(private readonly options: SchedulerOptions) {
    this.now = options.now;
    this.memoryBytes = options.memoryBytes;
    for (const spec of options.models) this.define(spec);
  }

  /** Adds a model, or updates one: its size only while it is unloaded (a loaded one holds what it took). */
  private define(spec: ModelSpec): void {
    const o = this.options;
    const known = this.models.get(spec.name);
    if (known) {
      if (known.state === 'unloaded') known.sizeBytes = spec.sizeBytes;
      if (spec.keepAliveMs !== undefined) known.keepAliveMs = spec.keepAliveMs;
      return;
    }
    this.models.set(spec.name, {
      name: spec.name,
      sizeBytes: spec.sizeBytes,
      concurrency: Math.max(1, spec.concurrency ?? o.concurrency ?? DEFAULTS.concurrency),
      queueLimit: spec.queueLimit ?? o.queueLimit ?? DEFAULTS.queueLimit,
      keepAliveMs: spec.keepAliveMs ?? o.keepAliveMs ?? DEFAULTS.keepAliveMs,
      state: 'unloaded',
      pinned: false,
      loadMs: spec.loadMs ?? (spec.sizeBytes / (o.loadBytesPerSec ?? DEFAULTS.loadBytesPerSec)) * 1000,
      loadSamples: [],
      serviceMs: spec.serviceMs ?? o.serviceMs ?? DEFAULTS.serviceMs,
      loadStartedAt: 0,
      lastUsedAt: this.now(),
      queue: [],
      running: new Map(),
    });
  }

  /** Applies one event and returns what the driver must do now, in order. */
  handle(event: SchedulerEvent): SchedulerAction[] {
    const out: SchedulerAction[] = [];
    const now = this.now();
    switch (event.type) {
      case 'arrived':
        if (!this.admit(event.request, now, out)) return out;
        break;
      case 'finished':
      case 'cancelled': {
        const m = this.where.get(event.request);
        if (!m) break;
        this.where.delete(event.request);
        const running = m.running.get(event.request);
        if (running) {
          m.running.delete(event.request);
          m.lastUsedAt = now;
          if (event.type === 'finished') m.serviceMs += SERVICE_WEIGHT * (now - running.startedAt - m.serviceMs);
        } else m.queue = m.queue.filter((q) => q.request.id !== event.request);
        break;
      }
      case 'loaded': {
        const m = this.models.get(event.model);
        if (!m || m.state !== 'loading') break;
        m.loadSamples = [...m.loadSamples, now - m.loadStartedAt].slice(-LOAD_SAMPLES);
        m.loadMs = Math.max(...m.loadSamples);
        m.state = 'loaded';
        m.lastUsedAt = now;
        break;
      }
      case 'unloaded': {
        const m = this.models.get(event.model);
        if (m) m.state = 'unloaded';
        break;
      }
      case 'load-failed': {
        const m = this.models.get(event.model);
        if (!m) break;
        m.state = 'unloaded';
        for (const q of m.queue.splice(0)) this.end(q.request.id, 'load_failed', `model ${m.name} failed to load: ${event.message}`, undefined, out);
        break;
      }
      case 'pin': {
        const m = this.models.get(event.model);
        if (m) m.pinned = event.pinned;
        break;
      }
      case 'keep-alive': {
        const m = this.models.get(event.model);
        if (m) m.keepAliveMs = event.ms;
        break;
      }
      case 'hint':
        this.hint(event.hint, now);
        break;
      case 'model':
        this.define(event.spec);
        break;
      case 'memory':
        this.memoryBytes = event.bytes;
        break;
      case 'load':
        this.operatorLoad(event.model, now, out);
        break;
      case 'unload': {
        const m = this.models.get(event.model);
        if (!m) break;
        m.pinned = false;
        if (m.state === 'loaded' && this.idle(m)) {
          m.state = 'unloaded';
          out.push({ type: 'unload', model: m.name, reason: 'operator' });
        }
        break;
      }
      case 'tick':
        break;
    }
    this.decide(now, out);
    return out;
  }

  /** When the driver should call `handle({type: 'tick'})` next, or undefined when nothing is due. */
  nextWakeAt(): number | undefined {
    const now = this.now();
    let at = Infinity;
    for (const t of this.projection.urgentAt.values()) if (t > now) at = Math.min(at, t);
    const waiting = [...this.models.values()].some((m) => m.state === 'unloaded' && m.queue.length > 0);
    for (const m of this.models.values()) {
      // The same sums as in decide() and stale(), so that the wake-up finds them due (floating point).
      if (m.state === 'loaded' && !m.pinned && this.idle(m)) {
        at = Math.min(at, m.lastUsedAt + m.keepAliveMs);
        if (waiting && m.lastUsedAt + STALE_LOADS * m.loadMs > now) at = Math.min(at, m.lastUsedAt + STALE_LOADS * m.loadMs);
      }
    }
    for (const [name, h] of this.hints) {
      const m = this.models.get(name);
      at = Math.min(at, h.expiresAt);
      if (m && h.at - m.loadMs > now) at = Math.min(at, h.at - m.loadMs);
    }
    return Number.isFinite(at) ? Math.max(at, now) : undefined;
  }

  /** The expected start of a queued request (the scheduler's own estimate), for the panel. */
  expectedStart(id: string): number | undefined {
    return this.projection.start.get(id);
  }

  view(): ModelView[] {
    return [...this.models.values()].map((m) => ({
      name: m.name,
      state: m.state,
      pinned: m.pinned,
      sizeBytes: m.sizeBytes,
      queued: m.queue.length,
      running: m.running.size,
      loadMsEstimate: m.loadMs,
      serviceMsEstimate: m.serviceMs,
      lastUsedAt: m.lastUsedAt,
    }));
  }

  // ─── rules ───────────────────────────────────────────────────────────────────────────────

  private maxWait(r: InferenceRequest): number {
    return r.maxWaitMs ?? this.options.agentMaxWaitMs?.[r.agent] ?? this.options.maxWaitMs ?? DEFAULTS.maxWaitMs;
  }

  private admit(r: InferenceRequest, now: number, out: SchedulerAction[]): boolean {
    const m = this.models.get(r.model);
    if (!m) return this.refuse(r.id, 'not_local', `no local model ${r.model}`, 'not_found', out);
    if (m.sizeBytes > this.memoryBytes) return this.refuse(r.id, 'too_big', `model ${r.model} (${m.sizeBytes} bytes) is larger than the device's ${this.memoryBytes}`, 'unavailable', out);
    if (m.queue.length >= m.queueLimit) {
      // Room in the queue comes back when its head starts.
      const head = this.projection.start.get((m.queue[0] as Queued).request.id) ?? now;
      const retryAfterMs = Math.max(250, Math.ceil((Number.isFinite(head) ? head : now + m.loadMs) - now));
      out.push({ type: 'reject', request: r.id, code: 'busy', reason: 'queue_full', retryAfterMs, message: `the queue of ${r.model} is full (${m.queueLimit})` });
      return false;
    }
    const q: Queued = { request: r, deadline: r.arrivedAt + this.maxWait(r), estMs: r.estimatedMs ?? m.serviceMs, seq: this.seq++ };
    let i = m.queue.length;
    while (i > 0 && (m.queue[i - 1] as Queued).deadline > q.deadline) i--;
    m.queue.splice(i, 0, q);
    this.where.set(r.id, m);
    return true;
  }

  /** A request that cannot run here: to the fallback when there is one, else refused. */
  private refuse(id: string, reason: EndReason, message: string, code: 'busy' | 'not_found' | 'unavailable', out: SchedulerAction[], retryAfterMs?: number): false {
    if (this.options.fallback) out.push({ type: 'fallback', request: id, reason, message });
    else out.push({ type: 'reject', request: id, code, reason, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
    return false;
  }

  private end(id: string, reason: EndReason, message: string, retryAfterMs: number | undefined, out: SchedulerAction[]): void {
    this.where.delete(id);
    this.refuse(id, reason, message, reason === 'load_failed' ? 'unavailable' : 'busy', out, retryAfterMs);
  }

  /** Loads `name` now if it fits, or if only idle unpinned models need to go; nothing while another load runs. */
  private operatorLoad(name: string, now: number, out: SchedulerAction[]): void {
    const m = this.models.get(name);
    if (!m || m.state !== 'unloaded' || [...this.models.values()].some((x) => x.state === 'loading')) return;
    const models = [...this.models.values()];
    const free = this.memoryBytes - memoryUsed(models);
    const evict = m.sizeBytes <= free ? [] : this.victims(m, models, free, false);
    if (!evict) return;
    for (const v of evict) v.state = 'unloaded';
    m.state = 'loading';
    m.loadStartedAt = now;
    out.push({ type: 'load', model: m.name, evict: evict.map((v) => v.name), reason: 'operator', for: m.queue.slice(0, 20).map((q) => q.request.id) });
  }

  private hint(h: PreloadHint, now: number): void {
    if (!this.models.has(h.model)) return;
    const at = h.at ?? now;
    this.hints.set(h.model, { at, tasks: h.tasks ?? 0, expiresAt: h.at !== undefined ? at + HINT_GRACE_MS : now + HINT_TTL_MS });
  }

  private idle(m: ModelRecord): boolean {
    return m.running.size === 0 && m.queue.length === 0;
  }

  /** Idle for STALE_LOADS of its loads: evicting it for any waiting work is no longer a loss. */
  private stale(m: ModelRecord, now: number): boolean {
    return this.idle(m) && m.lastUsedAt + STALE_LOADS * m.loadMs <= now;
  }

  private decide(now: number, out: SchedulerAction[]): void {
    for (const [name, h] of this.hints) if (h.expiresAt <= now) this.hints.delete(name);
    for (const m of this.models.values()) {
      if (m.state === 'loaded' && !m.pinned && this.idle(m) && m.lastUsedAt + m.keepAliveMs <= now) {
        m.state = 'unloaded';
        out.push({ type: 'unload', model: m.name, reason: 'idle' });
      }
    }
    this.guard(now, out);
    this.draining = new Set();
    if (![...this.models.values()].some((m) => m.state === 'loading')) this.chooseLoad(now, out);
    for (const m of this.models.values()) {
      if (m.state !== 'loaded' || this.draining.has(m.name)) continue;
      while (m.running.size < m.concurrency && m.queue.length > 0) {
        const q = m.queue.shift() as Queued;
        m.running.set(q.request.id, { startedAt: now, estMs: q.estMs });
        m.lastUsedAt = now;
        out.push({ type: 'run', request: q.request.id, model: m.name });
      }
    }
    this.projection = project([...this.models.values()], this.memoryBytes, now);
  }

  /** Requests expected to start after their bound leave now (fallback or `busy`), not after waiting in vain. */
  private guard(now: number, out: SchedulerAction[]): void {
    const models = [...this.models.values()];
    this.projection = project(models, this.memoryBytes, now);
    for (const m of models) {
      // Without a fallback, a late request that can start now does: refusing it would only make it later.
      const late = m.queue.filter((q) => {
        const start = this.projection.start.get(q.request.id) ?? now;
        return start > q.deadline + SLACK_MS && (this.options.fallback || start > now + SLACK_MS);
      });
      if (late.length === 0) continue;
      m.queue = m.queue.filter((q) => !late.includes(q));
      for (const q of late) {
        const start = this.projection.start.get(q.request.id) ?? now;
        if (!Number.isFinite(start)) this.end(q.request.id, 'no_room', `pinned models leave no room for ${m.name}`, undefined, out);
        else this.end(q.request.id, 'expected_wait', `expected to start in ${Math.round(start - now)} ms, after its maximum wait`, Math.ceil(start - now), out);
      }
    }
    this.projection = project(models, this.memoryBytes, now);
  }

  private chooseLoad(now: number, out: SchedulerAction[]): void {
    const models = [...this.models.values()];
    const free = () => this.memoryBytes - memoryUsed(models);
    const load = (m: ModelRecord, evict: ModelRecord[], reason: LoadReason) => {
      for (const v of evict) v.state = 'unloaded';
      m.state = 'loading';
      m.loadStartedAt = now;
      this.hints.delete(m.name);
      out.push({ type: 'load', model: m.name, evict: evict.map((v) => v.name), reason, for: m.queue.slice(0, 20).map((q) => q.request.id) });
    };

    // A bound forces a load: make room from unpinned models, the idle first, then those done soonest.
    const urgent = [...this.projection.urgentAt].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1]);
    for (const [name] of urgent) {
      const m = this.models.get(name) as ModelRecord;
      if (m.sizeBytes <= free()) return load(m, [], 'urgent');
      const victims = this.victims(m, models, free(), true);
      if (!victims) continue;
      if (victims.every((v) => v.running.size === 0)) return load(m, victims, 'urgent');
      for (const v of victims) this.draining.add(v.name);
      return;
    }

    // Otherwise the swap that serves the most queued work per second of swap, evicting only idle models.
    const work = (m: ModelRecord) => m.queue.reduce((s, q) => s + q.estMs, 0);
    const waiting = models.filter((m) => m.state === 'unloaded' && m.queue.length > 0).sort((a, b) => work(b) / b.loadMs - work(a) / a.loadMs);
    const ratio = this.options.swapWorkRatio ?? DEFAULTS.swapWorkRatio;
    for (const m of waiting) {
      if (m.sizeBytes <= free()) return load(m, [], 'fits');
      const victims = this.victims(m, models, free(), false);
      if (!victims) continue;
      if (work(m) >= ratio * m.loadMs) return load(m, victims, 'grouped');
      // Keeping an idle model for its next request is worth it only until the wait has cost about
      // what loading it back would (ski rental): past that, any waiting work may take its place.
      if (victims.every((v) => this.stale(v, now))) return load(m, victims, 'stale');
    }

    // Preload while nothing waits: pinned models first, then hints by time.
    if (waiting.length > 0 || models.some((m) => m.queue.length > 0)) return;
    const wanted = [
      ...models.filter((m) => m.pinned && m.state === 'unloaded').map((m) => ({ m, at: -Infinity })),
      ...[...this.hints].map(([name, h]) => ({ m: this.models.get(name) as ModelRecord, at: h.at })).sort((a, b) => a.at - b.at),
    ];
    for (const { m, at } of wanted) {
      if (m.state !== 'unloaded' || at - m.loadMs > now) continue;
      if (m.sizeBytes <= free()) return load(m, [], 'preload');
      const victims = this.victims(m, models, free(), false);
      if (victims) return load(m, victims, 'preload');
    }
  }

  /**
   * Models to evict so that `m` fits: never pinned, never loading; idle ones least recently used
   * first (unhinted before hinted); with `busy`, then models with work, those done soonest first.
   * Undefined when not enough memory can be freed.
   */
  private victims(m: ModelRecord, models: ModelRecord[], free: number, busy: boolean): ModelRecord[] | undefined {
    const now = this.now();
    const candidates = models.filter((v) => v !== m && v.state === 'loaded' && !v.pinned && (busy || this.idle(v)));
    const urgentQueue = (v: ModelRecord) => v.queue.some((q) => (this.projection.start.get(q.request.id) ?? now) >= q.deadline - v.serviceMs);
    const stranded = (v: ModelRecord) => v.queue.reduce((s, q) => s + q.estMs, 0) + Math.max(0, drainEnd(v, now) - now);
    const rank = (v: ModelRecord) => [urgentQueue(v) ? 1 : 0, this.hints.has(v.name) ? 1 : 0, stranded(v), v.lastUsedAt];
    candidates.sort((a, b) => {
      const ra = rank(a);
      const rb = rank(b);
      for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
      return 0;
    });
    const chosen: ModelRecord[] = [];
    let room = free;
    for (const v of candidates) {
      if (room >= m.sizeBytes) break;
      chosen.push(v);
      room += v.sizeBytes;
    }
    return room >= m.sizeBytes ? chosen : undefined;
  }
}
