// The inbox table's columns for the kit's DataTable: a group header row spans the title cell; an item shows what the operator decides on.
import { StatusBadge, type DataTableColumn } from '../../../sdk/panel/index.js';
import { Age, Countdown } from './Countdown.js';
import { formatUsd, RISK_GLYPH, RISK_TONE } from './format.js';
import type { InboxRow } from './inbox-store.js';

/** The risk as a badge; an escalated request (its deadline passed once, nobody answered) says so first, in the error tone. */
export function RiskBadge({ risk, escalated }: { risk: 'low' | 'medium' | 'high'; escalated: boolean }) {
  if (escalated) {
    return (
      <StatusBadge tone="error" glyph="⚑" emphasis>
        escalated · {risk}
      </StatusBadge>
    );
  }
  return (
    <StatusBadge tone={RISK_TONE[risk]} glyph={RISK_GLYPH[risk]} emphasis={risk === 'high'}>
      {risk}
    </StatusBadge>
  );
}

const item = <T,>(render: (a: Extract<InboxRow, { type: 'item' }>['approval']) => T) => (row: InboxRow) => (row.type === 'item' ? render(row.approval) : null);

export function inboxColumns(selected: ReadonlySet<string>): DataTableColumn<InboxRow>[] {
  return [
    {
      id: 'pick',
      header: '',
      size: 26,
      minSize: 26,
      cell: (row) => (row.type === 'item' ? <span aria-label={selected.has(row.id) ? 'selected' : 'not selected'}>{selected.has(row.id) ? '☑' : '☐'}</span> : null),
    },
    {
      id: 'risk',
      header: 'Risk',
      size: 150,
      minSize: 150,
      cell: item((a) => <RiskBadge risk={a.risk} escalated={a.escalatedAt !== undefined} />),
    },
    {
      id: 'title',
      header: 'Request',
      size: 360,
      minSize: 180,
      cell: (row) =>
        row.type === 'group' ? (
          <span className="apv-group">
            {row.label} <span className="apv-count">{row.count}</span>
          </span>
        ) : (
          <span className="apv-title" title={row.approval.summary ?? row.approval.title}>
            <strong>{row.approval.title}</strong>
            {row.approval.summary && <span className="apv-dim"> — {row.approval.summary}</span>}
          </span>
        ),
    },
    { id: 'kind', header: 'Kind', size: 70, minSize: 60, value: (row) => (row.type === 'item' ? row.approval.kind : '') },
    { id: 'agent', header: 'Agent', size: 100, minSize: 70, value: (row) => (row.type === 'item' ? row.approval.agent : '') },
    { id: 'product', header: 'Product', size: 90, minSize: 60, value: (row) => (row.type === 'item' ? (row.approval.product ?? '') : '') },
    { id: 'amount', header: 'Amount', size: 80, minSize: 64, value: (row) => (row.type === 'item' ? formatUsd(row.approval.amountUsd) : '') },
    {
      id: 'blocks',
      header: 'Blocks',
      size: 84,
      minSize: 84,
      cell: item((a) => (a.blocks.length ? <span title={a.blocks.join(', ')}>⊘ {a.blocks.length} task{a.blocks.length === 1 ? '' : 's'}</span> : <span className="apv-dim">—</span>)),
    },
    { id: 'age', header: 'Waiting', size: 72, minSize: 64, cell: item((a) => <Age from={a.createdAt} />) },
    { id: 'expires', header: 'Expires in', size: 84, minSize: 72, cell: item((a) => <Countdown to={a.expiresAt} testId={`approvals-expires-${a.id}`} />) },
  ];
}

/** Left out while the detail pane takes part of the width. */
export const HIDDEN_WITH_DETAIL = ['product', 'kind'] as const;
