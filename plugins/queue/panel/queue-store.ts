/**
 * The panel's state, one store per panel instance: the filter, the loaded pages of tasks (newest
 * first, indexed by id so an event updates its row in place), selection, queues and chart series.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { EMPTY_FILTER, matchesFilter, type TaskFilter } from './filters.js';
import type { Tally } from './event-batcher.js';
import type { DepthSample, QueueInfo, QueueSeries, Task, TaskPage, ThroughputSample } from './types.js';

const HOUR = 3_600_000;

export interface QueueState {
  filter: TaskFilter;
  /** Bumped on every new filter; pages answered for an older one are dropped. */
  generation: number;
  tasks: Task[];
  index: Map<string, number>;
  nextCursor: string | undefined;
  status: 'loading' | 'ready' | 'error';
  loadingMore: boolean;
  error: string | null;
  /** Loaded rows that an event moved out of the filter: kept in place (dimmed) so rows do not jump. */
  stale: ReadonlySet<string>;
  selectedId: string | null;
  detailId: string | null;
  queues: QueueInfo[] | null;
  queuesAt: number | null;
  products: string[];
  series: QueueSeries | null;

  setFilter(patch: Partial<TaskFilter>): void;
  /** Starts a first page for the current filter; returns its generation. */
  beginLoad(): number;
  pageLoaded(generation: number, page: TaskPage, append: boolean): void;
  pageFailed(generation: number, message: string): void;
  beginLoadMore(): boolean;
  applyTasks(tasks: readonly Task[], tally?: Tally): void;
  select(id: string | null): void;
  moveSelection(delta: number): void;
  openDetail(id: string | null): void;
  /** New counts; they are also the depth chart's newest point (`at` is when they were asked for). */
  setQueues(queues: QueueInfo[], products: string[], at?: number): void;
  setQueuePaused(queue: string, paused: boolean): void;
  setSeries(series: QueueSeries): void;
  addDepthSample(sample: DepthSample): void;
}

export type QueueStore = StoreApi<QueueState>;

function indexOf(tasks: readonly Task[]): Map<string, number> {
  const index = new Map<string, number>();
  for (let i = 0; i < tasks.length; i++) index.set((tasks[i] as Task).id, i);
  return index;
}

/** Merges new tasks into a list sorted newest first (ids sort by time). */
function mergeNewest(tasks: readonly Task[], added: Task[]): Task[] {
  added.sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const out: Task[] = [];
  let i = 0;
  let j = 0;
  while (i < tasks.length || j < added.length) {
    const a = tasks[i];
    const b = added[j];
    if (b && (!a || b.id > a.id)) {
      out.push(b);
      j++;
    } else if (a) {
      out.push(a);
      i++;
    }
  }
  return out;
}

/** Adds live counts to the per-minute series; the window ends at the newest minute seen (no clock needed). */
function addTally(throughput: ThroughputSample[], tally: Tally): ThroughputSample[] {
  const byMinute = new Map(throughput.map((s) => [s.at, { ...s }]));
  for (const [at, n] of tally) {
    const s = byMinute.get(at) ?? { at, enqueued: 0, succeeded: 0, failed: 0, dead: 0 };
    s.enqueued += n.enqueued;
    s.succeeded += n.succeeded;
    s.failed += n.failed;
    s.dead += n.dead;
    byMinute.set(at, s);
  }
  const newest = Math.max(...byMinute.keys());
  return [...byMinute.values()].filter((s) => s.at > newest - HOUR).sort((a, b) => a.at - b.at);
}

function depthFromCounts(queues: readonly QueueInfo[], at: number): DepthSample {
  const sample: DepthSample = { at, ready: 0, scheduled: 0, leased: 0, blocked: 0, failed: 0, dead: 0 };
  for (const q of queues) {
    for (const key of ['ready', 'scheduled', 'leased', 'blocked', 'failed', 'dead'] as const) sample[key] += q.counts[key] ?? 0;
  }
  return sample;
}

