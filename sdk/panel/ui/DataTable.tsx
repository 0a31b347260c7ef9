// The kit's DataTable as every panel sees it: a lazy wrapper, so tanstack table and virtual load only when a panel renders a table.
import { lazy, Suspense, type ComponentType, type ReactElement } from 'react';
import type { DataTableProps } from '../kit-types.js';

const DataTableView = lazy(() => import('./DataTableView.js')) as unknown as ComponentType<DataTableProps<unknown>>;

export function DataTable<Row>(props: DataTableProps<Row>): ReactElement {
  const fallback = (
    <div className="reef-ui-table" role="grid" aria-label={props.label} aria-busy="true">
      <div className="reef-ui-table__loading">Loading…</div>
    </div>
  );
  return (
    <Suspense fallback={fallback}>
      <DataTableView {...(props as DataTableProps<unknown>)} />
    </Suspense>
  );
}
