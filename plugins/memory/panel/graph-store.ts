/**
 * The entity graph's state: the nodes and edges gathered so far (the entity the graph was
 * opened on, then whatever expanding nodes brought), their places, which nodes are expanded or
 * being expanded, the selected node, and the pan and zoom of the view.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { layout, type Point } from './graph-layout.js';
import type { Entity, EntityRef, EntityReply } from './types.js';

export interface GraphNode {
  id: string;
  name: string;
  type: string;
  aliases: string[];
  /** Hops from the entity the graph was opened on, as first reached. */
  hops: number;
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  rel: string;
  validUntil: number | null;
}

export interface View {
  /** Pan, in screen pixels from the middle. */
  x: number;
  y: number;
  /** Zoom factor. */
  k: number;
}

export const MIN_ZOOM = 0.2;
export const MAX_ZOOM = 4;
export const HOME: View = { x: 0, y: 0, k: 1 };

export interface GraphState {
  root: EntityRef | null;
  rootId: string | null;
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  nodes: Record<string, GraphNode>;
  /** Insertion order: the list beside the graph follows it. */
  order: string[];
  edges: Record<string, GraphEdge>;
  positions: Record<string, Point>;
  expanded: Record<string, true>;
  expanding: Record<string, true>;
  selectedId: string | null;
  view: View;
  open(ref: EntityRef): void;
  /** The entity the graph was opened on, with its neighbours: the graph starts over from it. */
  opened(reply: EntityReply): void;
  fail(message: string): void;
  setExpanding(id: string, on: boolean): void;
  /** The neighbours of `aroundId` merged into the picture (new nodes placed around it). */
  expandedWith(aroundId: string, reply: EntityReply): void;
  select(id: string | null): void;
  setView(view: View): void;
  zoomBy(factor: number, at?: Point): void;
}

export type GraphStore = StoreApi<GraphState>;

const nodeOf = (e: Entity, hops: number): GraphNode => ({ id: e.id, name: e.name, type: e.type, aliases: e.aliases, hops });

/** What a reply adds: nodes not yet known (with the node each was reached from), and edges. */
function gather(s: Pick<GraphState, 'nodes' | 'order' | 'edges'>, reply: EntityReply, baseHops: number) {
  const nodes = { ...s.nodes };
  const order = [...s.order];
  const edges = { ...s.edges };
  const parentOf: Record<string, string> = {};
  const add = (e: Entity, hops: number, parent?: string) => {
    if (nodes[e.id]) return;
    nodes[e.id] = nodeOf(e, hops);
    order.push(e.id);
    if (parent) parentOf[e.id] = parent;
  };
  add(reply.entity, baseHops);
  for (const n of reply.neighbours) {
    const other = n.direction === 'out' ? n.relation.from : n.relation.to;
    add(n.entity, baseHops + n.hops, nodes[other] ? other : reply.entity.id);
  }
  for (const r of reply.relations) {
    if (nodes[r.from] && nodes[r.to]) edges[r.id] = { id: r.id, from: r.from, to: r.to, rel: r.rel, validUntil: r.validUntil };
  }
  return { nodes, order, edges, parentOf };
}

export function createGraphStore(): GraphStore {
  return createStore<GraphState>()((set, get) => ({
    root: null,
    rootId: null,
    status: 'idle',
    error: null,
    nodes: {},
    order: [],
    edges: {},
    positions: {},
    expanded: {},
    expanding: {},
    selectedId: null,
    view: HOME,
    open: (root) => set({ root, status: 'loading', error: null }),
    opened: (reply) => {
      const g = gather({ nodes: {}, order: [], edges: {} }, reply, 0);
      const rootId = reply.entity.id;
      const positions = layout({ ids: g.order, edges: Object.values(g.edges), positions: { [rootId]: { x: 0, y: 0 } }, parentOf: g.parentOf, anchor: rootId });
      set({ rootId, status: 'ready', error: null, nodes: g.nodes, order: g.order, edges: g.edges, positions, expanded: { [rootId]: true }, expanding: {}, selectedId: rootId, view: HOME });
    },
    fail: (error) => set({ status: 'error', error }),
    setExpanding: (id, on) =>
      set((s) => {
        const expanding = { ...s.expanding };
        if (on) expanding[id] = true;
        else delete expanding[id];
        return { expanding };
      }),
    expandedWith: (aroundId, reply) => {
      const s = get();
      const base = s.nodes[aroundId]?.hops ?? 0;
      const g = gather(s, reply, base);
      // The reply may name the entity by its surviving id (after a merge): both count as expanded.
      const expanded: Record<string, true> = { ...s.expanded, [aroundId]: true, [reply.entity.id]: true };
      const expanding = { ...s.expanding };
      delete expanding[aroundId];
      const positions = layout({ ids: g.order, edges: Object.values(g.edges), positions: s.positions, parentOf: g.parentOf, anchor: s.rootId, iterations: 80 });
      set({ nodes: g.nodes, order: g.order, edges: g.edges, positions, expanded, expanding, selectedId: aroundId });
    },
    select: (selectedId) => set({ selectedId }),
    setView: (view) => set({ view }),
    zoomBy: (factor, at) =>
      set((s) => {
        const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, s.view.k * factor));
        if (k === s.view.k) return {};
        // Keep the point under the cursor (relative to the middle) where it is.
        const p = at ?? { x: 0, y: 0 };
        const r = k / s.view.k;
        return { view: { k, x: p.x - (p.x - s.view.x) * r, y: p.y - (p.y - s.view.y) * r } };
      }),
  }));
}
