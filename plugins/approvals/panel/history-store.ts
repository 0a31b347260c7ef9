/** Decided approvals, newest first, a page at a time; a decision that arrives live goes on top. */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Approval } from './types.js';

export interface HistoryState {
  approvals: Approval[];
  nextCursor: string | undefined;
  status: 'loading' | 'ready' | 'error';
  loadingMore: boolean;
  error: string | null;
  activeId: string | null;
  pageLoaded(approvals: readonly Approval[], nextCursor: string | undefined, append: boolean): void;
  failed(message: string): void;
  setLoadingMore(on: boolean): void;
  decided(approvals: readonly Approval[]): void;
  setActive(id: string | null): void;
}

export type HistoryStore = StoreApi<HistoryState>;

export function createHistoryStore(): HistoryStore {
  return createStore<HistoryState>()((set) => ({
    approvals: [],
    nextCursor: undefined,
    status: 'loading',
    loadingMore: false,
    error: null,
    activeId: null,
    pageLoaded: (page, nextCursor, append) =>
      set((s) => {
        const seen = new Set(append ? s.approvals.map((a) => a.id) : []);
        const approvals = append ? s.approvals.concat(page.filter((a) => !seen.has(a.id))) : [...page];
        return { approvals, nextCursor, status: 'ready', loadingMore: false, error: null };
      }),
    failed: (message) => set({ status: 'error', loadingMore: false, error: message }),
    setLoadingMore: (on) => set({ loadingMore: on }),
    decided: (incoming) =>
      set((s) => {
        const fresh = incoming.filter((a) => a.status !== 'pending');
        if (!fresh.length) return {};
        const ids = new Set(fresh.map((a) => a.id));
        return { approvals: [...fresh.reverse(), ...s.approvals.filter((a) => !ids.has(a.id))] };
      }),
    setActive: (id) => set({ activeId: id }),
  }));
}
