// The task table's columns: what each shows and how wide it is (rows have a fixed height, so cells never wrap).
import { createColumnHelper, type Column, type ColumnDef } from '@tanstack/react-table';
import { formatAgo, shortId } from './format.js';
import { TaskStateBadge } from './StateBadge.js';
import type { Task } from './types.js';

/** Read by cells that show times relative to now. */
export interface TableMeta {
  now: number;
}

const col = createColumnHelper<Task>();

function meta(table: { options: { meta?: unknown } }): TableMeta {
  return (table.options.meta as TableMeta | undefined) ?? { now: Date.now() };
}

export const COLUMNS: ColumnDef<Task, unknown>[] = [
  col.accessor('state', {
    header: 'State',
    size: 128,
    minSize: 118,
    cell: ({ row, table }) => <TaskStateBadge task={row.original} now={meta(table).now} />,
  }),
  col.accessor('id', {
    header: 'Task',
    size: 150,
    minSize: 130,
    cell: (c) => (
      <span className="qp-mono" title={c.getValue()}>
        {shortId(c.getValue())}
      </span>
    ),
  }),
  col.accessor('queue', { header: 'Queue', size: 100, minSize: 70 }),
  col.accessor('type', { header: 'Type', size: 140, minSize: 90 }),
  col.accessor((t) => t.tags.product ?? '', { id: 'product', header: 'Product', size: 100, minSize: 70 }),
  col.accessor((t) => t.tags.agent ?? '', { id: 'agent', header: 'Agent', size: 100, minSize: 70 }),
  col.accessor((t) => `${t.attempts}/${t.maxAttempts}`, {
    id: 'attempts',
    header: 'Att.',
    size: 52,
    minSize: 44,
    cell: ({ row, getValue }) => (
      <span className={row.original.attempts >= row.original.maxAttempts ? 'qp-error' : undefined} title="attempts / max attempts">
        {String(getValue())}
      </span>
    ),
  }),
  col.accessor((t) => t.worker ?? '', { id: 'worker', header: 'Worker', size: 110, minSize: 70 }),
  col.accessor('updatedAt', {
    header: 'Updated',
    size: 80,
    minSize: 64,
    cell: ({ row, table }) => <span title={row.original.updatedAt}>{formatAgo(row.original.updatedAt, meta(table).now)}</span>,
  }),
  col.accessor((t) => t.lastError ?? '', {
    id: 'error',
    header: 'Last error',
    size: 260,
    minSize: 120,
    cell: (c) => (
      <span className="qp-error" title={String(c.getValue())}>
        {String(c.getValue())}
      </span>
    ),
  }),
] as ColumnDef<Task, unknown>[];

/** Columns left out while the detail pane takes part of the width. */
export const HIDDEN_WITH_DETAIL = { product: false, worker: false };

/** CSS grid columns: each at least its minimum, sharing the rest in proportion to its preferred width. */
export function gridTemplate(columns: Array<Column<Task, unknown>>): string {
  return columns.map((c) => `minmax(${c.columnDef.minSize ?? 60}px, ${c.getSize()}fr)`).join(' ');
}
