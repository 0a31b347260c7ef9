// Filters (state, queue, type, product, agent, text) and the bulk actions that apply to what they match.
import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { isFiltered, EMPTY_FILTER } from './filters.js';
import { STATE_GLYPH } from './format.js';
import type { QueueStore } from './queue-store.js';
import { TASK_STATES, type BulkAction, type TaskState } from './types.js';

export const TEXT_DEBOUNCE_MS = 250;

/** A text field that commits after the operator pauses typing (or at once on Enter). */
function DebouncedInput({ value, onCommit, testId, placeholder, list, label }: { value: string; onCommit(v: string): void; testId: string; placeholder: string; list?: string; label: string }) {
  const [draft, setDraft] = useState(value);
  const [prevValue, setPrevValue] = useState(value);
  // The committed value changed elsewhere (Clear filters): show it.
  if (value !== prevValue) {
    setPrevValue(value);
    setDraft(value);
  }
  // Re-renders (live counts) must not restart the pause.
  const commit = useRef(onCommit);
  commit.current = onCommit;
  useEffect(() => {
    if (draft === value) return;
    const timer = setTimeout(() => commit.current(draft), TEXT_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [draft, value]);
  return (
    <input
      className="qp-input"
      type="search"
      aria-label={label}
      data-testid={testId}
      placeholder={placeholder}
      value={draft}
      list={list}
      onChange={(e) => setDraft(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') onCommit(draft);
      }}
    />
  );
}

export function FilterBar({ store, onBulk }: { store: QueueStore; onBulk(action: BulkAction): void }) {
  const filter = useStore(store, (s) => s.filter);
  const queues = useStore(store, (s) => s.queues);
  const products = useStore(store, (s) => s.products);
  const setFilter = useStore(store, (s) => s.setFilter);
  const toggle = (state: TaskState) =>
    setFilter({ states: filter.states.includes(state) ? filter.states.filter((x) => x !== state) : [...filter.states, state] });

  return (
    <div className="qp-filters" role="search">
      <div className="qp-chips" role="group" aria-label="State" data-testid="queue-filter-state">
        {TASK_STATES.map((state) => (
          <button
            key={state}
            type="button"
            className={`qp-chip qp-chip--${state}`}
            aria-pressed={filter.states.includes(state)}
            data-testid={`queue-filter-state-${state}`}
            onClick={() => toggle(state)}
          >
            <span aria-hidden="true">{STATE_GLYPH[state]}</span> {state}
          </button>
        ))}
      </div>
      <div className="qp-filters__fields">
        <select className="qp-input" aria-label="Queue" data-testid="queue-filter-queue" value={filter.queue} onChange={(e) => setFilter({ queue: e.target.value })}>
          <option value="">All queues</option>
          {queues?.map((q) => (
            <option key={q.name} value={q.name}>
              {q.name}
            </option>
          ))}
        </select>
        <DebouncedInput label="Type" testId="queue-filter-type" placeholder="type" value={filter.type} onCommit={(type) => setFilter({ type })} />
        <DebouncedInput label="Product" testId="queue-filter-product" placeholder="product" list="qp-products" value={filter.product} onCommit={(product) => setFilter({ product })} />
        <datalist id="qp-products">
          {products.map((p) => (
            <option key={p} value={p} />
          ))}
        </datalist>
        <DebouncedInput label="Agent" testId="queue-filter-agent" placeholder="agent" value={filter.agent} onCommit={(agent) => setFilter({ agent })} />
        <DebouncedInput label="Search" testId="queue-filter-text" placeholder="Search id, type, payload, error…" value={filter.text} onCommit={(text) => setFilter({ text })} />
        {isFiltered(filter) && (
          <button type="button" className="qp-button qp-button--ghost" data-testid="queue-filter-clear" onClick={() => setFilter(EMPTY_FILTER)}>
            Clear
          </button>
        )}
        <span className="qp-filters__spacer" />
        <button type="button" className="qp-button" data-testid="queue-bulk-retry" onClick={() => onBulk('retry')} title="Retry every failed, dead or cancelled task that matches the filter">
          ↻ Retry matching…
        </button>
        <button type="button" className="qp-button qp-button--danger-outline" data-testid="queue-bulk-cancel" onClick={() => onBulk('cancel')} title="Cancel every waiting or running task that matches the filter">
          ✕ Cancel matching…
        </button>
      </div>
    </div>
  );
}
