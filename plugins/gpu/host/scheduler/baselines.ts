/**
 * The two policies local runners use today, on the scheduler's events and actions, so that the
 * simulation (bench/swap.ts) can compare them with SwapScheduler under the same workload.
 *  - FcfsPolicy: first come, first served with eviction on demand, as Ollama's scheduler: requests
 *    are taken in arrival order; one for a loaded model joins that model's runner, one for another
 *    model holds every request behind it until its model is loaded (evicting the least recently
 *    used idle model, waiting for one to become idle).
 *  - GroupByModelPolicy: a queue per model; a loaded model keeps serving its queue, and a swap
 *    happens only when a loaded model is idle, to the model with the most queued requests, as
 *    llama-swap's newer router does. No bound on a wait.
 * Neither refuses or falls back: every request waits its turn.
 */
import type { Policy } from './simulation.js';
import type { InferenceRequest, SchedulerAction, SchedulerEvent } from './types.js';

interface Slot {
  size: number;
  concurrency: number;
  state: 'unloaded' | 'loading' | 'loaded';
  queue: string[];
  running: Set<string>;
  lastUsedAt: number;
}

abstract class BaselinePolicy implements Policy {
  protected readonly models = new Map<string, Slot>();
  protected readonly requests = new Map<string, InferenceRequest>();

  constructor(
    protected readonly now: () => number,
    protected readonly memoryBytes: number,
    specs: Array<{ name: string; sizeBytes: number; concurrency?: number }>,
  ) {
    for (const s of specs) this.models.set(s.name, { size: s.sizeBytes, concurrency: s.concurrency ?? 1, state: 'unloaded', queue: [], running: new Set(), lastUsedAt: 0 });
  }

  handle(event: SchedulerEvent): SchedulerAction[] {
    const out: SchedulerAction[] = [];
    if (event.type === 'arrived') {
      this.requests.set(event.request.id, event.request);
      this.arrived(event.request);
    } else if (event.type === 'finished') {
      const r = this.requests.get(event.request);
      const m = r && this.models.get(r.model);
      if (m) {
        m.running.delete(event.request);
        m.lastUsedAt = this.now();
      }
    } else if (event.type === 'loaded') {
      const m = this.models.get(event.model);
      if (m) m.state = 'loaded';
    }
    this.decide(out);
    for (const [name, m] of this.models) {
      if (m.state !== 'loaded') continue;
      while (m.running.size < m.concurrency && m.queue.length > 0) {
        const id = m.queue.shift() as string;
        m.running.add(id);
        m.lastUsedAt = this.now();
        out.push({ type: 'run', request: id, model: name });
      }
    }
    return out;
  }

  nextWakeAt(): number | undefined {
    return undefined;
  }

  protected abstract arrived(r: InferenceRequest): void;
  protected abstract decide(out: SchedulerAction[]): void;

  protected loading(): boolean {
    return [...this.models.values()].some((m) => m.state === 'loading');
  }

  protected idle(m: Slot): boolean {
    return m.running.size === 0 && m.queue.length === 0;
  }

  /** Loads `name` if idle models can be evicted to make room (least recently used first); false otherwise. */
  protected load(name: string, out: SchedulerAction[]): boolean {
    const target = this.models.get(name) as Slot;
    let free = this.memoryBytes - [...this.models.values()].reduce((s, m) => s + (m.state === 'unloaded' ? 0 : m.size), 0);
    const idle = [...this.models.entries()].filter(([n, m]) => n !== name && m.state === 'loaded' && this.idle(m)).sort((a, b) => a[1].lastUsedAt - b[1].lastUsedAt);
    const evict: string[] = [];
    for (const [n, m] of idle) {
      if (free >= target.size) break;
      evict.push(n);
      free += m.size;
    }
    if (free < target.size) return false;
    for (const n of evict) (this.models.get(n) as Slot).state = 'unloaded';
    target.state = 'loading';
    out.push({ type: 'load', model: name, evict, reason: 'fits', for: target.queue.slice(0, 20) });
    return true;
  }
}

export class FcfsPolicy extends BaselinePolicy {
  private readonly pending: string[] = [];

  protected arrived(r: InferenceRequest): void {
    this.pending.push(r.id);
  }

  protected decide(out: SchedulerAction[]): void {
    while (this.pending.length > 0) {
      const r = this.requests.get(this.pending[0] as string) as InferenceRequest;
      const m = this.models.get(r.model) as Slot;
      if (m.state === 'loaded') {
        m.queue.push(this.pending.shift() as string);
        continue;
      }
      // The head needs its model: everything behind it waits for the load.
      if (m.state === 'unloaded' && !this.loading()) this.load(r.model, out);
      return;
    }
  }
}

export class GroupByModelPolicy extends BaselinePolicy {
  protected arrived(r: InferenceRequest): void {
    this.models.get(r.model)?.queue.push(r.id);
  }

  protected decide(out: SchedulerAction[]): void {
    if (this.loading()) return;
    const waiting = [...this.models.entries()].filter(([, m]) => m.state === 'unloaded' && m.queue.length > 0).sort((a, b) => b[1].queue.length - a[1].queue.length);
    for (const [name] of waiting) if (this.load(name, out)) return;
  }
}
