// Agents panel: the fleet as a grid of cards by liveness, filters, pause/drain/resume with a confirmation, and the audit log.
import { useCallback, useMemo, useRef, useState } from 'react';
import { useStore } from 'zustand';
import type { PanelProps } from '../../../sdk/panel/index.js';
import { ConfirmDialog, StatusBadge } from '../../../sdk/panel/index.js';
import { AgentCard, LIVENESS_GLYPH } from './AgentCard.js';
import { useApprovalWaits } from './approval-waits.js';
import { AgentGrid } from './AgentGrid.js';
import { AuditLog } from './AuditLog.js';
import { createSecondClock, type SecondClock } from './clock.js';
import { planControl, type ControlPlan, type ControlRequest } from './controls.js';
import { EmptyState } from './EmptyState.js';
import { createFleetStore, matchesFilter, type FleetStore } from './fleet-store.js';
import { plural } from './format.js';
import type { AgentView, ControlsWithRevision, Liveness } from './types.js';
import { useFleet } from './use-fleet.js';
import './agents.css';

const LIVENESS: Liveness[] = ['online', 'stale', 'offline'];

interface ProductRow {
  name: string;
  total: number;
  online: number;
  paused: boolean;
}

function productRows(agents: readonly AgentView[], controls: ControlsWithRevision): ProductRow[] {
  const rows = new Map<string, ProductRow>();
  const row = (name: string) => {
    let r = rows.get(name);
    if (!r) rows.set(name, (r = { name, total: 0, online: 0, paused: controls.pausedProducts.includes(name) }));
    return r;
  };
  for (const a of agents) {
    if (a.product === undefined) continue;
    const r = row(a.product);
    r.total++;
    if (a.liveness === 'online') r.online++;
  }
  for (const p of controls.pausedProducts) row(p);
  return [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
}

function Filters({ store, products }: { store: FleetStore; products: string[] }) {
  const filter = useStore(store, (s) => s.filter);
  const setFilter = useStore(store, (s) => s.setFilter);
  return (
    <div className="ag-filters" role="search">
      <label className="ag-field">
        <span className="ag-field__label">Liveness</span>
        <select data-testid="agents-filter-liveness" value={filter.liveness} onChange={(e) => setFilter({ liveness: e.target.value as Liveness | '' })}>
          <option value="">any</option>
          {LIVENESS.map((l) => (
            <option key={l} value={l}>
              {l}
            </option>
          ))}
        </select>
      </label>
      <label className="ag-field">
        <span className="ag-field__label">Product</span>
        <select data-testid="agents-filter-product" value={filter.product} onChange={(e) => setFilter({ product: e.target.value })}>
          <option value="">any</option>
          {products.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </label>
      <label className="ag-field ag-field--grow">
        <span className="ag-field__label">Search</span>
        <input
          type="search"
          data-testid="agents-filter-text"
          placeholder="id, model, product or task"
          value={filter.text}
          onChange={(e) => setFilter({ text: e.target.value })}
        />
      </label>
    </div>
  );
}

function Products({ rows, onControl }: { rows: ProductRow[]; onControl(req: ControlRequest): void }) {
  return (
    <section className="ag-section" data-testid="agents-products" aria-label="Products">
      <h3 className="ag-section__title">
        Products <span className="ag-count">{rows.length}</span>
      </h3>
      {rows.length === 0 ? (
        <p className="ag-dim">No agent reports a product.</p>
      ) : (
        <ul className="ag-products">
          {rows.map((p) => (
            <li key={p.name} className="ag-product" data-testid={`agents-product-${p.name}`} data-paused={p.paused}>
              <span className="ag-product__name" title={p.name}>
                {p.name}
              </span>
              <span className="ag-dim ag-product__count" title={`${p.online} of ${p.total} online`}>
                {p.online}/{p.total}
              </span>
              {p.paused && <StatusBadge tone="warn">paused</StatusBadge>}
              <span className="ag-product__actions">
                {p.paused ? (
                  <button type="button" className="ag-button ag-button--small" data-testid={`agents-resume-product-${p.name}`} onClick={() => onControl({ action: 'resume', scope: 'product', name: p.name })}>
                    Resume
                  </button>
                ) : (
                  <button type="button" className="ag-button ag-button--small" data-testid={`agents-pause-product-${p.name}`} onClick={() => onControl({ action: 'pause', scope: 'product', name: p.name })}>
                    Pause
                  </button>
                )}
                <button type="button" className="ag-button ag-button--small" data-testid={`agents-drain-product-${p.name}`} disabled={p.total === 0} onClick={() => onControl({ action: 'drain', scope: 'product', name: p.name })}>
                  Drain
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export default function AgentsPanel({ api }: PanelProps) {
  const [store] = useState(() => createFleetStore());
  const [clock] = useState<SecondClock>(() => createSecondClock());
  const { retry, runControl } = useFleet(api, store);
  const waits = useApprovalWaits(api);
  const openApproval = useCallback((id: string) => api.openPanel('approvals', 'inbox', id), [api]);
  const agentsById = useStore(store, (s) => s.agents);
  const status = useStore(store, (s) => s.status);
  const error = useStore(store, (s) => s.error);
  const controls = useStore(store, (s) => s.controls);
  const audit = useStore(store, (s) => s.audit);
  const filter = useStore(store, (s) => s.filter);

  const agents = useMemo(() => [...agentsById.values()].sort((a, b) => a.id.localeCompare(b.id)), [agentsById]);
  const shown = useMemo(() => agents.filter((a) => matchesFilter(a, filter)), [agents, filter]);
  const counts = useMemo(() => {
    const c: Record<Liveness, number> = { online: 0, stale: 0, offline: 0 };
    for (const a of agents) c[a.liveness]++;
    return c;
  }, [agents]);
  const products = useMemo(() => productRows(agents, controls), [agents, controls]);
  const held = agents.filter((a) => a.control !== 'running').length;
  const anythingHeld = controls.pausedAll || controls.pausedProducts.length > 0 || controls.pausedAgents.length > 0 || controls.drainingAgents.length > 0;

  const [plan, setPlan] = useState<ControlPlan | null>(null);
  const [busy, setBusy] = useState(false);
  const [actionError, setActionError] = useState<string | null>(null);
  // Keyboard users land back on the button that opened the dialog.
  const opener = useRef<HTMLElement | null>(null);
  const close = () => {
    setPlan(null);
    const el = opener.current;
    if (el?.isConnected) requestAnimationFrame(() => el.focus());
  };
  const ask = useCallback(
    (req: ControlRequest) => {
      opener.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
      setActionError(null);
      setPlan(planControl(req, [...store.getState().agents.values()], store.getState().controls));
    },
    [store],
  );
  const confirm = async () => {
    if (!plan) return;
    setBusy(true);
    try {
      await runControl(plan.action, plan.scope, plan.name);
      api.toast(`${plan.title}: done`, 'success');
      close();
    } catch (err) {
      setActionError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="ag" data-testid="agents-panel">
      <header className="ag-head">
        <div>
          <h2 className="ag-head__title">Agents</h2>
          <div className="ag-summary" data-testid="agents-summary">
            {LIVENESS.map((l) => (
              <span key={l} className={`ag-live ag-live--${l}`} data-testid={`agents-count-${l}`} data-count={counts[l]}>
                <span aria-hidden="true">{LIVENESS_GLYPH[l]}</span> {counts[l]} {l}
              </span>
            ))}
            {held > 0 && <span className="ag-dim">· {plural(held, 'agent')} held</span>}
          </div>
        </div>
        <div className="ag-head__actions">
          <button type="button" className="ag-button ag-button--danger-outline" data-testid="agents-pause-all" disabled={controls.pausedAll} onClick={() => ask({ action: 'pause', scope: 'all' })}>
            Pause all
          </button>
          <button type="button" className="ag-button" data-testid="agents-resume-all" disabled={!anythingHeld} onClick={() => ask({ action: 'resume', scope: 'all' })}>
            Resume all
          </button>
        </div>
      </header>

      {controls.pausedAll && (
        <div className="ag-banner" role="status" data-testid="agents-paused-banner">
          <strong>The whole fleet is paused.</strong> No agent gets a new task until you resume; tasks already running go on.
          <button type="button" className="ag-button ag-button--small" onClick={() => ask({ action: 'resume', scope: 'all' })}>
            Resume all
          </button>
        </div>
      )}
      {error && (
        <div className="ag-alert" role="alert" data-testid="agents-error">
          <span>Could not load the agents: {error}</span>
          <button type="button" className="ag-button ag-button--small" onClick={retry}>
            Retry
          </button>
        </div>
      )}

      <div className="ag-layout">
        <div className="ag-main">
          <Filters store={store} products={products.map((p) => p.name)} />
          {status === 'loading' ? (
            <p className="ag-dim">Loading agents…</p>
          ) : agents.length === 0 && status === 'ready' ? (
            <EmptyState api={api} />
          ) : (
            <>
              <div className="ag-shown ag-dim" data-testid="agents-shown" data-count={shown.length}>
                {shown.length === agents.length ? plural(agents.length, 'agent') : `${shown.length} of ${plural(agents.length, 'agent')}`}
              </div>
              <AgentGrid
                agents={shown}
                renderCard={(a) => <AgentCard key={a.id} agent={a} controls={controls} clock={clock} onControl={ask} waiting={waits.get(a.id)} onOpenApproval={openApproval} />}
                empty={<p className="ag-dim">No agent matches these filters.</p>}
              />
            </>
          )}
        </div>
        <aside className="ag-side">
          <Products rows={products} onControl={ask} />
          <AuditLog entries={audit} />
        </aside>
      </div>

      {plan && (
        <ConfirmDialog
          testId="agents-confirm"
          title={`${plan.title}?`}
          count={plan.count}
          noun="agent"
          confirmLabel={plan.confirmLabel}
          tone={plan.action === 'resume' ? 'primary' : 'danger'}
          busy={busy}
          error={actionError}
          onConfirm={() => void confirm()}
          onCancel={close}
          data={{ action: plan.action, scope: plan.scope }}
        >
          <p>{plan.description}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}
