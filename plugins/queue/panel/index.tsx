// Tasks panel: the live, virtualized task table with filters, bulk actions, per-queue pause, charts and task details.
import { useCallback, useEffect, useState, type KeyboardEvent } from 'react';
import { useStore } from 'zustand';
import type { PanelProps } from '../../../sdk/panel/index.js';
import { EmptyState, KeyHints, type KeyHint } from '../../../sdk/panel/index.js';
import { BulkConfirmDialog } from './BulkConfirmDialog.js';
import { FilterBar } from './FilterBar.js';
import { isFiltered, totalFromCounts, EMPTY_FILTER } from './filters.js';
import { formatCount } from './format.js';
import { QueueCharts } from './QueueCharts.js';
import { QueueClient } from './queue-client.js';
import { createQueueStore, type QueueStore } from './queue-store.js';
import { QueueStrip } from './QueueStrip.js';
import { TaskDetail } from './TaskDetail.js';
import { TaskTable } from './TaskTable.js';
import { useBulkAction } from './use-bulk-action.js';
import { useQueueController } from './use-queue-controller.js';
import './queue.css';

const KEY_HINTS: KeyHint[] = [
  { keys: ['j', 'k'], label: 'move' },
  { keys: ['Enter'], label: 'opens' },
  { keys: ['Esc'], label: 'closes' },
];

/** Relative times ("12s ago", lease countdowns) move on with this clock. */
function useNow(everyMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

function isTyping(target: EventTarget): boolean {
  const el = target as HTMLElement;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable;
}

function Total({ store }: { store: QueueStore }) {
  const filter = useStore(store, (s) => s.filter);
  const queues = useStore(store, (s) => s.queues);
  const loaded = useStore(store, (s) => s.tasks.length);
  const more = useStore(store, (s) => s.nextCursor !== undefined);
  const total = queues ? totalFromCounts(filter, queues) : undefined;
  return (
    <span className="qp-total" data-testid="queue-total" data-total={total ?? ''} data-loaded={loaded}>
      {total !== undefined ? (
        <>
          <strong>{formatCount(total)}</strong> task{total === 1 ? '' : 's'}
          {isFiltered(filter) ? ' match' : ''}
          <span className="qp-dim"> · {formatCount(loaded)} loaded</span>
        </>
      ) : (
        <>
          <strong>
            {formatCount(loaded)}
            {more ? '+' : ''}
          </strong>{' '}
          matching tasks loaded{more ? ' — scroll for more' : ''}
        </>
      )}
    </span>
  );
}

function QueueEmpty({ store }: { store: QueueStore }) {
  const filter = useStore(store, (s) => s.filter);
  const setFilter = useStore(store, (s) => s.setFilter);
  if (isFiltered(filter)) {
    return (
      <div className="qp-empty">
        <EmptyState testId="queue-empty" title="No tasks match these filters.">
          <p className="qp-dim">New matching tasks appear here as they arrive.</p>
          <button type="button" className="qp-button" data-testid="queue-empty-clear" onClick={() => setFilter(EMPTY_FILTER)}>
            Clear filters
          </button>
        </EmptyState>
      </div>
    );
  }
  return (
    <div className="qp-empty">
      <EmptyState testId="queue-empty" title="No tasks yet — agents enqueue with POST /v1/tasks.">
      <pre className="qp-pre qp-empty__example">{`curl -X POST "$REEF_URL/v1/tasks" \\
  -H "authorization: Bearer $REEF_TOKEN" -H "content-type: application/json" \\
  -d '{"queue":"default","type":"build","payload":{"repo":"acme"},"tags":{"product":"acme","agent":"builder"}}'`}</pre>
      <p className="qp-dim">Tasks show up here the moment they are enqueued; workers take them with POST /v1/tasks/claim.</p>
      </EmptyState>
    </div>
  );
}

export default function QueuePanel({ api, target }: PanelProps) {
  const [client] = useState(() => new QueueClient(api));
  const [store] = useState(() => createQueueStore());
  const controller = useQueueController(client, store);
  const bulk = useBulkAction(client);
  const now = useNow(5000);

  const status = useStore(store, (s) => s.status);
  const error = useStore(store, (s) => s.error);
  const detailId = useStore(store, (s) => s.detailId);
  const detailTask = useStore(store, (s) => (s.detailId === null ? undefined : s.tasks[s.index.get(s.detailId) ?? -1]));
  const openDetail = useStore(store, (s) => s.openDetail);
  const setFilter = useStore(store, (s) => s.setFilter);

  // Opened on a task (a link from an approval it is blocked by): its details.
  useEffect(() => {
    if (!target) return;
    client.history(target).then(
      (h) => {
        store.getState().applyTasks([h.task]);
        store.getState().openDetail(h.task.id);
      },
      () => client.toast(`No task ${target}`, 'error'),
    );
  }, [client, store, target]);
  const openApproval = useCallback((id: string) => api.openPanel('approvals', 'inbox', id), [api]);

  // The table answers j/k/Enter itself; Esc closes the details from anywhere in the panel.
  const onKeyDown = useCallback(
    (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.key !== 'Escape' || isTyping(e.target) || bulk.confirmation || store.getState().detailId === null) return;
      store.getState().openDetail(null);
      e.preventDefault();
    },
    [store, bulk.confirmation],
  );

  return (
    <div className="qp" onKeyDown={onKeyDown}>
      <header className="qp-head">
        <div>
          <h2 className="qp-head__title">Tasks</h2>
          <KeyHints lead="Live from the queue." hints={KEY_HINTS} />
        </div>
        <Total store={store} />
      </header>

      <div className="qp-top">
        <QueueStrip store={store} onPause={controller.setPaused} onPick={(queue) => setFilter({ queue })} />
        <QueueCharts store={store} />
      </div>

      <FilterBar store={store} onBulk={(action) => bulk.start(action, store.getState().filter)} />

      {status === 'error' && error && (
        <div className="qp-alert" role="alert" data-testid="queue-error">
          <span>Could not load tasks: {error}</span>
          <button type="button" className="qp-button" data-testid="queue-reload" onClick={controller.reload}>
            Try again
          </button>
        </div>
      )}

      <div className={`qp-main${detailId ? ' qp-main--detail' : ''}`}>
        <TaskTable store={store} now={now} compact={detailId !== null} onLoadMore={controller.loadMore} empty={<QueueEmpty store={store} />} />
        {detailId && detailTask && (
          <TaskDetail key={detailTask.id} task={detailTask} client={client} now={now} onClose={() => openDetail(null)} onAction={controller.runTaskAction} onOpenApproval={openApproval} />
        )}
      </div>

      {bulk.confirmation && <BulkConfirmDialog confirmation={bulk.confirmation} onConfirm={bulk.confirm} onCancel={bulk.dismiss} />}
    </div>
  );
}
