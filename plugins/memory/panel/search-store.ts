/**
 * The search view's state: the query and mode, the filters, the rows (search hits with their
 * scores, or, with no query, the newest memories), the active row and the memory open in detail.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { EMPTY_FILTERS, type Memory, type MemoryFilters, type SearchHit, type SearchMode } from './types.js';

export interface SearchRow {
  id: string;
  memory: Memory;
  /** Present for a search hit; absent in the newest-first list. */
  hit?: SearchHit;
}

export interface SearchState {
  query: string;
  mode: SearchMode;
  filters: MemoryFilters;
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  /** `search` when the rows are hits, `list` when they are the newest memories. */
  source: 'search' | 'list';
  rows: SearchRow[];
  nextCursor: string | null;
  loadingMore: boolean;
  vectorPath: string | null;
  model: string | null;
  /** Time filters that could not be read (left out of the request). */
  invalid: string[];
  activeId: string | null;
  /** The memory open in the detail pane. */
  openId: string | null;
  setQuery(query: string): void;
  setMode(mode: SearchMode): void;
  setFilters(change: Partial<MemoryFilters>): void;
  clearFilters(): void;
  loading(): void;
  showHits(hits: SearchHit[], vectorPath: string, model: string | null): void;
  showList(memories: Memory[], nextCursor: string | undefined, append: boolean): void;
  setLoadingMore(on: boolean): void;
  fail(message: string): void;
  setInvalid(fields: string[]): void;
  setActive(id: string | null): void;
  move(delta: 1 | -1): void;
  open(id: string | null): void;
  /** A memory changed in place (pinned, tags): its row shows the new values. */
  patch(memory: Memory): void;
  /** Memories gone (deleted, merged away): their rows leave. */
  remove(ids: readonly string[]): void;
}

export type SearchStore = StoreApi<SearchState>;

export function createSearchStore(): SearchStore {
  return createStore<SearchState>()((set, get) => ({
    query: '',
    mode: 'hybrid',
    filters: EMPTY_FILTERS,
    status: 'loading',
    error: null,
    source: 'list',
    rows: [],
    nextCursor: null,
    loadingMore: false,
    vectorPath: null,
    model: null,
    invalid: [],
    activeId: null,
    openId: null,
    setQuery: (query) => set({ query: query.trim() }),
    setMode: (mode) => set({ mode }),
    setFilters: (change) => set((s) => ({ filters: { ...s.filters, ...change } })),
    clearFilters: () => set({ filters: EMPTY_FILTERS }),
    loading: () => set((s) => ({ status: s.rows.length ? s.status : 'loading', error: null })),
    showHits: (hits, vectorPath, model) =>
      set((s) => {
        const rows = hits.map((hit) => ({ id: hit.memory.id, memory: hit.memory, hit }));
        return { status: 'ready', error: null, source: 'search', rows, nextCursor: null, loadingMore: false, vectorPath, model, activeId: keepActive(s.activeId, rows) };
      }),
    showList: (memories, nextCursor, append) =>
      set((s) => {
        const fresh = memories.map((memory) => ({ id: memory.id, memory }));
        const rows = append ? [...s.rows, ...fresh.filter((r) => !s.rows.some((x) => x.id === r.id))] : fresh;
        return { status: 'ready', error: null, source: 'list', rows, nextCursor: nextCursor ?? null, loadingMore: false, activeId: keepActive(s.activeId, rows) };
      }),
    setLoadingMore: (on) => set({ loadingMore: on }),
    fail: (message) => set({ status: 'error', error: message, loadingMore: false }),
    setInvalid: (invalid) => set((s) => (s.invalid.join() === invalid.join() ? {} : { invalid })),
    setActive: (id) => set({ activeId: id }),
    move: (delta) => {
      const { rows, activeId } = get();
      if (rows.length === 0) return;
      const at = rows.findIndex((r) => r.id === activeId);
      const next = at < 0 ? (delta > 0 ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, at + delta));
      set({ activeId: rows[next]?.id ?? null });
    },
    open: (id) => set(id ? { openId: id, activeId: id } : { openId: null }),
    patch: (memory) => set((s) => ({ rows: s.rows.map((r) => (r.id === memory.id ? { ...r, memory, ...(r.hit ? { hit: { ...r.hit, memory } } : {}) } : r)) })),
    remove: (ids) =>
      set((s) => {
        const gone = new Set(ids);
        return { rows: s.rows.filter((r) => !gone.has(r.id)), ...(s.openId && gone.has(s.openId) ? { openId: null } : {}), ...(s.activeId && gone.has(s.activeId) ? { activeId: null } : {}) };
      }),
  }));
}

function keepActive(activeId: string | null, rows: SearchRow[]): string | null {
  if (activeId && rows.some((r) => r.id === activeId)) return activeId;
  return rows[0]?.id ?? null;
}
