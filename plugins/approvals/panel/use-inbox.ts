/**
 * Wires the inbox store to the bus: every page of pending approvals for the filter (a few
 * requests, however long the inbox), then the host's approval events, gathered per frame so a
 * burst re-renders once, not once per event. No polling.
 */
import { useCallback, useEffect } from 'react';
import type { ApprovalsClient } from './approvals-client.js';
import { errorMessage } from './format.js';
import type { InboxStore } from './inbox-store.js';
import type { Approval } from './types.js';

/** The host's largest page. */
export const PAGE = 1000;

/** Gathers items between two frames and hands them over once per frame; the latest version of each wins. */
export function frameBatcher<T extends { id: string }>(apply: (items: T[]) => void, schedule: (run: () => void) => void = (run) => requestAnimationFrame(run)) {
  let pending = new Map<string, T>();
  let live = true;
  return {
    push(item: T) {
      if (!live) return;
      if (pending.size === 0) {
        schedule(() => {
          if (!live || pending.size === 0) return;
          const items = [...pending.values()];
          pending = new Map();
          apply(items);
        });
      }
      pending.set(item.id, item);
    },
    dispose() {
      live = false;
      pending.clear();
    },
  };
}

export function useInbox(client: ApprovalsClient, store: InboxStore, frame?: (run: () => void) => void): { reload(): void } {
  const load = useCallback(() => {
    const { filter, beginLoad } = store.getState();
    const generation = beginLoad();
    const page = (cursor: string | undefined, first: boolean): void => {
      client.list(filter, ['pending'], { limit: PAGE, cursor }).then(
        (r) => {
          store.getState().pageLoaded(generation, r.approvals, { first, done: !r.nextCursor });
          if (r.nextCursor && store.getState().generation === generation) page(r.nextCursor, false);
        },
        (err: unknown) => store.getState().loadFailed(generation, errorMessage(err)),
      );
    };
    page(undefined, true);
  }, [client, store]);

  useEffect(() => {
    load();
    return store.subscribe((s, prev) => {
      if (s.filter !== prev.filter) load();
    });
  }, [load, store]);

  useEffect(() => {
    const batcher = frameBatcher<Approval>((items) => store.getState().apply(items), frame);
    const off = client.onApproval((_kind, approval) => batcher.push(approval));
    return () => {
      off();
      batcher.dispose();
    };
  }, [client, store, frame]);

  return { reload: load };
}
