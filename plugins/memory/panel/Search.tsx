// Search: a query box (Enter searches; hybrid, vector or text), the filters, the results with
// their scores and why each matched (or, with no query, the newest memories), and the open
// memory beside them. Keys: / focuses the box, j/k or the arrows move, Enter opens, Esc closes.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { DataTable, EmptyState, FilterBar, KeyHints, type FilterField, type KeyHint } from '../../../sdk/panel/index.js';
import { HIDDEN_WITH_DETAIL, memoryColumns, SEARCH_ONLY } from './columns.js';
import { Detail } from './Detail.js';
import type { DetailStore } from './detail-store.js';
import { isFiltered, plural } from './format.js';
import type { MemoryClient } from './memory-client.js';
import type { SearchRow, SearchStore } from './search-store.js';
import type { EntityRef, SearchMode } from './types.js';
import { useSearch } from './use-search.js';

const KEYS: KeyHint[] = [
  { keys: ['/'], label: 'search' },
  { keys: ['j', 'k'], label: 'move' },
  { keys: ['Enter'], label: 'open' },
  { keys: ['Esc'], label: 'close' },
];
const rowId = (r: SearchRow) => r.id;
const rowClassName = (r: SearchRow) => (r.memory.supersededBy ? 'mem-row--superseded' : undefined);
const rowData = (r: SearchRow) => ({ why: r.hit?.why, superseded: r.memory.supersededBy !== null || undefined, pinned: r.memory.pinned || undefined });

export function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

function withCurrent(options: string[], current: string): Array<{ value: string }> {
  const all = current && !options.includes(current) ? [...options, current] : options;
  return all.map((value) => ({ value }));
}

function Filters({ store, agents, products }: { store: SearchStore; agents: string[]; products: string[] }) {
  const filters = useStore(store, (s) => s.filters);
  const invalid = useStore(store, (s) => s.invalid);
  const setFilters = useStore(store, (s) => s.setFilters);
  const clear = useStore(store, (s) => s.clearFilters);
  const fields: FilterField[] = [
    {
      kind: 'chips',
      testId: 'memory-filter-history',
      label: 'History',
      options: [{ value: 'superseded', label: 'include superseded', glyph: '↷' }],
      selected: filters.includeSuperseded ? ['superseded'] : [],
      onChange: (v) => setFilters({ includeSuperseded: v.includes('superseded') }),
    },
    { kind: 'select', testId: 'memory-filter-agent', label: 'Agent', allLabel: 'All agents', value: filters.agent, options: withCurrent(agents, filters.agent), onChange: (agent) => setFilters({ agent }) },
    { kind: 'select', testId: 'memory-filter-product', label: 'Product', allLabel: 'All products', value: filters.product, options: withCurrent(products, filters.product), onChange: (product) => setFilters({ product }) },
    { kind: 'text', testId: 'memory-filter-kind', label: 'Kind', placeholder: 'kind', value: filters.kind, suggestions: ['fact', 'preference', 'event', 'instruction'], onChange: (kind) => setFilters({ kind }) },
    { kind: 'text', testId: 'memory-filter-since', label: 'Recorded since', placeholder: 'since (7d, 2026-01-31)', value: filters.since, onChange: (since) => setFilters({ since }) },
    { kind: 'text', testId: 'memory-filter-until', label: 'Recorded until', placeholder: 'until', value: filters.until, onChange: (until) => setFilters({ until }) },
    { kind: 'text', testId: 'memory-filter-asof', label: 'As of', placeholder: 'as of (valid then)', value: filters.asOf, onChange: (asOf) => setFilters({ asOf }) },
  ];
  return (
    <>
      <FilterBar testId="memory-filter" fields={fields} onClear={isFiltered(filters) ? clear : undefined} />
      {invalid.length > 0 && (
        <p className="mem-error" role="alert" data-testid="memory-filter-invalid">
          Could not read {invalid.map((f) => (f === 'asOf' ? 'as of' : f)).join(', ')}: give a date (2026-01-31, 2026-01-31T09:00) or a time ago (30m, 12h, 7d, 2w). Left out for now.
        </p>
      )}
    </>
  );
}

export interface SearchProps {
  client: MemoryClient;
  store: SearchStore;
  detail: DetailStore;
  agents: string[];
  products: string[];
  /** The view is shown (keys answer only then). */
  visible: boolean;
  onOpenEntity(ref: EntityRef): void;
}

