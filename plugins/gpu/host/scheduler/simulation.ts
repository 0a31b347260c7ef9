/**
 * A discrete-event simulation of one device driven by a scheduling policy, on a simulated clock
 * (no real waiting): requests arrive, loads and runs take the workload's times, and the policy is
 * told of each as the engine would tell it. It checks what the engine relies on (nothing runs on a
 * model that is not loaded, no busy model is evicted, the loaded models fit, every request ends
 * once) and records what happened. Used by bench/swap.ts and the scheduler's property tests.
 */
import type { InferenceRequest, SchedulerAction, SchedulerEvent } from './types.js';

/** What the simulation drives: SwapScheduler, or a baseline (baselines.ts). */
export interface Policy {
  handle(event: SchedulerEvent): SchedulerAction[];
  nextWakeAt(): number | undefined;
}

export interface Arrival {
  at: number;
  request: Omit<InferenceRequest, 'arrivedAt'>;
}

export interface Outcome {
  request: InferenceRequest;
  kind: 'ran' | 'fallback' | 'rejected';
  /** When it started running (ran), or left for the fallback or was refused. */
  startedAt: number;
  endedAt: number;
  reason?: string;
  retryAfterMs?: number;
}

export interface Workload {
  initial(): Arrival[];
  /** Once a request has ended: what its agent asks next. */
  after(outcome: Outcome): Arrival[];
  serviceMs(request: InferenceRequest): number;
  loadMs(model: string): number;
  /** How long the fallback takes to answer (default: the local service time). */
  fallbackMs?(request: InferenceRequest): number;
}

export interface LoadRecord {
  at: number;
  model: string;
  evict: string[];
  reason?: string;
}

export interface SimulationResult {
  outcomes: Outcome[];
  loads: LoadRecord[];
  /** Broken invariants, in words; empty when the policy behaved. */
  violations: string[];
  /** Requests still queued or running when the simulation stopped. */
  pending: number;
  endedAt: number;
}

interface SimEvent {
  at: number;
  seq: number;
  kind: 'arrive' | 'finish' | 'loaded' | 'wake' | 'control';
  arrival?: Arrival;
  control?: SchedulerEvent;
  id?: string;
  model?: string;
}

/** A binary heap of events by time, then by insertion. */
class Agenda {
  private readonly heap: SimEvent[] = [];
  private seq = 0;
  get size(): number {
    return this.heap.length;
  }
  push(e: Omit<SimEvent, 'seq'>): void {
    const h = this.heap;
    h.push({ ...e, seq: this.seq++ });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [h[i], h[p]] = [h[p] as SimEvent, h[i] as SimEvent];
      i = p;
    }
  }
  pop(): SimEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(l, m)) m = l;
        if (r < h.length && this.less(r, m)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m] as SimEvent, h[i] as SimEvent];
        i = m;
      }
    }
    return top;
  }
  private less(a: number, b: number): boolean {
    const x = this.heap[a] as SimEvent;
    const y = this.heap[b] as SimEvent;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }
}

export interface SimulationOptions {
  memoryBytes: number;
  sizes: Record<string, number>;
  /** Arrivals after this time are not made; what is queued still runs to the end. */
  untilMs: number;
  /** The operator's and the task queue's events (pin, keep-alive, hints), at their times. */
  controls?: Array<{ at: number; event: SchedulerEvent }>;
}

