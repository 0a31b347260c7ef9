// The overview: how many memories each agent and product holds (bars), how many were recorded
// per day per agent (a chart), the entity, relation and near-duplicate counts, the embedding
// models in use.
import { useMemo } from 'react';
import { useStore } from 'zustand';
import { Chart, EmptyState, StatCard, StatusBadge } from '../../../sdk/panel/index.js';
import { plural } from './format.js';
import { growthSeries, type OverviewStore } from './overview-store.js';

function Bars({ testId, title, rows }: { testId: string; title: string; rows: Array<{ label: string; count: number; muted?: boolean }> }) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return (
    <section className="mem-card" data-testid={testId}>
      <h3 className="mem-card__title">{title}</h3>
      {rows.length === 0 ? (
        <span className="mem-dim">none yet</span>
      ) : (
        <ul className="mem-bars">
          {rows.map((r) => (
            <li key={r.label} className="mem-bar" data-testid={`${testId}-${r.label}`} data-count={r.count}>
              <span className={`mem-bar__label${r.muted ? ' mem-dim' : ''}`} title={r.label}>
                {r.label}
              </span>
              <span className="mem-bar__track" aria-hidden="true">
                <span className="mem-bar__fill" style={{ width: `${(r.count / max) * 100}%` }} />
              </span>
              <span className="mem-bar__count mem-num">{r.count.toLocaleString('en-US')}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function Overview({ store, onReload }: { store: OverviewStore; onReload(): void }) {
  const status = useStore(store, (s) => s.status);
  const error = useStore(store, (s) => s.error);
  const stats = useStore(store, (s) => s.stats);
  const days = useStore(store, (s) => s.days);
  const growth = useMemo(() => (stats ? growthSeries(stats.growth, days, Date.now()) : { times: [], series: [] }), [stats, days]);

  if (status === 'loading') return <EmptyState testId="memory-overview-loading" variant="card" title="Counting memories…" />;
  if (status === 'error' || !stats) {
    return (
      <div className="mem-alert" role="alert" data-testid="memory-overview-error">
        <span>Could not read the statistics: {error}</span>
        <button type="button" className="reef-ui-button" onClick={onReload}>
          Try again
        </button>
      </div>
    );
  }
  const total = stats.byAgent.reduce((n, a) => n + a.count, 0);
  const recorded = stats.growth.reduce((n, g) => n + g.count, 0);
  return (
    <div className="mem-overview" data-testid="memory-overview">
      <div className="mem-stats">
        <StatCard testId="memory-stat-memories" label="Memories" value={total.toLocaleString('en-US')}>
          <span className="mem-sub">valid now (earlier versions are history)</span>
        </StatCard>
        <StatCard testId="memory-stat-entities" label="Entities" value={stats.entities.toLocaleString('en-US')} />
        <StatCard testId="memory-stat-relations" label="Relations" value={stats.relations.toLocaleString('en-US')} />
        <StatCard testId="memory-stat-duplicates" label="Near-duplicates" value={stats.duplicates.toLocaleString('en-US')} {...(stats.duplicates > 0 ? { tone: 'warn' as const } : {})}>
          <span className="mem-sub">to review</span>
        </StatCard>
      </div>
      <div className="mem-grid">
        <Bars testId="memory-by-agent" title="Per agent" rows={stats.byAgent.map((a) => ({ label: a.agent, count: a.count }))} />
        <Bars testId="memory-by-product" title="Per product" rows={stats.byProduct.map((p) => ({ label: p.product ?? '(no product)', count: p.count, muted: p.product === null }))} />
      </div>
      <section className="mem-card" data-testid="memory-growth">
        <h3 className="mem-card__title">
          Recorded per day, per agent
          <span className="mem-row">
            <span className="mem-sub">{plural(recorded, 'memory', 'memories')} in the window</span>
            <select className="reef-ui-input reef-ui-input--select" aria-label="Window" data-testid="memory-growth-days" value={days} onChange={(e) => store.getState().setDays(Number(e.target.value))}>
              <option value={7}>last 7 days</option>
              <option value={30}>last 30 days</option>
              <option value={90}>last 90 days</option>
              <option value={365}>last year</option>
            </select>
          </span>
        </h3>
        <Chart testId="memory-growth-chart" times={growth.times} series={growth.series} height={180} windowSeconds={days * 86_400} {...(growth.series.length === 0 ? { empty: 'Nothing recorded in this window.' } : {})} />
      </section>
      <section className="mem-card" data-testid="memory-models">
        <h3 className="mem-card__title">Embedding models</h3>
        {stats.models.length === 0 ? (
          <span className="mem-dim">no memories yet</span>
        ) : (
          <ul className="mem-models">
            {stats.models.map((m) => (
              <li key={m.model ?? '(none)'} data-testid={`memory-model-${m.model ?? 'none'}`}>
                {m.model ? (
                  <>
                    <span className="mem-mono">{m.model}</span> <span className="mem-dim">{m.dims ?? '?'} dims</span>
                  </>
                ) : (
                  <StatusBadge tone="neutral">not embedded (text search only)</StatusBadge>
                )}{' '}
                · {plural(m.count, 'memory', 'memories')}
              </li>
            ))}
          </ul>
        )}
        {stats.models.filter((m) => m.model).length > 1 && (
          <p className="mem-notice" data-testid="memory-models-mixed">
            More than one model: a vector search compares only vectors of its own model; re-embed with <code>reef memory reembed --model &lt;name&gt;</code>.
          </p>
        )}
      </section>
    </div>
  );
}
