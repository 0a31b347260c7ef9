// Every model in the models directory: its state, memory share of the budget, queue, waits and
// speed, with Load / Unload and Pin / Unpin (a bar while a load runs); the budget's memory bar.
import { useEffect, useMemo, useState } from 'react';
import { DataTable, StatusBadge, type DataTableColumn, type Tone } from '../../../sdk/panel/index.js';
import { NONE } from './format.js';
import { formatBytes, formatMs, formatParameters, formatRate } from './inference-format.js';
import type { Busy } from './inference-store.js';
import type { InferenceStatus, ModelStatus } from './inference-types.js';

const ROW_HEIGHT = 34;

const STATE: Record<ModelStatus['state'], { tone: Tone; glyph: string; label: string }> = {
  loaded: { tone: 'ok', glyph: '●', label: 'loaded' },
  loading: { tone: 'warn', glyph: '◐', label: 'loading' },
  unloaded: { tone: 'neutral', glyph: '○', label: 'unloaded' },
};

export interface ModelActions {
  load(model: string): void;
  unload(model: string): void;
  pin(model: string, pinned: boolean): void;
}

/** A load's progress against the host's estimate of its time (never quite full before it ends). */
function LoadProgress({ model, startedAt, estimateMs }: { model: string; startedAt: number | null; estimateMs: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 200);
    return () => clearInterval(timer);
  }, []);
  const value = startedAt !== null && estimateMs > 0 ? Math.min(0.95, (now - startedAt) / estimateMs) : undefined;
  return <progress className="gp-progress" data-testid={`gpu-model-progress-${model}`} aria-label={`Loading ${model}`} max={1} {...(value === undefined ? {} : { value })} />;
}

/** `part` of `whole` as a thin bar with its figure; `dim` for what a model would take, not what it takes. */
export function ShareBar({ part, whole, dim, testId, label }: { part: number; whole: number; dim?: boolean; testId?: string; label: string }) {
  const share = whole > 0 ? Math.min(1, part / whole) : 0;
  const tone = share >= 0.95 ? 'error' : share >= 0.85 ? 'warn' : 'ok';
  return (
    <span className="gp-share" data-testid={testId} title={label} role="img" aria-label={label}>
      <span className={`gp-share__track${dim ? ' gp-share__track--dim' : ''}`}>
        <span className={`gp-share__fill gp-share__fill--${tone}`} style={{ width: `${share * 100}%` }} />
      </span>
      <span className="gp-share__text">{whole <= 0 ? NONE : share > 0 && share < 0.01 ? '< 1 %' : `${Math.round(share * 100)} %`}</span>
    </span>
  );
}

