// The queue's filters (state, queue, type, product, agent, text) on the kit's FilterBar, and the bulk actions that apply to what they match.
import { useStore } from 'zustand';
import { FilterBar as KitFilterBar, type FilterField } from '../../../sdk/panel/index.js';
import { isFiltered, EMPTY_FILTER } from './filters.js';
import { STATE_GLYPH } from './format.js';
import type { QueueStore } from './queue-store.js';
import { TASK_STATES, type BulkAction, type TaskState } from './types.js';

const STATE_CHIPS = TASK_STATES.map((state) => ({ value: state, label: state, glyph: STATE_GLYPH[state], tone: state === 'dead' ? ('error' as const) : undefined }));

export function FilterBar({ store, onBulk }: { store: QueueStore; onBulk(action: BulkAction): void }) {
  const filter = useStore(store, (s) => s.filter);
  const queues = useStore(store, (s) => s.queues);
  const products = useStore(store, (s) => s.products);
  const setFilter = useStore(store, (s) => s.setFilter);

  const fields: FilterField[] = [
    { kind: 'chips', testId: 'queue-filter-state', label: 'State', options: STATE_CHIPS, selected: filter.states, onChange: (states) => setFilter({ states: states as TaskState[] }) },
    { kind: 'select', testId: 'queue-filter-queue', label: 'Queue', allLabel: 'All queues', value: filter.queue, options: (queues ?? []).map((q) => ({ value: q.name })), onChange: (queue) => setFilter({ queue }) },
    { kind: 'text', testId: 'queue-filter-type', label: 'Type', placeholder: 'type', value: filter.type, onChange: (type) => setFilter({ type }) },
    { kind: 'text', testId: 'queue-filter-product', label: 'Product', placeholder: 'product', suggestions: products, value: filter.product, onChange: (product) => setFilter({ product }) },
    { kind: 'text', testId: 'queue-filter-agent', label: 'Agent', placeholder: 'agent', value: filter.agent, onChange: (agent) => setFilter({ agent }) },
    { kind: 'text', testId: 'queue-filter-text', label: 'Search', placeholder: 'Search id, type, payload, error…', wide: true, value: filter.text, onChange: (text) => setFilter({ text }) },
  ];

  return (
    <KitFilterBar testId="queue-filter" fields={fields} onClear={isFiltered(filter) ? () => setFilter(EMPTY_FILTER) : undefined}>
      <button type="button" className="qp-button" data-testid="queue-bulk-retry" onClick={() => onBulk('retry')} title="Retry every failed, dead or cancelled task that matches the filter">
        ↻ Retry matching…
      </button>
      <button type="button" className="qp-button qp-button--danger-outline" data-testid="queue-bulk-cancel" onClick={() => onBulk('cancel')} title="Cancel every waiting or running task that matches the filter">
        ✕ Cancel matching…
      </button>
    </KitFilterBar>
  );
}
