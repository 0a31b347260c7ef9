// The kit's table itself (tanstack table + virtual rows); loaded on demand by DataTable.tsx, so its libraries stay out of the page until a panel renders a table.
import { flexRender, getCoreRowModel, useReactTable, type Column, type ColumnDef, type Row } from '@tanstack/react-table';
import { observeElementRect, useVirtualizer } from '@tanstack/react-virtual';
import { memo, useEffect, useMemo, useRef, type KeyboardEvent } from 'react';
import type { DataAttributes, DataTableColumn, DataTableProps } from '../kit-types.js';
import { dataAttributes } from './data-attributes.js';

export const DEFAULT_ROW_HEIGHT = 32;
/** Where the scroller has no layout yet (or none at all, as in jsdom), render a screenful anyway. */
const FALLBACK_RECT = { width: 1200, height: 640 };
/** Ask for the next page when this few loaded rows are left below the viewport. */
const PREFETCH_ROWS = 60;

function toColumnDefs<R>(columns: DataTableColumn<R>[]): ColumnDef<R, unknown>[] {
  return columns.map((c) => ({
    id: c.id,
    header: () => c.header,
    accessorFn: (row: R) => c.value?.(row),
    cell: ({ row, getValue }) => (c.cell ? c.cell(row.original) : String(getValue() ?? '')),
    size: c.size ?? 100,
    minSize: c.minSize ?? 60,
  }));
}

/** CSS grid columns: each at least its minimum, sharing the rest in proportion to its preferred width. */
function gridTemplate<R>(columns: Array<Column<R, unknown>>): string {
  return columns.map((c) => `minmax(${c.columnDef.minSize ?? 60}px, ${c.getSize()}fr)`).join(' ');
}

function isTyping(target: EventTarget): boolean {
  const el = target as HTMLElement;
  return el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.tagName === 'BUTTON' || el.isContentEditable;
}

interface RowViewProps<R> {
  row: Row<R>;
  original: R;
  id: string;
  domId: string;
  start: number;
  height: number;
  template: string;
  active: boolean;
  ariaSelected: boolean;
  checked: boolean | undefined;
  className: string;
  title: string | undefined;
  data: DataAttributes | undefined;
  dataKey: string;
  testId: string;
  /** When the columns or their visibility change, the cells render again. */
  columnDefs: unknown;
  columnVisibility: unknown;
  onOpen: ((id: string) => void) | undefined;
}

function RowViewImpl<R>({ row, id, domId, start, height, template, active, ariaSelected, checked, className, title, data, testId, onOpen }: RowViewProps<R>) {
  const classes = ['reef-ui-table__row'];
  if (active) classes.push('reef-ui-table__row--active');
  if (checked) classes.push('reef-ui-table__row--checked');
  if (className) classes.push(className);
  return (
    <div
      role="row"
      id={domId}
      aria-selected={ariaSelected}
      className={classes.join(' ')}
      data-testid={testId}
      data-active={active || undefined}
      data-checked={checked}
      title={title}
      style={{ transform: `translateY(${start}px)`, gridTemplateColumns: template, height }}
      onClick={onOpen && (() => onOpen(id))}
      {...dataAttributes(data)}
    >
      {row.getVisibleCells().map((cell) => (
        <div role="gridcell" key={cell.column.id} className={`reef-ui-table__cell reef-ui-table__cell--${cell.column.id}`}>
          {flexRender(cell.column.columnDef.cell, cell.getContext())}
        </div>
      ))}
    </div>
  );
}

// The row object is rebuilt whenever any row changes; only this row's own data (and how it is drawn) matters here.
const RowView = memo(
  RowViewImpl,
  (a, b) =>
    a.original === b.original &&
    a.columnDefs === b.columnDefs &&
    a.columnVisibility === b.columnVisibility &&
    a.start === b.start &&
    a.height === b.height &&
    a.template === b.template &&
    a.active === b.active &&
    a.ariaSelected === b.ariaSelected &&
    a.checked === b.checked &&
    a.className === b.className &&
    a.title === b.title &&
    a.dataKey === b.dataKey &&
    a.testId === b.testId &&
    a.onOpen === b.onOpen,
) as typeof RowViewImpl;

