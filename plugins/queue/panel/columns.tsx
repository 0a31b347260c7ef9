// The task table's columns for the kit's DataTable: what each shows and how wide it is (rows have a fixed height, so cells never wrap).
import type { DataTableColumn } from '../../../sdk/panel/index.js';
import { formatAgo, shortId } from './format.js';
import { TaskStateBadge } from './StateBadge.js';
import type { Task } from './types.js';

/** `now` moves relative times ("12s ago", lease countdowns) on. */
export function taskColumns(now: number): DataTableColumn<Task>[] {
  return [
    { id: 'state', header: 'State', size: 128, minSize: 118, cell: (t) => <TaskStateBadge task={t} now={now} /> },
    {
      id: 'id',
      header: 'Task',
      size: 150,
      minSize: 130,
      cell: (t) => (
        <span className="qp-mono" title={t.id}>
          {shortId(t.id)}
        </span>
      ),
    },
    { id: 'queue', header: 'Queue', size: 100, minSize: 70, value: (t) => t.queue },
    { id: 'type', header: 'Type', size: 140, minSize: 90, value: (t) => t.type },
    { id: 'product', header: 'Product', size: 100, minSize: 70, value: (t) => t.tags.product ?? '' },
    { id: 'agent', header: 'Agent', size: 100, minSize: 70, value: (t) => t.tags.agent ?? '' },
    {
      id: 'attempts',
      header: 'Att.',
      size: 52,
      minSize: 44,
      cell: (t) => (
        <span className={t.attempts >= t.maxAttempts ? 'qp-error' : undefined} title="attempts / max attempts">
          {`${t.attempts}/${t.maxAttempts}`}
        </span>
      ),
    },
    { id: 'worker', header: 'Worker', size: 110, minSize: 70, value: (t) => t.worker ?? '' },
    { id: 'updatedAt', header: 'Updated', size: 80, minSize: 64, cell: (t) => <span title={t.updatedAt}>{formatAgo(t.updatedAt, now)}</span> },
    {
      id: 'error',
      header: 'Last error',
      size: 260,
      minSize: 120,
      cell: (t) => (
        <span className="qp-error" title={t.lastError ?? ''}>
          {t.lastError ?? ''}
        </span>
      ),
    },
  ];
}

/** Columns left out while the detail pane takes part of the width. */
export const HIDDEN_WITH_DETAIL = ['product', 'worker'] as const;
