/**
 * Local inference's state in the panel: the latest status (reply or event, the newer wins), each
 * model's queue depth over time (kept here from the statuses, the host keeps no history of it),
 * and the operator's actions in flight, per model.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { InferenceStatus } from './inference-types.js';

/** The queue chart keeps this long and this many points. */
export const QUEUE_HISTORY_MS = 10 * 60_000;
const MAX_POINTS = 1200;

export interface QueueSeries {
  times: number[];
  /** Queued plus running per model, one value per time (0 before the model was seen). */
  depth: Record<string, number[]>;
}

export type ModelAction = 'load' | 'unload' | 'pin';

export interface Busy {
  action: ModelAction;
  startedAt: number;
}

export interface InferenceState {
  phase: 'loading' | 'ready' | 'error';
  error: string | null;
  status: InferenceStatus | null;
  queues: QueueSeries;
  busy: Record<string, Busy>;
  apply(status: InferenceStatus): void;
  fail(message: string): void;
  setBusy(model: string, busy: Busy | null): void;
}

export type InferenceStore = StoreApi<InferenceState>;

/** `series` with the status's depths appended, trimmed to the history. */
export function appendQueues(series: QueueSeries, status: InferenceStatus): QueueSeries {
  const last = series.times[series.times.length - 1];
  if (last !== undefined && status.at <= last) return series;
  const times = [...series.times, status.at];
  const depth: Record<string, number[]> = {};
  const ids = new Set([...Object.keys(series.depth), ...status.models.map((m) => m.id)]);
  for (const id of ids) {
    const m = status.models.find((x) => x.id === id);
    const before = series.depth[id] ?? new Array<number>(series.times.length).fill(0);
    depth[id] = [...before, m ? m.queued + m.running : 0];
  }
  let from = times.findIndex((t) => t >= status.at - QUEUE_HISTORY_MS);
  from = Math.max(from, times.length - MAX_POINTS, 0);
  if (from === 0) return { times, depth };
  return { times: times.slice(from), depth: Object.fromEntries(Object.entries(depth).map(([id, v]) => [id, v.slice(from)])) };
}

export function createInferenceStore(): InferenceStore {
  return createStore<InferenceState>()((set) => ({
    phase: 'loading',
    error: null,
    status: null,
    queues: { times: [], depth: {} },
    busy: {},
    apply: (status) =>
      set((s) => {
        if (s.status && status.at < s.status.at) return {};
        return { phase: 'ready', error: null, status, queues: appendQueues(s.queues, status) };
      }),
    fail: (message) => set((s) => (s.phase === 'ready' ? { error: message } : { phase: 'error', error: message })),
    setBusy: (model, busy) =>
      set((s) => {
        const next = { ...s.busy };
        if (busy) next[model] = busy;
        else delete next[model];
        return { busy: next };
      }),
  }));
}
