// The swap log, newest first: when, which model was loaded and which evicted, why (in words),
// whose requests caused it, and how long the load took or why it failed.
import { DataTable, EmptyState, StatusBadge, type DataTableColumn } from '../../../sdk/panel/index.js';
import { NONE } from './format.js';
import { agentsLine, formatMs, formatTime, SWAP_REASON } from './inference-format.js';
import type { SwapRecord } from './inference-types.js';

const ROW_HEIGHT = 30;
const swapId = (s: SwapRecord) => `${s.at}-${s.model}`;

const COLUMNS: DataTableColumn<SwapRecord>[] = [
  { id: 'at', header: 'Time', value: (s) => formatTime(s.at), size: 50, minSize: 76 },
  { id: 'model', header: 'Loaded', cell: (s) => <span className="gp-strong">{s.model}</span>, size: 100, minSize: 100 },
  { id: 'evicted', header: 'Evicted', value: (s) => (s.evicted.length ? s.evicted.join(', ') : NONE), size: 100, minSize: 90 },
  { id: 'reason', header: 'Why', cell: (s) => <span title={SWAP_REASON[s.reason] ?? s.reason}>{SWAP_REASON[s.reason] ?? s.reason}</span>, size: 220, minSize: 200 },
  {
    id: 'agents',
    header: 'For',
    cell: (s) => (
      <span title={`${s.requests} request${s.requests === 1 ? '' : 's'}`}>
        {agentsLine(s.agents)}
        {s.requests > 0 && <span className="gp-dim"> · {s.requests} req</span>}
      </span>
    ),
    size: 140,
    minSize: 120,
  },
  {
    id: 'load',
    header: 'Load',
    cell: (s) =>
      s.error !== undefined ? (
        <StatusBadge tone="error" glyph="✕" data={{ error: true }}>
          <span title={s.error}>failed: {s.error}</span>
        </StatusBadge>
      ) : s.loadMs === undefined ? (
        <span className="gp-dim">loading…</span>
      ) : (
        formatMs(s.loadMs)
      ),
    size: 110,
    minSize: 90,
  },
];

export function SwapLog({ swaps }: { swaps: SwapRecord[] }) {
  if (swaps.length === 0) {
    return (
      <EmptyState testId="gpu-swaps-empty" title="No swaps yet">
        <p className="gp-dim">Each model load appears here: what it evicted, why, for whose requests, and how long it took.</p>
      </EmptyState>
    );
  }
  return (
    <div className="gp-table" style={{ height: Math.min(8, swaps.length + 1) * ROW_HEIGHT + 8 }}>
      <DataTable
        testId="gpu-swaps"
        label="Swap log, newest first"
        rows={swaps}
        rowId={swapId}
        columns={COLUMNS}
        rowHeight={ROW_HEIGHT}
        rowData={(s) => ({ model: s.model, reason: s.reason, failed: s.error !== undefined })}
        rowTitle={(s) => (s.error !== undefined ? s.error : undefined)}
      />
    </div>
  );
}