export function simulate(makePolicy: (now: () => number) => Policy, workload: Workload, options: SimulationOptions): SimulationResult {
  let now = 0;
  const policy = makePolicy(() => now);
  const agenda = new Agenda();
  const requests = new Map<string, InferenceRequest>();
  const ended = new Set<string>();
  const running = new Map<string, { model: string; startedAt: number }>();
  const state = new Map<string, 'loading' | 'loaded'>();
  const outcomes: Outcome[] = [];
  const loads: LoadRecord[] = [];
  const violations: string[] = [];
  let wakeAt = Infinity;

  const pinned = new Set<string>();
  const busy = (model: string) => [...running.values()].some((r) => r.model === model);
  const used = () => [...state.keys()].reduce((s, m) => s + (options.sizes[m] ?? 0), 0);
  const finish = (outcome: Outcome) => {
    if (ended.has(outcome.request.id)) violations.push(`${outcome.request.id} ended twice`);
    ended.add(outcome.request.id);
    outcomes.push(outcome);
    for (const a of workload.after(outcome)) if (a.at <= options.untilMs) agenda.push({ at: a.at, kind: 'arrive', arrival: a });
  };

  const apply = (actions: SchedulerAction[]) => {
    for (const a of actions) {
      const r = 'request' in a ? requests.get(a.request) : undefined;
      if ('request' in a && (!r || ended.has(a.request) || running.has(a.request))) violations.push(`${a.type} of ${a.request}, which is not waiting`);
      switch (a.type) {
        case 'load': {
          for (const v of a.evict) {
            if (busy(v)) violations.push(`evicted ${v} while it ran a request`);
            if (pinned.has(v)) violations.push(`evicted ${v}, which is pinned`);
            if (state.get(v) !== 'loaded') violations.push(`evicted ${v}, which was not loaded`);
            state.delete(v);
          }
          if (state.has(a.model)) violations.push(`loaded ${a.model} twice`);
          state.set(a.model, 'loading');
          if (used() > options.memoryBytes) violations.push(`at ${now} ms the loaded models take ${used()} bytes, over ${options.memoryBytes}`);
          loads.push({ at: now, model: a.model, evict: a.evict, reason: a.reason });
          agenda.push({ at: now + workload.loadMs(a.model), kind: 'loaded', model: a.model });
          break;
        }
        case 'unload':
          if (busy(a.model)) violations.push(`unloaded ${a.model} while it ran a request`);
          if (pinned.has(a.model)) violations.push(`unloaded ${a.model}, which is pinned`);
          state.delete(a.model);
          break;
        case 'run': {
          if (!r) break;
          if (state.get(a.model) !== 'loaded') violations.push(`ran ${a.request} on ${a.model}, which is ${state.get(a.model) ?? 'unloaded'}`);
          if (r.model !== a.model) violations.push(`ran ${a.request} on ${a.model}, not its model ${r.model}`);
          running.set(a.request, { model: a.model, startedAt: now });
          agenda.push({ at: now + workload.serviceMs(r), kind: 'finish', id: a.request });
          break;
        }
        case 'fallback':
          if (r) finish({ request: r, kind: 'fallback', startedAt: now, endedAt: now + (workload.fallbackMs?.(r) ?? workload.serviceMs(r)), reason: a.reason });
          break;
        case 'reject':
          if (r) finish({ request: r, kind: 'rejected', startedAt: now, endedAt: now, reason: a.reason, ...(a.retryAfterMs !== undefined ? { retryAfterMs: a.retryAfterMs } : {}) });
          break;
      }
    }
    const next = policy.nextWakeAt();
    if (next !== undefined && next < wakeAt && next >= now) {
      wakeAt = next;
      agenda.push({ at: next, kind: 'wake' });
    }
  };

  for (const a of workload.initial()) agenda.push({ at: a.at, kind: 'arrive', arrival: a });
  for (const c of options.controls ?? []) agenda.push({ at: c.at, kind: 'control', control: c.event });
  let steps = 0;
  let sameTime = 0;
  while (agenda.size > 0) {
    const e = agenda.pop() as SimEvent;
    sameTime = e.at === now ? sameTime + 1 : 0;
    if (++steps > 5_000_000 || sameTime > 10_000) {
      violations.push(`the policy did not settle (at ${now} ms, ${steps} events)`);
      break;
    }
    now = e.at;
    switch (e.kind) {
      case 'arrive': {
        const request = { ...(e.arrival as Arrival).request, arrivedAt: now } as InferenceRequest;
        requests.set(request.id, request);
        apply(policy.handle({ type: 'arrived', request }));
        break;
      }
      case 'finish': {
        const id = e.id as string;
        const run = running.get(id);
        running.delete(id);
        if (run) finish({ request: requests.get(id) as InferenceRequest, kind: 'ran', startedAt: run.startedAt, endedAt: now });
        apply(policy.handle({ type: 'finished', request: id }));
        break;
      }
      case 'loaded':
        if (state.get(e.model as string) === 'loading') {
          state.set(e.model as string, 'loaded');
          apply(policy.handle({ type: 'loaded', model: e.model as string }));
        }
        break;
      case 'control': {
        const c = e.control as SchedulerEvent;
        if (c.type === 'pin') {
          if (c.pinned) pinned.add(c.model);
          else pinned.delete(c.model);
        }
        apply(policy.handle(c));
        break;
      }
      case 'wake':
        if (now >= wakeAt) wakeAt = Infinity;
        apply(policy.handle({ type: 'tick' }));
        break;
    }
  }
  const pending = [...requests.keys()].filter((id) => !ended.has(id)).length;
  return { outcomes, loads, violations, pending, endedAt: now };
}

/** A small seeded generator (mulberry32), so that runs repeat. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
