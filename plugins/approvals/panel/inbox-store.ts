/**
 * The inbox's state, one store per panel instance: the pending approvals the filter matches (by
 * id, so an event updates or removes one in place), the rows as shown (sorted, grouped), the
 * active row, the selection, and the filter. Decided ones leave; the cursor moves to the next.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { EMPTY_FILTER, type Approval, type GroupBy, type InboxFilter } from './types.js';

export type InboxRow = { type: 'group'; id: string; label: string; count: number } | { type: 'item'; id: string; approval: Approval };

export interface InboxState {
  filter: InboxFilter;
  groupBy: GroupBy;
  /** Bumped on every new filter; pages answered for an older one are dropped. */
  generation: number;
  byId: ReadonlyMap<string, Approval>;
  rows: InboxRow[];
  /** Items only, in the order shown: what j/k walk and batches on the filter count. */
  order: string[];
  status: 'loading' | 'ready' | 'error';
  /** Every page of the filter is loaded (counts are exact). */
  complete: boolean;
  error: string | null;
  activeId: string | null;
  selected: ReadonlySet<string>;

  setFilter(patch: Partial<InboxFilter>): void;
  setGroupBy(groupBy: GroupBy): void;
  beginLoad(): number;
  /** A page for `generation`: the `first` replaces what an older filter left; `done` when it was the last. */
  pageLoaded(generation: number, approvals: readonly Approval[], page: { first: boolean; done: boolean }): void;
  loadFailed(generation: number, message: string): void;
  /** Approvals as they are now (events, decisions): pending ones that match stay or come in, the rest leave. */
  apply(approvals: readonly Approval[]): void;
  setActive(id: string | null): void;
  move(delta: 1 | -1): void;
  toggle(id: string): void;
  clearSelection(): void;
}

export type InboxStore = StoreApi<InboxState>;

export function matchesFilter(a: Approval, f: InboxFilter): boolean {
  if (a.status !== 'pending') return false;
  if (f.kinds.length && !f.kinds.includes(a.kind)) return false;
  if (f.risks.length && !f.risks.includes(a.risk)) return false;
  if (f.agent && a.agent !== f.agent) return false;
  if (f.product && a.product !== f.product) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    return [a.title, a.summary, a.agent, a.product].some((s) => s?.toLowerCase().includes(q));
  }
  return true;
}

export function isFiltered(f: InboxFilter): boolean {
  return f.q !== '' || f.kinds.length > 0 || f.risks.length > 0 || f.agent !== '' || f.product !== '';
}

