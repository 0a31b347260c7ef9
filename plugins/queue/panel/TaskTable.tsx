// The live task table: the kit's DataTable fed from the queue store, with the queue's row states and cursor paging.
import { useCallback, useMemo, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { DataTable } from '../../../sdk/panel/index.js';
import { HIDDEN_WITH_DETAIL, taskColumns } from './columns.js';
import { leaseExpired } from './format.js';
import type { QueueStore } from './queue-store.js';
import type { Task } from './types.js';

const taskId = (t: Task) => t.id;
const rowTestId = (t: Task) => `queue-row-${t.id}`;

export function TaskTable({ store, now, compact, onLoadMore, empty }: { store: QueueStore; now: number; compact: boolean; onLoadMore(): void; empty: ReactNode }) {
  const tasks = useStore(store, (s) => s.tasks);
  const stale = useStore(store, (s) => s.stale);
  const selectedId = useStore(store, (s) => s.selectedId);
  const nextCursor = useStore(store, (s) => s.nextCursor);
  const loadingMore = useStore(store, (s) => s.loadingMore);
  const status = useStore(store, (s) => s.status);
  const openDetail = useStore(store, (s) => s.openDetail);
  const select = useStore(store, (s) => s.select);

  const columns = useMemo(() => taskColumns(now), [now]);
  // With the details open, moving through the rows moves the details along.
  const moveTo = useCallback((id: string) => (store.getState().detailId === null ? select(id) : openDetail(id)), [store, select, openDetail]);
  const rowClassName = useCallback(
    (t: Task) => [`qp-row--${t.state}`, leaseExpired(t, now) ? 'qp-row--expired' : '', stale.has(t.id) ? 'qp-row--stale' : ''].filter(Boolean).join(' '),
    [now, stale],
  );
  const rowTitle = useCallback((t: Task) => (stale.has(t.id) ? 'No longer matches the filter (changed since it was loaded)' : undefined), [stale]);
  const rowData = useCallback((t: Task) => ({ state: t.state, expired: leaseExpired(t, now) || undefined }), [now]);

  return (
    <DataTable<Task>
      testId="queue-table"
      label="Tasks"
      rows={tasks}
      rowId={taskId}
      rowTestId={rowTestId}
      columns={columns}
      hiddenColumns={compact ? HIDDEN_WITH_DETAIL : undefined}
      status={status}
      activeId={selectedId}
      onActiveChange={moveTo}
      onOpen={openDetail}
      cursor={nextCursor}
      onLoadMore={onLoadMore}
      loadingMore={loadingMore}
      empty={empty}
      rowClassName={rowClassName}
      rowTitle={rowTitle}
      rowData={rowData}
    />
  );
}
