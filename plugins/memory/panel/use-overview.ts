/** Loads the memory statistics (the overview, and the agents and products the filters offer); again on a change event, debounced. */
import { useCallback, useEffect } from 'react';
import { useStore } from 'zustand';
import { errorText, type MemoryClient } from './memory-client.js';
import type { OverviewStore } from './overview-store.js';
import { CHANGE_DEBOUNCE_MS, useReloadOnChange } from './use-on-change.js';

export function useOverview(client: MemoryClient, store: OverviewStore) {
  const days = useStore(store, (s) => s.days);
  const load = useCallback(async () => {
    const d = store.getState().days;
    try {
      const stats = await client.stats(d);
      if (store.getState().days === d) store.getState().loaded(stats);
    } catch (err) {
      store.getState().fail(errorText(err));
    }
  }, [client, store]);

  useEffect(() => {
    void load();
  }, [load, days]);

  useReloadOnChange(client, load, CHANGE_DEBOUNCE_MS * 3);
  return { reload: load };
}