/** Escalated first, then the nearest deadline, then the oldest. */
export function urgency(a: Approval, b: Approval): number {
  const esc = Number(b.escalatedAt !== undefined) - Number(a.escalatedAt !== undefined);
  if (esc) return esc;
  const exp = Date.parse(a.expiresAt) - Date.parse(b.expiresAt);
  if (exp) return exp;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function groupKey(a: Approval, by: GroupBy): string {
  if (by === 'agent') return a.agent;
  if (by === 'product') return a.product ?? '(no product)';
  if (by === 'kind') return a.kind;
  return '';
}

/** The rows as shown: sorted by urgency; grouped, each group under a header row (most urgent group first). */
export function buildRows(approvals: Iterable<Approval>, by: GroupBy): { rows: InboxRow[]; order: string[] } {
  const sorted = [...approvals].sort(urgency);
  if (by === 'none') return { rows: sorted.map((a) => ({ type: 'item', id: a.id, approval: a })), order: sorted.map((a) => a.id) };
  const groups = new Map<string, Approval[]>();
  for (const a of sorted) {
    const key = groupKey(a, by);
    const list = groups.get(key);
    if (list) list.push(a);
    else groups.set(key, [a]);
  }
  const rows: InboxRow[] = [];
  const order: string[] = [];
  for (const [key, list] of groups) {
    rows.push({ type: 'group', id: `group:${by}:${key}`, label: key, count: list.length });
    for (const a of list) {
      rows.push({ type: 'item', id: a.id, approval: a });
      order.push(a.id);
    }
  }
  return { rows, order };
}

/** Where the cursor goes when `gone` leave: the next one that stays, else the one before. */
function nextActive(order: readonly string[], activeId: string | null, stays: (id: string) => boolean): string | null {
  if (activeId === null) return null;
  const at = order.indexOf(activeId);
  if (at < 0) return null;
  if (stays(activeId)) return activeId;
  for (let i = at + 1; i < order.length; i++) if (stays(order[i] as string)) return order[i] as string;
  for (let i = at - 1; i >= 0; i--) if (stays(order[i] as string)) return order[i] as string;
  return null;
}

export function createInboxStore(initial: Partial<InboxFilter> = {}): InboxStore {
  return createStore<InboxState>()((set, get) => {
    /** Replaces the approvals: rows rebuilt, the cursor kept on a row that is still there, the selection pruned. */
    const settle = (byId: Map<string, Approval>, extra: Partial<InboxState> = {}) => {
      const s = get();
      const groupBy = extra.groupBy ?? s.groupBy;
      const { rows, order } = buildRows(byId.values(), groupBy);
      const activeId = nextActive(s.order, s.activeId, (id) => byId.has(id)) ?? order[0] ?? null;
      let selected = s.selected;
      if ([...selected].some((id) => !byId.has(id))) selected = new Set([...selected].filter((id) => byId.has(id)));
      set({ byId, rows, order, activeId, selected, ...extra });
    };

    return {
      filter: { ...EMPTY_FILTER, ...initial },
      groupBy: 'none',
      generation: 0,
      byId: new Map(),
      rows: [],
      order: [],
      status: 'loading',
      complete: false,
      error: null,
      activeId: null,
      selected: new Set(),

      setFilter: (patch) => set((s) => ({ filter: { ...s.filter, ...patch } })),
      setGroupBy: (groupBy) => settle(new Map(get().byId), { groupBy }),

      beginLoad: () => {
        const generation = get().generation + 1;
        set({ generation, status: 'loading', complete: false, error: null });
        return generation;
      },

      pageLoaded: (generation, approvals, { first, done }) => {
        const s = get();
        if (generation !== s.generation) return;
        const byId = first ? new Map<string, Approval>() : new Map(s.byId);
        for (const a of approvals) if (matchesFilter(a, s.filter)) byId.set(a.id, a);
        settle(byId, { status: 'ready', complete: done });
      },

      loadFailed: (generation, message) => {
        if (generation !== get().generation) return;
        set({ status: 'error', error: message });
      },

      apply: (approvals) => {
        const s = get();
        let byId: Map<string, Approval> | undefined;
        for (const a of approvals) {
          const current = s.byId.get(a.id);
          if (current && current.updatedAt > a.updatedAt) continue;
          const keep = matchesFilter(a, s.filter);
          if (!keep && !current) continue;
          byId ??= new Map(s.byId);
          if (keep) byId.set(a.id, a);
          else byId.delete(a.id);
        }
        if (byId) settle(byId);
      },

      setActive: (id) => set({ activeId: id }),

      move: (delta) => {
        const { order, activeId } = get();
        if (!order.length) return;
        const at = activeId === null ? -1 : order.indexOf(activeId);
        const next = at < 0 ? (delta > 0 ? 0 : order.length - 1) : Math.max(0, Math.min(order.length - 1, at + delta));
        set({ activeId: order[next] ?? null });
      },

      toggle: (id) =>
        set((s) => {
          if (!s.byId.has(id)) return {};
          const selected = new Set(s.selected);
          if (selected.has(id)) selected.delete(id);
          else selected.add(id);
          return { selected };
        }),

      clearSelection: () => set((s) => (s.selected.size ? { selected: new Set() } : {})),
    };
  });
}