export default function DataTableView<R>(props: DataTableProps<R>) {
  const { testId, label, rows, rowId, columns, hiddenColumns, status = 'ready', activeId, onActiveChange, onOpen, selectedIds, onToggleSelected, cursor, onLoadMore, loadingMore = false, empty } = props;
  const rowHeight = props.rowHeight ?? DEFAULT_ROW_HEIGHT;
  const multiSelect = onToggleSelected !== undefined;
  const scroller = useRef<HTMLDivElement>(null);

  const columnDefs = useMemo(() => toColumnDefs(columns), [columns]);
  const columnVisibility = useMemo(() => Object.fromEntries((hiddenColumns ?? []).map((id) => [id, false])), [hiddenColumns]);
  const table = useReactTable<R>({
    data: rows as R[],
    columns: columnDefs,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (row) => rowId(row),
    state: { columnVisibility },
  });
  const template = gridTemplate(table.getVisibleLeafColumns());
  const tableRows = table.getRowModel().rows;
  const hasMore = cursor !== undefined && cursor !== null;

  const virtualizer = useVirtualizer({
    count: tableRows.length + (hasMore ? 1 : 0),
    getScrollElement: () => scroller.current,
    estimateSize: () => rowHeight,
    overscan: 12,
    initialRect: FALLBACK_RECT,
    observeElementRect: (instance, onRect) => observeElementRect(instance, (rect) => onRect(rect.height > 0 ? rect : FALLBACK_RECT)),
  });
  const items = virtualizer.getVirtualItems();
  const lastIndex = items[items.length - 1]?.index ?? 0;

  useEffect(() => {
    if (hasMore && onLoadMore && !loadingMore && status === 'ready' && lastIndex >= tableRows.length - PREFETCH_ROWS) onLoadMore(cursor);
  }, [hasMore, cursor, onLoadMore, loadingMore, status, lastIndex, tableRows.length]);

  const activeIndex = activeId ? table.getRowModel().rowsById[activeId]?.index : undefined;
  useEffect(() => {
    if (activeIndex !== undefined) virtualizer.scrollToIndex(activeIndex, { align: 'auto' });
  }, [activeIndex, virtualizer]);

  const domId = (id: string) => `${testId}-row-${id}`;

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || isTyping(e.target)) return;
    const step = e.key === 'j' || e.key === 'ArrowDown' ? 1 : e.key === 'k' || e.key === 'ArrowUp' ? -1 : 0;
    if (step !== 0 && onActiveChange && tableRows.length > 0) {
      const next = activeIndex === undefined ? (step > 0 ? 0 : tableRows.length - 1) : Math.max(0, Math.min(tableRows.length - 1, activeIndex + step));
      const row = tableRows[next];
      if (row) onActiveChange(row.id);
    } else if (e.key === 'Enter' && activeId && onOpen) onOpen(activeId);
    else if (e.key === 'x' && activeId && onToggleSelected) onToggleSelected(activeId);
    else return;
    e.preventDefault();
  };

  return (
    <div
      className="reef-ui-table"
      role="grid"
      aria-label={label}
      aria-rowcount={tableRows.length}
      aria-busy={status === 'loading'}
      aria-multiselectable={multiSelect || undefined}
      data-testid={testId}
      data-rows={tableRows.length}
      data-status={status}
      data-selected={multiSelect ? (selectedIds?.size ?? 0) : undefined}
      onKeyDown={onKeyDown}
      {...dataAttributes(props.data)}
    >
      <div className="reef-ui-table__head" role="row" style={{ gridTemplateColumns: template }}>
        {table.getHeaderGroups()[0]?.headers.map((h) => (
          <div role="columnheader" key={h.id} className={`reef-ui-table__cell reef-ui-table__cell--${h.column.id}`}>
            {flexRender(h.column.columnDef.header, h.getContext())}
          </div>
        ))}
      </div>
      <div ref={scroller} className="reef-ui-table__scroll" tabIndex={0} aria-activedescendant={activeId ? domId(activeId) : undefined} data-testid={`${testId}-scroll`}>
        {status !== 'loading' && tableRows.length === 0 ? (
          empty
        ) : (
          <div className="reef-ui-table__canvas" style={{ height: virtualizer.getTotalSize() }}>
            {items.map((item) => {
              const row = tableRows[item.index];
              if (!row) {
                return (
                  <div key="more" className="reef-ui-table__row reef-ui-table__row--more" data-testid={`${testId}-more`} style={{ transform: `translateY(${item.start}px)`, height: rowHeight }}>
                    {loadingMore ? 'Loading more…' : 'Scroll for more'}
                  </div>
                );
              }
              const original = row.original;
              const active = row.id === activeId;
              const checked = multiSelect ? (selectedIds?.has(row.id) ?? false) : undefined;
              const data = props.rowData?.(original);
              return (
                <RowView<R>
                  key={row.id}
                  row={row}
                  original={original}
                  id={row.id}
                  domId={domId(row.id)}
                  start={item.start}
                  height={rowHeight}
                  template={template}
                  active={active}
                  ariaSelected={multiSelect ? checked === true : active}
                  checked={checked}
                  className={props.rowClassName?.(original) ?? ''}
                  title={props.rowTitle?.(original)}
                  data={data}
                  dataKey={data ? JSON.stringify(data) : ''}
                  testId={props.rowTestId?.(original) ?? `${testId}-row-${row.id}`}
                  onOpen={onOpen}
                  columnDefs={columnDefs}
                  columnVisibility={columnVisibility}
                />
              );
            })}
          </div>
        )}
        {status === 'loading' && tableRows.length === 0 && <div className="reef-ui-table__loading">Loading…</div>}
      </div>
    </div>
  );
}
