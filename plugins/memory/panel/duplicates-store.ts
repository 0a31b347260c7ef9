/**
 * Near-duplicate pairs to review: merge one into the other, or keep both. The host has no
 * "dismiss" yet, so Keep both hides the pair for this window only (it comes back on reload).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { DuplicatePair } from './types.js';

export const pairKey = (p: DuplicatePair) => `${p.duplicateOf.id}|${p.memory.id}`;

export interface DuplicatesState {
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  pairs: DuplicatePair[];
  /** Pairs kept both in this window. */
  kept: Record<string, true>;
  /** The pair being merged, by key. */
  busy: Record<string, true>;
  loaded(pairs: DuplicatePair[]): void;
  fail(message: string): void;
  keepBoth(key: string): void;
  setBusy(key: string, on: boolean): void;
  /** The pair was merged: it leaves the list. */
  resolved(key: string): void;
}

export type DuplicatesStore = StoreApi<DuplicatesState>;

export function createDuplicatesStore(): DuplicatesStore {
  return createStore<DuplicatesState>()((set) => ({
    status: 'loading',
    error: null,
    pairs: [],
    kept: {},
    busy: {},
    loaded: (pairs) => set({ status: 'ready', error: null, pairs }),
    fail: (error) => set((s) => (s.status === 'ready' ? { error } : { status: 'error', error })),
    keepBoth: (key) => set((s) => ({ kept: { ...s.kept, [key]: true } })),
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
