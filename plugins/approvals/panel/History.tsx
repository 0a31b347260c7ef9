// Decided requests, newest first: what was decided, by whom (the operator, the rule, the grant or the
// clock), with the comment; the chosen one in full beside the table.
import { useCallback, useEffect, useMemo } from 'react';
import { useStore } from 'zustand';
import { DataTable, EmptyState, StatusBadge, type DataTableColumn } from '../../../sdk/panel/index.js';
import type { ApprovalsClient } from './approvals-client.js';
import { ApprovalDetail, DecidedBy } from './ApprovalDetail.js';
import { errorMessage, formatUsd, STATUS_GLYPH, STATUS_TONE } from './format.js';
import type { HistoryStore } from './history-store.js';
import { DECIDED, type Approval } from './types.js';

const PAGE = 200;

const columns: DataTableColumn<Approval>[] = [
  {
    id: 'status',
    header: 'Outcome',
    size: 112,
    minSize: 90,
    cell: (a) => (
      <StatusBadge tone={STATUS_TONE[a.status]} glyph={STATUS_GLYPH[a.status]}>
        {a.decision === 'edit' ? 'edited' : a.status}
      </StatusBadge>
    ),
  },
  { id: 'by', header: 'Decided by', size: 180, minSize: 100, cell: (a) => <DecidedBy approval={a} /> },
  { id: 'title', header: 'Request', size: 300, minSize: 160, cell: (a) => <span title={a.summary ?? a.title}>{a.title}</span> },
  { id: 'kind', header: 'Kind', size: 70, minSize: 60, value: (a) => a.kind },
  { id: 'agent', header: 'Agent', size: 100, minSize: 70, value: (a) => a.agent },
  { id: 'amount', header: 'Amount', size: 80, minSize: 64, value: (a) => formatUsd(a.amountUsd) },
  { id: 'when', header: 'Decided', size: 150, minSize: 110, value: (a) => (a.decidedAt ? new Date(a.decidedAt).toLocaleString([], { hour12: false }) : '') },
  { id: 'comment', header: 'Comment', size: 200, minSize: 80, value: (a) => a.comment ?? a.response ?? '' },
];

export function History({ client, store, onOpenTask }: { client: ApprovalsClient; store: HistoryStore; onOpenTask(taskId: string): void }) {
  const approvals = useStore(store, (s) => s.approvals);
  const status = useStore(store, (s) => s.status);
  const error = useStore(store, (s) => s.error);
  const nextCursor = useStore(store, (s) => s.nextCursor);
  const loadingMore = useStore(store, (s) => s.loadingMore);
  const activeId = useStore(store, (s) => s.activeId);
  const active = useMemo(() => approvals.find((a) => a.id === activeId), [approvals, activeId]);

  useEffect(() => {
    client.list({}, DECIDED, { limit: PAGE }).then(
      (r) => store.getState().pageLoaded(r.approvals, r.nextCursor, false),
      (err: unknown) => store.getState().failed(errorMessage(err)),
    );
    return client.onApproval((kind, a) => {
      if (kind !== 'requested' || a.status !== 'pending') store.getState().decided([a]);
    });
  }, [client, store]);

  const loadMore = useCallback(
    (cursor: string) => {
      store.getState().setLoadingMore(true);
      client.list({}, DECIDED, { limit: PAGE, cursor }).then(
        (r) => store.getState().pageLoaded(r.approvals, r.nextCursor, true),
        (err: unknown) => store.getState().failed(errorMessage(err)),
      );
    },
    [client, store],
  );
  const setActive = useCallback((id: string) => store.getState().setActive(id), [store]);

  return (
    <div className={`apv-main${active ? ' apv-main--detail' : ''}`} data-testid="approvals-history">
      {error && <p className="reef-ui-error">{error}</p>}
      <DataTable<Approval>
        testId="approvals-history-table"
        label="Decided approvals"
        rows={approvals}
        rowId={(a) => a.id}
        columns={columns}
        hiddenColumns={active ? ['kind', 'amount', 'comment'] : undefined}
        status={status}
        activeId={activeId}
        onActiveChange={setActive}
        onOpen={setActive}
        cursor={nextCursor ?? null}
        onLoadMore={loadMore}
        loadingMore={loadingMore}
        rowData={(a) => ({ status: a.status, by: a.decidedBy })}
        empty={<EmptyState title="Nothing decided yet." />}
      />
      {active && <ApprovalDetail approval={active} busy={false} onApprove={() => undefined} onPrompt={() => undefined} onOpenTask={onOpenTask} />}
    </div>
  );
}
