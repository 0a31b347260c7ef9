// The live task table: virtualized rows of fixed height, the next page loaded as the operator nears the end.
import { flexRender, getCoreRowModel, useReactTable, type Row } from '@tanstack/react-table';
import { observeElementRect, useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useRef, type ReactNode } from 'react';
import { useStore } from 'zustand';
import { COLUMNS, HIDDEN_WITH_DETAIL, gridTemplate, type TableMeta } from './columns.js';
import { leaseExpired } from './format.js';
import type { QueueStore } from './queue-store.js';
import type { Task } from './types.js';

export const ROW_HEIGHT = 32;
/** Where the scroller has no layout yet (or none at all, as in jsdom), render a screenful anyway. */
const FALLBACK_RECT = { width: 1200, height: 640 };
/** Ask for the next page when this few loaded rows are left below the viewport. */
const PREFETCH_ROWS = 60;

interface RowProps {
  row: Row<Task>;
  task: Task;
  start: number;
  template: string;
  selected: boolean;
  stale: boolean;
  expired: boolean;
  now: number;
  onOpen(id: string): void;
}

const TaskRow = memo(
  function TaskRow({ row, task, start, template, selected, stale, expired, onOpen }: RowProps) {
    const classes = ['qp-row', `qp-row--${task.state}`];
    if (expired) classes.push('qp-row--expired');
    if (selected) classes.push('qp-row--selected');
    if (stale) classes.push('qp-row--stale');
    return (
      <div
        role="row"
        id={`qp-row-${task.id}`}
        aria-selected={selected}
        className={classes.join(' ')}
        data-testid={`queue-row-${task.id}`}
        data-state={task.state}
        data-expired={expired || undefined}
        title={stale ? 'No longer matches the filter (changed since it was loaded)' : undefined}
        style={{ transform: `translateY(${start}px)`, gridTemplateColumns: template }}
        onClick={() => onOpen(task.id)}
      >
        {row.getVisibleCells().map((cell) => (
          <div role="gridcell" key={cell.column.id} className={`qp-cell qp-cell--${cell.column.id}`}>
            {flexRender(cell.column.columnDef.cell, cell.getContext())}
          </div>
        ))}
      </div>
    );
  },
  // The row object is rebuilt whenever any task changes; only this task's own change matters here.
  (a, b) =>
    a.task === b.task && a.start === b.start && a.template === b.template && a.selected === b.selected && a.stale === b.stale && a.expired === b.expired && a.now === b.now && a.onOpen === b.onOpen,
);

export function TaskTable({ store, now, compact, onOpen, onLoadMore, empty }: { store: QueueStore; now: number; compact: boolean; onOpen(id: string): void; onLoadMore(): void; empty: ReactNode }) {
  const tasks = useStore(store, (s) => s.tasks);
  const index = useStore(store, (s) => s.index);
  const stale = useStore(store, (s) => s.stale);
  const selectedId = useStore(store, (s) => s.selectedId);
  const nextCursor = useStore(store, (s) => s.nextCursor);
  const loadingMore = useStore(store, (s) => s.loadingMore);
  const status = useStore(store, (s) => s.status);
  const scroller = useRef<HTMLDivElement>(null);

  const meta: TableMeta = { now };
  const table = useReactTable({
    data: tasks,
    columns: COLUMNS,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (t) => t.id,
    meta,
    state: { columnVisibility: compact ? HIDDEN_WITH_DETAIL : {} },
  });
  const template = gridTemplate(table.getVisibleLeafColumns());
  const rows = table.getRowModel().rows;
  const hasMore = nextCursor !== undefined;

  const virtualizer = useVirtualizer({
    count: rows.length + (hasMore ? 1 : 0),
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    initialRect: FALLBACK_RECT,
    observeElementRect: (instance, onRect) => observeElementRect(instance, (rect) => onRect(rect.height > 0 ? rect : FALLBACK_RECT)),
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    if (hasMore && !loadingMore && status === 'ready' && lastIndex >= rows.length - PREFETCH_ROWS) onLoadMore();
  }, [hasMore, loadingMore, status, lastIndex, rows.length, onLoadMore]);

  const selectedIndex = selectedId === null ? undefined : index.get(selectedId);
  useEffect(() => {
    if (selectedIndex !== undefined) virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [selectedIndex, virtualizer]);

  return (
    <div className="qp-table" role="grid" aria-label="Tasks" aria-rowcount={rows.length} aria-busy={status === 'loading'} data-testid="queue-table" data-rows={rows.length} data-status={status}>
      <div className="qp-thead" role="row" style={{ gridTemplateColumns: template }}>
        {table.getHeaderGroups()[0]?.headers.map((h) => (
          <div role="columnheader" key={h.id} className={`qp-cell qp-cell--${h.column.id}`}>
            {flexRender(h.column.columnDef.header, h.getContext())}
          </div>
        ))}
      </div>
      <div
        ref={scroller}
        className="qp-scroll"
        tabIndex={0}
        aria-activedescendant={selectedId ? `qp-row-${selectedId}` : undefined}
        data-testid="queue-table-scroll"
      >
        {status !== 'loading' && rows.length === 0 ? (
          empty
        ) : (
          <div className="qp-canvas" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const row = rows[item.index];
              if (!row) {
                return (
                  <div key="more" className="qp-row qp-row--more" style={{ transform: `translateY(${item.start}px)` }}>
                    {loadingMore ? 'Loading more tasks…' : 'Scroll for more'}
                  </div>
                );
              }
              const task = row.original;
              return (
                <TaskRow
                  key={task.id}
                  row={row}
                  task={task}
                  start={item.start}
                  template={template}
                  selected={task.id === selectedId}
                  stale={stale.has(task.id)}
                  expired={leaseExpired(task, now)}
                  now={now}
                  onOpen={onOpen}
                />
              );
            })}
          </div>
        )}
        {status === 'loading' && rows.length === 0 && <div className="qp-loading">Loading tasks…</div>}
      </div>
    </div>
  );
}
