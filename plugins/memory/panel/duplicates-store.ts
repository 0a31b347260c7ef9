/** Near-duplicate pairs to review: merge one into the other, or keep both (the host clears the mark). */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DuplicatePair } from './types.js';

export const pairKey = (p: DuplicatePair) => `${p.duplicateOf.id}|${p.memory.id}`;

export interface DuplicatesState {
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  pairs: DuplicatePair[];
  /** The pair being merged, by key. */
  busy: Record<string, true>;
  loaded(pairs: DuplicatePair[]): void;
  fail(message: string): void;
  setBusy(key: string, on: boolean): void;
  /** The pair was merged or kept both: it leaves the list. */
  resolved(key: string): void;
}

export type DuplicatesStore = StoreApi<DuplicatesState>;

export function createDuplicatesStore(): DuplicatesStore {
  return createStore<DuplicatesState>()((set) => ({
    status: 'loading',
    error: null,
    pairs: [],
    busy: {},
    loaded: (pairs) => set({ status: 'ready', error: null, pairs }),
    fail: (error) => set((s) => (s.status === 'ready' ? { error } : { status: 'error', error })),
    setBusy: (key, on) =>
      set((s) => {
        const busy = { ...s.busy };
        if (on) busy[key] = true;
        else delete busy[key];
        return { busy };
      }),
    resolved: (key) =>
      set((s) => {
        const busy = { ...s.busy };
        delete busy[key];
        return { pairs: s.pairs.filter((p) => pairKey(p) !== key), busy };
      }),
  }));
}