function columns(budget: number, busy: Record<string, Busy>, actions: ModelActions): DataTableColumn<ModelStatus>[] {
  return [
    {
      id: 'model',
      header: 'Model',
      cell: (m) => (
        <span className="gp-model" title={m.architecture ? `${m.id} · ${m.architecture}` : m.id}>
          <span className="gp-strong">{m.id}</span>
          {m.pinned && (
            <StatusBadge tone="accent" glyph="◆" testId={`gpu-model-pinned-${m.id}`}>
              pinned
            </StatusBadge>
          )}
        </span>
      ),
      size: 170,
      minSize: 140,
    },
    {
      id: 'state',
      header: 'State',
      cell: (m) => {
        const s = busy[m.id]?.action === 'load' && m.state !== 'loaded' ? STATE.loading : STATE[m.state];
        return (
          <StatusBadge tone={s.tone} glyph={s.glyph} testId={`gpu-model-state-${m.id}`} data={{ state: m.state }}>
            {s.label}
          </StatusBadge>
        );
      },
      size: 80,
      minSize: 112,
    },
    {
      id: 'memory',
      header: 'Memory',
      cell: (m) =>
        busy[m.id]?.action === 'load' || m.state === 'loading' ? (
          <LoadProgress model={m.id} startedAt={busy[m.id]?.startedAt ?? null} estimateMs={m.loadMsEstimate} />
        ) : (
          <ShareBar part={m.sizeBytes} whole={budget} dim={m.state !== 'loaded'} testId={`gpu-model-share-${m.id}`} label={`${formatBytes(m.sizeBytes)} of the ${formatBytes(budget)} budget${m.state === 'loaded' ? '' : ' when loaded'}`} />
        ),
      size: 110,
      minSize: 110,
    },
    { id: 'queue', header: 'Queued / running', value: (m) => `${m.queued} / ${m.running}`, size: 80, minSize: 124 },
    { id: 'wait', header: 'Wait p50 / p95', value: (m) => `${formatMs(m.waitP50Ms)} / ${formatMs(m.waitP95Ms)}`, size: 100, minSize: 120 },
    { id: 'speed', header: 'Speed', value: (m) => formatRate(m.tokensPerSecond), size: 80, minSize: 96 },
    {
      id: 'details',
      header: 'Quant · params · size',
      value: (m) => [m.quantization ?? NONE, formatParameters(m.parameters), formatBytes(m.fileBytes ?? m.sizeBytes)].join(' · '),
      size: 150,
      minSize: 180,
    },
    {
      id: 'actions',
      header: 'Actions',
      cell: (m) => {
        const b = busy[m.id];
        const loaded = m.state !== 'unloaded';
        return (
          <span className="gp-actions">
            {loaded ? (
              <button type="button" className="reef-ui-button" data-testid={`gpu-model-unload-${m.id}`} disabled={b !== undefined || m.state === 'loading'} onClick={() => actions.unload(m.id)} title={`Unload ${m.id} (refused while it serves requests)`}>
                {b?.action === 'unload' ? 'Unloading…' : 'Unload'}
              </button>
            ) : (
              <button type="button" className="reef-ui-button reef-ui-button--primary" data-testid={`gpu-model-load-${m.id}`} disabled={b !== undefined} onClick={() => actions.load(m.id)} title={`Load ${m.id} now (evicting idle models if it needs room)`}>
                {b?.action === 'load' ? 'Loading…' : 'Load'}
              </button>
            )}
            <button type="button" className="reef-ui-button" data-testid={`gpu-model-pin-${m.id}`} aria-pressed={m.pinned} disabled={b !== undefined} onClick={() => actions.pin(m.id, !m.pinned)} title={m.pinned ? 'Let the scheduler evict it again' : 'Never evict it for another model'}>
              {m.pinned ? 'Unpin' : 'Pin'}
            </button>
          </span>
        );
      },
      size: 130,
      minSize: 150,
    },
  ];
}

export function ModelsTable({ status, busy, actions }: { status: InferenceStatus; busy: Record<string, Busy>; actions: ModelActions }) {
  const budget = status.memory.budgetBytes;
  const cols = useMemo(() => columns(budget, busy, actions), [budget, busy, actions]);
  const loaded = status.models.filter((m) => m.state === 'loaded').length;
  return (
    <>
      <div className="gp-budget" data-testid="gpu-memory-budget">
        <span className="gp-dim">{status.memory.kind === 'vram' ? 'VRAM budget' : 'RAM budget (CPU inference)'}</span>
        <ShareBar part={status.memory.usedBytes} whole={budget} label={`${formatBytes(status.memory.usedBytes)} of ${formatBytes(budget)} in use`} />
        <span>
          {formatBytes(status.memory.usedBytes)} / {formatBytes(budget)} · {loaded} loaded of {status.models.length}
        </span>
      </div>
      <div className="gp-table" style={{ height: Math.min(8, Math.max(2, status.models.length + 1)) * ROW_HEIGHT + 8 }}>
        <DataTable
          testId="gpu-models"
          label="Local models"
          rows={status.models}
          rowId={(m) => m.id}
          columns={cols}
          rowHeight={ROW_HEIGHT}
          rowData={(m) => ({ state: m.state, pinned: m.pinned })}
        />
      </div>
      {status.unreadable.length > 0 && (
        <ul className="gp-unreadable" data-testid="gpu-models-unreadable">
          {status.unreadable.map((u) => (
            <li key={u.id}>
              <span className="gp-mono">{u.id}</span> <span className="gp-error">could not be read: {u.error}</span>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
