/**
 * Wires the store to the bus: pages of tasks for the current filter, task events batched per
 * frame, queue counts refreshed on events (throttled), chart series, and the operator's actions.
 */
import { useCallback, useEffect, useMemo } from 'react';
import { createTaskBatcher } from './event-batcher.js';
import { errorMessage } from './format.js';
import type { QueueClient } from './queue-client.js';
import type { QueueStore } from './queue-store.js';
import type { Task } from './types.js';

/** Small enough to paint fast, big enough to fill a tall screen. */
export const FIRST_PAGE = 100;
export const NEXT_PAGE = 500;
/** Queue counts change with every transition: look again at most this often. */
export const COUNTS_EVERY_MS = 2000;

export interface QueueController {
  loadMore(): void;
  reload(): void;
  setPaused(queue: string, paused: boolean): Promise<void>;
  runTaskAction(action: 'retry' | 'cancel', id: string): Promise<void>;
}

export function useQueueController(client: QueueClient, store: QueueStore, frame?: (run: () => void) => void): QueueController {
  const loadFirst = useCallback(() => {
    const { filter, beginLoad } = store.getState();
    const generation = beginLoad();
    client.listTasks(filter, { limit: FIRST_PAGE }).then(
      (page) => store.getState().pageLoaded(generation, page, false),
      (err: unknown) => store.getState().pageFailed(generation, errorMessage(err)),
    );
  }, [client, store]);

  // A new filter starts over at the newest task.
  useEffect(() => {
    loadFirst();
    return store.subscribe((s, prev) => {
      if (s.filter !== prev.filter) loadFirst();
    });
  }, [loadFirst, store]);

  const loadMore = useCallback(() => {
    const s = store.getState();
    if (!s.beginLoadMore()) return;
    const generation = s.generation;
    client.listTasks(s.filter, { limit: NEXT_PAGE, cursor: s.nextCursor }).then(
      (page) => store.getState().pageLoaded(generation, page, true),
      (err: unknown) => {
        store.getState().pageFailed(generation, errorMessage(err));
        client.toast(`Could not load more tasks: ${errorMessage(err)}`, 'error');
      },
    );
  }, [client, store]);

  const refreshQueues = useCallback(() => {
    const at = Date.now();
    client.queues().then(
      (list) => store.getState().setQueues(list.queues, list.products.map((p) => p.name), at),
      (err: unknown) => client.toast(`Could not load the queues: ${errorMessage(err)}`, 'error'),
    );
  }, [client, store]);

  // Counts: at once, then again after events, at most every COUNTS_EVERY_MS.
  const countsSoon = useMemo(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const fn = () => {
      if (timer) return;
      const wait = Math.max(0, last + COUNTS_EVERY_MS - Date.now());
      timer = setTimeout(() => {
        timer = undefined;
        last = Date.now();
        refreshQueues();
      }, wait);
    };
    fn.cancel = () => timer && clearTimeout(timer);
    return fn;
  }, [refreshQueues]);

  useEffect(() => {
    refreshQueues();
    client.series().then(
      (series) => store.getState().setSeries(series),
      (err: unknown) => client.toast(`Could not load the queue charts: ${errorMessage(err)}`, 'error'),
    );
    const batcher = createTaskBatcher((tasks: Task[], tally) => store.getState().applyTasks(tasks, tally), frame);
    const offTask = client.onTask((task) => {
      batcher.push(task);
      countsSoon();
    });
    const offQueue = client.onQueue((event) => {
      if (event.kind === 'depth') store.getState().addDepthSample(event.sample);
      else if (event.kind === 'paused' || event.kind === 'resumed') store.getState().setQueuePaused(event.queue, event.kind === 'paused');
      countsSoon();
    });
    return () => {
      offTask();
      offQueue();
      batcher.dispose();
      countsSoon.cancel();
    };
  }, [client, store, refreshQueues, countsSoon, frame]);

  const setPaused = useCallback(
    async (queue: string, paused: boolean) => {
      try {
        await client.setPaused(queue, paused);
        store.getState().setQueuePaused(queue, paused);
        client.toast(`Queue ${queue} ${paused ? 'paused: no task of it is handed out until you resume it' : 'resumed'}`, 'success');
      } catch (err) {
        client.toast(`Could not ${paused ? 'pause' : 'resume'} ${queue}: ${errorMessage(err)}`, 'error');
      }
    },
    [client, store],
  );

  const runTaskAction = useCallback(
    async (action: 'retry' | 'cancel', id: string) => {
      try {
        const { task } = await (action === 'retry' ? client.retry(id) : client.cancel(id));
        store.getState().applyTasks([task]);
        client.toast(action === 'retry' ? `Task ${id} is ${task.state} again` : `Task ${id} cancelled`, 'success');
      } catch (err) {
        client.toast(`Could not ${action} ${id}: ${errorMessage(err)}`, 'error');
      }
    },
    [client, store],
  );

  return { loadMore, reload: loadFirst, setPaused, runTaskAction };
}