export function createQueueStore(initial: Partial<TaskFilter> = {}): QueueStore {
  return createStore<QueueState>()((set, get) => ({
    filter: { ...EMPTY_FILTER, ...initial },
    generation: 0,
    tasks: [],
    index: new Map(),
    nextCursor: undefined,
    status: 'loading',
    loadingMore: false,
    error: null,
    stale: new Set(),
    selectedId: null,
    detailId: null,
    queues: null,
    queuesAt: null,
    products: [],
    series: null,

    setFilter: (patch) => set((s) => ({ filter: { ...s.filter, ...patch } })),

    beginLoad: () => {
      const generation = get().generation + 1;
      set({ generation, status: 'loading', loadingMore: false, error: null });
      return generation;
    },

    pageLoaded: (generation, page, append) => {
      const s = get();
      if (generation !== s.generation) return;
      if (!append) {
        set({ tasks: page.tasks, index: indexOf(page.tasks), nextCursor: page.nextCursor, status: 'ready', loadingMore: false, error: null, stale: new Set() });
        return;
      }
      // Events may already have brought some of these rows in: skip those.
      const fresh = page.tasks.filter((t) => !s.index.has(t.id));
      const tasks = s.tasks.concat(fresh);
      const index = new Map(s.index);
      for (let i = s.tasks.length; i < tasks.length; i++) index.set((tasks[i] as Task).id, i);
      set({ tasks, index, nextCursor: page.nextCursor, loadingMore: false, status: 'ready' });
    },

    pageFailed: (generation, message) => {
      if (generation !== get().generation) return;
      set({ status: 'error', loadingMore: false, error: message });
    },

    beginLoadMore: () => {
      const s = get();
      if (s.loadingMore || s.status !== 'ready' || !s.nextCursor) return false;
      set({ loadingMore: true });
      return true;
    },

    applyTasks: (incoming, tally) => {
      const s = get();
      const patch: Partial<QueueState> = {};
      if (tally && tally.size && s.series) patch.series = { ...s.series, throughput: addTally(s.series.throughput, tally) };
      if (s.status === 'ready') {
        let tasks: Task[] | undefined;
        let stale: Set<string> | undefined;
        const added: Task[] = [];
        const last = s.tasks[s.tasks.length - 1];
        for (const task of incoming) {
          const at = s.index.get(task.id);
          const matches = matchesFilter(task, s.filter);
          if (at !== undefined) {
            const current = (tasks ?? s.tasks)[at] as Task;
            if (current.updatedAt > task.updatedAt) continue;
            tasks ??= s.tasks.slice();
            tasks[at] = task;
            if (matches === s.stale.has(task.id)) {
              stale ??= new Set(s.stale);
              if (matches) stale.delete(task.id);
              else stale.add(task.id);
            }
          } else if (matches && (s.nextCursor === undefined || (last !== undefined && task.id > last.id))) {
            // Inside the loaded range (or everything is loaded): it belongs here now. Older ones come with their page.
            added.push(task);
          }
        }
        if (added.length) {
          tasks = mergeNewest(tasks ?? s.tasks, added);
          patch.index = indexOf(tasks);
        }
        if (tasks) patch.tasks = tasks;
        if (stale) patch.stale = stale;
      }
      if (Object.keys(patch).length) set(patch);
    },

    select: (id) => set({ selectedId: id }),

    moveSelection: (delta) => {
      const s = get();
      if (s.tasks.length === 0) return;
      const at = s.selectedId === null ? -1 : (s.index.get(s.selectedId) ?? -1);
      const next = at < 0 ? (delta > 0 ? 0 : s.tasks.length - 1) : Math.max(0, Math.min(s.tasks.length - 1, at + delta));
      const task = s.tasks[next];
      if (task) set({ selectedId: task.id, detailId: s.detailId === null ? null : task.id });
    },

    openDetail: (id) => set(id === null ? { detailId: null } : { detailId: id, selectedId: id }),

    setQueues: (queues, products, at) => {
      set({ queues, products, queuesAt: at ?? null });
      if (at !== undefined && get().series) get().addDepthSample(depthFromCounts(queues, at));
    },

    setQueuePaused: (queue, paused) =>
      set((s) => ({ queues: s.queues?.map((q) => (q.name === queue ? { ...q, paused } : q)) ?? null })),

    setSeries: (series) => {
      set({ series });
      const { queues, queuesAt } = get();
      if (queues && queuesAt !== null && queuesAt > (series.depth[series.depth.length - 1]?.at ?? 0)) get().addDepthSample(depthFromCounts(queues, queuesAt));
    },

    addDepthSample: (sample) =>
      set((s) => {
        const series = s.series ?? { depth: [], throughput: [] };
        const depth = series.depth.filter((d) => d.at >= sample.at - HOUR && d.at !== sample.at);
        depth.push(sample);
        depth.sort((a, b) => a.at - b.at);
        return { series: { ...series, depth } };
      }),
  }));
}
