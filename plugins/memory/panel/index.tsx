// Memory panel: search (hybrid, vector or text, with why each hit matched) and the newest
// memories, a memory's detail with its history and audit, the entity graph, the entity merges
// (undone from there), an overview of counts and growth, and near-duplicates to review. Live: the host's memory.changed event
// reloads what is shown. Opened on a memory id, it lands on that memory's detail.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { Tabs, type PanelProps } from '../../../sdk/panel/index.js';
import { createDetailStore } from './detail-store.js';
import { Duplicates, useDuplicates } from './Duplicates.js';
import { createDuplicatesStore } from './duplicates-store.js';
import { Graph, useGraph } from './Graph.js';
import { createGraphStore, type GraphNode } from './graph-store.js';
import { MemoryClient } from './memory-client.js';
import { Merges, useMerges } from './Merges.js';
import { createMergesStore } from './merges-store.js';
import { Overview } from './Overview.js';
import { createOverviewStore } from './overview-store.js';
import { Search } from './Search.js';
import { createSearchStore } from './search-store.js';
import type { EntityRef } from './types.js';
import { useOverview } from './use-overview.js';
import './memory.css';

export type Tab = 'search' | 'graph' | 'merges' | 'overview' | 'duplicates';
const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'search', label: 'Search' },
  { id: 'graph', label: 'Graph' },
  { id: 'merges', label: 'Merges' },
  { id: 'overview', label: 'Overview' },
  { id: 'duplicates', label: 'Duplicates' },
];

export default function MemoryPanel({ api, target }: PanelProps) {
  const [client] = useState(() => new MemoryClient(api));
  const [search] = useState(() => createSearchStore());
  const [detail] = useState(() => createDetailStore());
  const [graph] = useState(() => createGraphStore());
  const [overview] = useState(() => createOverviewStore());
  const [duplicates] = useState(() => createDuplicatesStore());
  const [merges] = useState(() => createMergesStore());
  const [tab, setTab] = useState<Tab>('search');
  const { reload: reloadStats } = useOverview(client, overview);
  const { reload: reloadDuplicates } = useDuplicates(client, duplicates);
  const graphOps = useGraph(client, graph);
  const { reload: reloadMerges } = useMerges(client, merges, graph);
  const stats = useStore(overview, (s) => s.stats);
  const pairs = useStore(duplicates, (s) => s.pairs);
  const toReview = pairs.length;
  const agents = useMemo(() => (stats?.byAgent ?? []).map((a) => a.agent).sort(), [stats]);
  const products = useMemo(() => (stats?.byProduct ?? []).flatMap((p) => (p.product ? [p.product] : [])).sort(), [stats]);

  // A link to a memory opens its detail.
  useEffect(() => {
    if (target) {
      setTab('search');
      search.getState().open(target);
    }
  }, [target, search]);

  const openEntity = useCallback(
    (ref: EntityRef) => {
      setTab('graph');
      void graphOps.open(ref);
    },
    [graphOps],
  );
  const openMemory = useCallback(
    (id: string) => {
      setTab('search');
      search.getState().open(id);
    },
    [search],
  );
  // An entity merged from the graph: the graph starts over around the kept one, the merges list reloads.
  const mergeEntity = useCallback(
    async (merge: GraphNode, keep: GraphNode) => {
      await client.mergeEntities(keep.id, merge.id);
      client.toast(`Merged ${merge.name} into ${keep.name}`, 'success');
      void graphOps.open({ name: keep.name, type: keep.type });
      void reloadMerges();
    },
    [client, graphOps, reloadMerges],
  );
  // A merge undone: the graph reloads around the entity it was opened on (both sides may be in it).
  const mergeUndone = useCallback(() => {
    const root = graph.getState().root;
    if (root) void graphOps.open(root);
  }, [graph, graphOps]);
  const count: Partial<Record<Tab, number>> = { duplicates: toReview };

  return (
    <div className="mem" data-testid="memory-panel" data-tab={tab}>
      <header className="mem-head">
        <div>
          <h2 className="mem-head__title">Memory</h2>
          <div className="mem-dim">What agents learned, with its history: search by meaning and words, the entities it names, near-duplicates to review.</div>
        </div>
        <Tabs label="Memory views" testId="memory-tab" tabs={TABS.map((t) => ({ ...t, count: count[t.id] }))} active={tab} onChange={setTab} />
      </header>
      <div className="mem-view" hidden={tab !== 'search'}>
        <Search client={client} store={search} detail={detail} agents={agents} products={products} visible={tab === 'search'} onOpenEntity={openEntity} />
      </div>
      {tab === 'graph' && <Graph store={graph} open={graphOps.open} expand={graphOps.expand} visible onMerge={mergeEntity} />}
      {tab === 'merges' && <Merges client={client} store={merges} onReload={() => void reloadMerges()} onUndone={mergeUndone} onOpenEntity={openEntity} />}
      {tab === 'overview' && <Overview store={overview} onReload={() => void reloadStats()} />}
      {tab === 'duplicates' && <Duplicates client={client} store={duplicates} onReload={() => void reloadDuplicates()} onOpenMemory={openMemory} />}
    </div>
  );
}
