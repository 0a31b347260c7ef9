/** The overview's state: the host's memory statistics over a window of days. */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { MemoryStats } from './types.js';

export interface OverviewState {
  days: number;
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  stats: MemoryStats | null;
  setDays(days: number): void;
  loaded(stats: MemoryStats): void;
  fail(message: string): void;
}

export type OverviewStore = StoreApi<OverviewState>;

export function createOverviewStore(): OverviewStore {
  return createStore<OverviewState>()((set) => ({
    days: 30,
    status: 'loading',
    error: null,
    stats: null,
    setDays: (days) => set({ days }),
    loaded: (stats) => set({ status: 'ready', error: null, stats }),
    fail: (error) => set((s) => (s.stats ? { error } : { status: 'error', error })),
  }));
}

/** Growth as chart columns: one time per day in the window (UTC midnights), one series per agent (0 where none was recorded). */
export function growthSeries(growth: MemoryStats['growth'], days: number, now: number): { times: number[]; series: Array<{ label: string; values: number[] }> } {
  const DAY = 86_400_000;
  const today = Math.floor(now / DAY) * DAY;
  const first = Math.min(today - (days - 1) * DAY, ...growth.map((g) => g.day));
  const times: number[] = [];
  for (let t = first; t <= today; t += DAY) times.push(t);
  const agents = [...new Set(growth.map((g) => g.agent))].sort();
  const index = new Map(times.map((t, i) => [t, i]));
  const series = agents.map((agent) => {
    const values = new Array<number>(times.length).fill(0);
    for (const g of growth) {
      const i = index.get(Math.floor(g.day / DAY) * DAY);
      if (g.agent === agent && i !== undefined) values[i] = (values[i] ?? 0) + g.count;
    }
    return { label: agent, values };
  });
  return { times, series };
}