export function Search({ client, store, detail, agents, products, visible, onOpenEntity }: SearchProps) {
  const { reload, loadMore } = useSearch(client, store);
  const query = useStore(store, (s) => s.query);
  const mode = useStore(store, (s) => s.mode);
  const rows = useStore(store, (s) => s.rows);
  const status = useStore(store, (s) => s.status);
  const error = useStore(store, (s) => s.error);
  const source = useStore(store, (s) => s.source);
  const cursor = useStore(store, (s) => s.nextCursor);
  const loadingMore = useStore(store, (s) => s.loadingMore);
  const activeId = useStore(store, (s) => s.activeId);
  const openId = useStore(store, (s) => s.openId);
  const vectorPath = useStore(store, (s) => s.vectorPath);
  const model = useStore(store, (s) => s.model);
  const filtered = useStore(store, (s) => isFiltered(s.filters));
  const [draft, setDraft] = useState(query);
  const box = useRef<HTMLInputElement>(null);
  const root = useRef<HTMLDivElement>(null);

  const hidden = useMemo(() => [...(source === 'list' ? SEARCH_ONLY : []), ...(openId ? HIDDEN_WITH_DETAIL : [])], [source, openId]);

  const submit = () => {
    const q = draft.trim();
    if (q === store.getState().query) void reload();
    else store.getState().setQuery(q);
  };

  useEffect(() => {
    if (!visible) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || !root.current?.isConnected) return;
      if (document.querySelector('[role="dialog"]')) return;
      const s = store.getState();
      if (e.key === 'Escape') {
        if (e.target === box.current) box.current?.blur();
        else if (s.openId) s.open(null);
        else return;
        e.preventDefault();
        return;
      }
      if (isTyping(e.target)) return;
      if (e.key === '/') {
        box.current?.focus();
        box.current?.select();
      } else if (e.key === 'j' || e.key === 'ArrowDown') s.move(1);
      else if (e.key === 'k' || e.key === 'ArrowUp') s.move(-1);
      else if (e.key === 'Enter' && s.activeId && (e.target as HTMLElement | null)?.tagName !== 'BUTTON') s.open(s.activeId);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [visible, store]);

  const onActiveChange = useCallback((id: string) => store.getState().setActive(id), [store]);
  const onOpen = useCallback((id: string) => store.getState().open(id), [store]);
  const onLoadMore = useCallback((c: string) => void loadMore(c), [loadMore]);

  const summary =
    status === 'loading'
      ? 'Searching…'
      : source === 'search'
        ? `${plural(rows.length, 'hit')} for “${query}” · ${mode}${model ? ` · ${model}` : ' · no embedding model (text only)'}${vectorPath ? ` · ${vectorPath}` : ''}`
        : `${plural(rows.length, 'memory', 'memories')}${cursor ? '+' : ''}, newest first`;

  return (
    <div className="mem-search" ref={root} data-testid="memory-search" data-status={status} data-source={source}>
      <div className="mem-searchbar">
        <input
          ref={box}
          className="reef-ui-input mem-searchbox"
          type="search"
          aria-label="Search memories"
          placeholder="Search memories: words or a question  ( / )"
          data-testid="memory-search-box"
          value={draft}
          onChange={(e) => {
            setDraft(e.target.value);
            if (e.target.value === '' && store.getState().query !== '') store.getState().setQuery('');
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              submit();
            }
          }}
        />
        <select className="reef-ui-input reef-ui-input--select" aria-label="Search mode" data-testid="memory-search-mode" value={mode} onChange={(e) => store.getState().setMode(e.target.value as SearchMode)}>
          <option value="hybrid">hybrid</option>
          <option value="vector">vector only</option>
          <option value="text">text only</option>
        </select>
        <button type="button" className="reef-ui-button reef-ui-button--primary" data-testid="memory-search-go" onClick={submit}>
          Search
        </button>
        <span className="mem-dim mem-summary" data-testid="memory-search-summary">
          {summary}
        </span>
      </div>
      <Filters store={store} agents={agents} products={products} />
      <KeyHints testId="memory-keys" lead={source === 'search' ? 'Why: vector (similar meaning), text (the words), both.' : 'Live from the host.'} hints={KEYS} />
      {status === 'error' && (
        <div className="mem-alert" role="alert" data-testid="memory-search-error">
          <span>{source === 'search' || query ? 'The search failed' : 'Could not list the memories'}: {error}</span>
          <button type="button" className="reef-ui-button" onClick={() => void reload()}>
            Try again
          </button>
        </div>
      )}
      <div className={`mem-main${openId ? ' mem-main--detail' : ''}`}>
        <div className="mem-table">
          <DataTable<SearchRow>
            testId="memory-results"
            label={source === 'search' ? 'Search results' : 'Newest memories'}
            rows={rows}
            rowId={rowId}
            columns={memoryColumns}
            hiddenColumns={hidden}
            rowHeight={34}
            status={status === 'loading' && rows.length === 0 ? 'loading' : status === 'error' ? 'error' : 'ready'}
            activeId={activeId}
            onActiveChange={onActiveChange}
            onOpen={onOpen}
            cursor={source === 'list' ? cursor : null}
            onLoadMore={onLoadMore}
            loadingMore={loadingMore}
            rowClassName={rowClassName}
            rowData={rowData}
            empty={
              <EmptyState testId="memory-empty" title={query ? `Nothing matches “${query}”${filtered ? ' with these filters' : ''}.` : filtered ? 'No memory matches these filters.' : 'No memories yet.'}>
                <p className="mem-dim">
                  {query
                    ? 'Try other words, the text or vector mode alone, or include superseded versions.'
                    : 'Agents write memories with POST /v1/memories ({agent, text, kind?, product?, tags?, entities?}); they appear here as they land.'}
                </p>
              </EmptyState>
            }
          />
        </div>
        {openId && (
          <Detail
            key={openId}
            client={client}
            store={detail}
            id={openId}
            onClose={() => store.getState().open(null)}
            onOpenMemory={(id) => store.getState().open(id)}
            onOpenEntity={onOpenEntity}
            onUpdated={(m) => store.getState().patch(m)}
            onDeleted={(ids) => store.getState().remove(ids)}
          />
        )}
      </div>
    </div>
  );
}
