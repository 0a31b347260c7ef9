/**
 * Runs the search view's requests: a search when there is a query, else the newest memories
 * (list, paged); again whenever the query, mode or filters change, and (debounced) when the
 * host says memories changed. A newer request supersedes one still in flight.
 */
import { useCallback, useEffect, useRef } from 'react';
import { useStore } from 'zustand';
import { filterBody } from './format.js';
import { errorText, type MemoryClient } from './memory-client.js';
import type { SearchStore } from './search-store.js';
import { useReloadOnChange } from './use-on-change.js';

export const PAGE = 100;

export function useSearch(client: MemoryClient, store: SearchStore) {
  const query = useStore(store, (s) => s.query);
  const mode = useStore(store, (s) => s.mode);
  const filters = useStore(store, (s) => s.filters);
  const inflight = useRef<AbortController | null>(null);

  const load = useCallback(async () => {
    inflight.current?.abort();
    const ctl = new AbortController();
    inflight.current = ctl;
    const s = store.getState();
    const { body, invalid } = filterBody(s.filters, Date.now());
    s.setInvalid(invalid);
    s.loading();
    try {
      if (s.query) {
        const reply = await client.search(s.query, s.mode, body, 50, ctl.signal);
        if (!ctl.signal.aborted) store.getState().showHits(reply.hits, reply.vectorPath, reply.model);
      } else {
        const reply = await client.list(body, { limit: PAGE }, ctl.signal);
        if (!ctl.signal.aborted) store.getState().showList(reply.memories, reply.nextCursor, false);
      }
    } catch (err) {
      if (!ctl.signal.aborted) store.getState().fail(errorText(err));
    }
  }, [client, store]);

  const loadMore = useCallback(
    async (cursor: string) => {
      const s = store.getState();
      if (s.query || s.loadingMore) return;
      s.setLoadingMore(true);
      const { body } = filterBody(s.filters, Date.now());
      try {
        const reply = await client.list(body, { limit: PAGE, cursor });
        store.getState().showList(reply.memories, reply.nextCursor, true);
      } catch (err) {
        store.getState().setLoadingMore(false);
        client.toast(`Could not load more memories: ${errorText(err)}`, 'error');
      }
    },
    [client, store],
  );

  useEffect(() => {
    void load();
  }, [load, query, mode, filters]);

  useReloadOnChange(client, load);
  // A request still in flight is given up when the view goes.
  useEffect(() => () => inflight.current?.abort(), [client, load]);

  return { reload: load, loadMore };
}
