/**
 * Entity merges (the newest first, automatic and the operator's), the one being undone, and the
 * names of entities by id: the host's merges list names both sides, and the graph's nodes add
 * what they meet (a merge made or undone in this window).
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { EntityMerge } from './types.js';

export interface KnownEntity {
  name: string;
  type: string;
}

export interface MergesState {
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  merges: EntityMerge[];
  /** The merge being undone, by id. */
  busy: Record<string, true>;
  /** Entity names by id, as seen in the graph (kept after the graph moves on). */
  names: Record<string, KnownEntity>;
  loaded(merges: EntityMerge[]): void;
  fail(message: string): void;
  setBusy(id: string, on: boolean): void;
  /** The merge as the host now has it (undone): replaced in the list. */
  updated(merge: EntityMerge): void;
  learn(entities: Iterable<{ id: string; name: string; type: string }>): void;
}

export type MergesStore = StoreApi<MergesState>;

export function createMergesStore(): MergesStore {
  return createStore<MergesState>()((set, get) => ({
    status: 'loading',
    error: null,
    merges: [],
    busy: {},
    names: {},
    loaded: (merges) => {
      set({ status: 'ready', error: null, merges });
      get().learn(
        merges.flatMap((m) => [
          ...(m.keptEntity ? [{ id: m.kept, ...m.keptEntity }] : []),
          ...(m.mergedEntity ? [{ id: m.merged, ...m.mergedEntity }] : []),
        ]),
      );
    },
    fail: (error) => set((s) => (s.status === 'ready' ? { error } : { status: 'error', error })),
    setBusy: (id, on) =>
      set((s) => {
        const busy = { ...s.busy };
        if (on) busy[id] = true;
        else delete busy[id];
        return { busy };
      }),
    updated: (merge) => set((s) => ({ merges: s.merges.map((m) => (m.id === merge.id ? merge : m)) })),
    learn: (entities) => {
      const names = get().names;
      let next: Record<string, KnownEntity> | null = null;
      for (const e of entities) {
        const known = names[e.id];
        if (known && known.name === e.name && known.type === e.type) continue;
        next ??= { ...names };
        next[e.id] = { name: e.name, type: e.type };
      }
      if (next) set({ names: next });
    },
  }));
}

/** Why two entities were merged, in words. */
export function mergeReason(m: Pick<EntityMerge, 'reason' | 'similarity'>): string {
  if (m.reason === 'name') return 'same name';
  if (m.reason === 'embedding') return m.similarity === null ? 'similar name' : `similar name (${m.similarity.toFixed(2)})`;
  return 'by the operator';
}

/** An entity id shortened for the list (the prefix and the random tail): the full id goes in its title. */
export function shortId(id: string): string {
  const cut = id.indexOf('_');
  return id.length <= 12 ? id : `${cut > 0 ? id.slice(0, cut + 1) : ''}…${id.slice(-6)}`;
}
