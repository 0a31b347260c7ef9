/**
 * The scheduler's estimates, as pure functions of its state: when each queued request is expected
 * to start, and from when an unloaded model's waiting requests force its load (their bound).
 */
import type { InferenceRequest, ModelState } from './types.js';

export interface Queued {
  request: InferenceRequest;
  /** arrivedAt + its maximum wait. */
  deadline: number;
  /** Its expected service time (its own estimate, or the model's). */
  estMs: number;
  seq: number;
}

export interface Running {
  startedAt: number;
  estMs: number;
}

export interface ModelRecord {
  name: string;
  sizeBytes: number;
  concurrency: number;
  queueLimit: number;
  keepAliveMs: number;
  state: ModelState;
  pinned: boolean;
  /** The load time planned with: the longest recent measured load, or the first estimate. */
  loadMs: number;
  loadSamples: number[];
  serviceMs: number;
  loadStartedAt: number;
  lastUsedAt: number;
  /** By deadline, then arrival: with one maximum wait for all, first come first served within the model. */
  queue: Queued[];
  running: Map<string, Running>;
}

export interface Projection {
  /** Expected start of every queued request; Infinity where nothing can make room for its model. */
  start: Map<string, number>;
  /** For unloaded models with a queue: the time after which waiting longer would break a bound. */
  urgentAt: Map<string, number>;
}

export const memoryUsed = (models: Iterable<ModelRecord>): number => {
  let used = 0;
  for (const m of models) if (m.state !== 'unloaded') used += m.sizeBytes;
  return used;
};

/** When a model's running requests are expected to be done (now when idle). */
export const drainEnd = (m: ModelRecord, now: number): number => {
  let end = now;
  for (const r of m.running.values()) end = Math.max(end, r.startedAt + r.estMs);
  return end;
};

/** Start offsets of a queue on `slots` parallel sequences that all free at `free`. */
function assign(queue: Queued[], free: number[]): number[] {
  const slots = [...free];
  return queue.map((q) => {
    let best = 0;
    for (let i = 1; i < slots.length; i++) if ((slots[i] as number) < (slots[best] as number)) best = i;
    const start = slots[best] as number;
    slots[best] = start + q.estMs;
    return start;
  });
}

/**
 * How long until room for `target` can be made: 0 when it fits now; else the time until enough
 * unpinned loaded models are idle to be evicted, taking first the ones that are done soonest.
 * `conservative`: a busy model is counted as busy for one more full request (it may start one
 * before the swap is due), not only its current one. Infinity when pinned models leave no room.
 */
export function roomIn(target: ModelRecord, models: ModelRecord[], memoryBytes: number, now: number, conservative: boolean): number {
  let needed = target.sizeBytes - (memoryBytes - memoryUsed(models));
  if (needed <= 0) return 0;
  const candidates = models
    .filter((m) => m !== target && m.state !== 'unloaded' && !m.pinned)
    .map((m) => {
      const busyFor = drainEnd(m, now) - now;
      const loadingFor = m.state === 'loading' ? Math.max(0, m.loadStartedAt + m.loadMs - now) : 0;
      const next = conservative && (m.running.size > 0 || m.queue.length > 0) ? Math.max(busyFor, m.serviceMs, ...m.queue.slice(0, 1).map((q) => q.estMs)) : busyFor;
      return { m, wait: Math.max(next, loadingFor) };
    })
    .sort((a, b) => a.wait - b.wait);
  let wait = 0;
  for (const c of candidates) {
    needed -= c.m.sizeBytes;
    wait = Math.max(wait, c.wait);
    if (needed <= 0) return wait;
  }
  return Infinity;
}

/**
 * Loaded (and loading) models serve their queues on their slots; unloaded models with a queue
 * are loaded one after another (one load at a time), each at the latest when its bound forces it.
 */
export function project(models: ModelRecord[], memoryBytes: number, now: number): Projection {
  const start = new Map<string, number>();
  const urgentAt = new Map<string, number>();
  let deviceFree = now;
  for (const m of models) {
    if (m.state === 'unloaded') continue;
    const from = m.state === 'loading' ? Math.max(now, m.loadStartedAt + m.loadMs) : now;
    if (m.state === 'loading') deviceFree = Math.max(deviceFree, from);
    const free = Array.from({ length: m.concurrency }, () => from);
    [...m.running.values()]
      .map((r) => Math.max(now, r.startedAt + r.estMs))
      .sort((a, b) => a - b)
      .forEach((end, i) => (free[i] = end));
    assign(m.queue, free).forEach((s, i) => start.set((m.queue[i] as Queued).request.id, s));
  }

  const waiting = models
    .filter((m) => m.state === 'unloaded' && m.queue.length > 0)
    .map((m) => {
      const offsets = assign(
        m.queue,
        Array.from({ length: m.concurrency }, () => 0),
      );
      const room = roomIn(m, models, memoryBytes, now, true);
      let urgent = Infinity;
      m.queue.forEach((q, i) => (urgent = Math.min(urgent, q.deadline - room - m.loadMs - (offsets[i] as number))));
      if (room === Infinity) urgent = Infinity;
      // How long its queue keeps it busy once loaded.
      const serves = m.queue.reduce((s, q) => s + q.estMs, 0) / m.concurrency;
      return { m, offsets, urgent, room, serves };
    })
    .sort((a, b) => a.urgent - b.urgent);
  // Loads come one at a time: a model due earlier is due earlier still when the next one's load
  // (perhaps evicting it) must follow its load and its queue.
  for (let k = waiting.length - 2; k >= 0; k--) {
    const w = waiting[k] as (typeof waiting)[number];
    const next = waiting[k + 1] as (typeof waiting)[number];
    if (Number.isFinite(next.urgent)) w.urgent = Math.min(w.urgent, next.urgent + next.room - w.room - w.m.loadMs - w.serves);
  }

  for (const { m, offsets, urgent } of waiting) {
    urgentAt.set(m.name, urgent);
    // Once due, room is made from what runs now (nothing new starts on the models to evict).
    const begin = Math.max(now, urgent);
    const room = urgent <= now ? roomIn(m, models, memoryBytes, now, false) : roomIn(m, models, memoryBytes, now, true);
    const loadEnd = Math.max(begin + room, deviceFree) + m.loadMs;
    if (Number.isFinite(loadEnd)) deviceFree = loadEnd;
    m.queue.forEach((q, i) => start.set(q.request.id, loadEnd + (offsets[i] as number)));
  }
  return { start, urgentAt };
}
