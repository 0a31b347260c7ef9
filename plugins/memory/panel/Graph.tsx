// The entity graph: an entity and its neighbours drawn as an SVG, pan (drag the background),
// zoom (wheel or the buttons), click a node to expand it (its neighbours fetched and merged in),
// relation types on the edges; beside it, the same nodes as a list the keyboard reaches.
import { useCallback, useEffect, useRef, useState, type PointerEvent as ReactPointerEvent, type WheelEvent as ReactWheelEvent } from 'react';
import { useStore } from 'zustand';
import { EmptyState, StatusBadge } from '../../../sdk/panel/index.js';
import { HOME, type GraphNode, type GraphStore } from './graph-store.js';
import { errorText, type MemoryClient } from './memory-client.js';
import { MergeInto } from './MergeInto.js';
import type { EntityRef } from './types.js';

const NODE_R = 16;
const DEFAULT_SIZE = { width: 720, height: 480 };

/** The entity the graph opens on, and expanding nodes: requests against the host. */
export function useGraph(client: MemoryClient, store: GraphStore) {
  const open = useCallback(
    async (ref: EntityRef) => {
      store.getState().open(ref);
      try {
        const reply = await client.entity(ref, 1);
        if (store.getState().root === ref) store.getState().opened(reply);
      } catch (err) {
        if (store.getState().root === ref) store.getState().fail(errorText(err));
      }
    },
    [client, store],
  );
  const expand = useCallback(
    async (id: string) => {
      const s = store.getState();
      const node = s.nodes[id];
      if (!node || s.expanding[id]) return;
      s.select(id);
      s.setExpanding(id, true);
      try {
        const reply = await client.entity({ name: node.name, type: node.type }, 1);
        store.getState().expandedWith(id, reply);
      } catch (err) {
        store.getState().setExpanding(id, false);
        client.toast(`Could not expand ${node.name}: ${errorText(err)}`, 'error');
      }
    },
    [client, store],
  );
  return { open, expand };
}

function useSize(el: React.RefObject<HTMLDivElement | null>) {
  const [size, setSize] = useState(DEFAULT_SIZE);
  useEffect(() => {
    const node = el.current;
    if (!node || typeof ResizeObserver === 'undefined') return;
    const measure = () => {
      const r = node.getBoundingClientRect();
      if (r.width > 0 && r.height > 0) setSize({ width: Math.round(r.width), height: Math.round(r.height) });
    };
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(node);
    return () => ro.disconnect();
  }, [el]);
  return size;
}

function typeClass(type: string): string {
  const known = ['person', 'org', 'organization', 'company', 'place', 'location', 'product', 'project', 'tool', 'thing'];
  const t = type.toLowerCase();
  return known.includes(t) ? `mem-node--${t === 'organization' || t === 'company' ? 'org' : t === 'location' ? 'place' : t}` : 'mem-node--other';
}

export interface GraphProps {
  store: GraphStore;
  open(ref: EntityRef): Promise<void>;
  expand(id: string): Promise<void>;
  visible: boolean;
  /** Folds `merge` into `keep` (the selected node's "Merge into…"); without it the side list offers no merge. */
  onMerge?(merge: GraphNode, keep: GraphNode): Promise<void>;
}

export function Graph({ store, open, expand, visible, onMerge }: GraphProps) {
  const root = useStore(store, (s) => s.root);
  const rootId = useStore(store, (s) => s.rootId);
  const status = useStore(store, (s) => s.status);
  const error = useStore(store, (s) => s.error);
  const nodes = useStore(store, (s) => s.nodes);
  const order = useStore(store, (s) => s.order);
  const edges = useStore(store, (s) => s.edges);
  const positions = useStore(store, (s) => s.positions);
  const expanded = useStore(store, (s) => s.expanded);
  const expanding = useStore(store, (s) => s.expanding);
  const selectedId = useStore(store, (s) => s.selectedId);
  const view = useStore(store, (s) => s.view);
  const [name, setName] = useState('');
  const box = useRef<HTMLDivElement>(null);
  const size = useSize(box);
  const drag = useRef<{ x: number; y: number; vx: number; vy: number; moved: boolean } | null>(null);

  useEffect(() => {
    if (root) setName(root.name);
  }, [root]);

  // Zoom keys while the graph is shown: + and - zoom, 0 goes back to the middle.
  useEffect(() => {
    if (!visible) return;
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.defaultPrevented || !box.current?.isConnected || (t && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA'))) return;
      if (e.key === '+' || e.key === '=') store.getState().zoomBy(1.25);
      else if (e.key === '-') store.getState().zoomBy(0.8);
      else if (e.key === '0') store.getState().setView(HOME);
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [visible, store]);

  const local = (e: { clientX: number; clientY: number }) => {
    const r = box.current?.getBoundingClientRect();
    return { x: e.clientX - (r?.left ?? 0) - size.width / 2, y: e.clientY - (r?.top ?? 0) - size.height / 2 };
  };
  const onWheel = (e: ReactWheelEvent) => {
    store.getState().zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15, local(e));
  };
  const onPointerDown = (e: ReactPointerEvent<SVGSVGElement>) => {
    if ((e.target as Element).closest('[data-node]')) return;
    const v = store.getState().view;
    drag.current = { x: e.clientX, y: e.clientY, vx: v.x, vy: v.y, moved: false };
    e.currentTarget.setPointerCapture?.(e.pointerId);
  };
  const onPointerMove = (e: ReactPointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    if (Math.abs(dx) + Math.abs(dy) > 2) d.moved = true;
    store.getState().setView({ ...store.getState().view, x: d.vx + dx, y: d.vy + dy });
  };
  const onPointerUp = (e: ReactPointerEvent<SVGSVGElement>) => {
    if (drag.current && !drag.current.moved && !(e.target as Element).closest('[data-node]')) store.getState().select(null);
    drag.current = null;
  };

  const selected: GraphNode | undefined = selectedId ? nodes[selectedId] : undefined;
  const edgeList = Object.values(edges);

  return (
    <div className="mem-graph" data-testid="memory-graph" data-status={status} data-nodes={order.length} data-edges={edgeList.length}>
      <form
        className="mem-searchbar"
        onSubmit={(e) => {
          e.preventDefault();
          if (name.trim()) void open({ name: name.trim() });
        }}
      >
        <input className="reef-ui-input mem-searchbox" type="search" aria-label="Entity name" placeholder="An entity's name (a person, a service, a place…)" data-testid="memory-graph-name" value={name} onChange={(e) => setName(e.target.value)} />
        <button type="submit" className="reef-ui-button reef-ui-button--primary" data-testid="memory-graph-open">
          Open
        </button>
        <span className="mem-spacer" />
        <div className="mem-zoom" role="group" aria-label="Zoom">
          <button type="button" className="reef-ui-button" data-testid="memory-graph-zoom-out" onClick={() => store.getState().zoomBy(0.8)} title="Zoom out (-)">
            −
          </button>
          <span className="mem-dim mem-num" data-testid="memory-graph-zoom">
            {Math.round(view.k * 100)} %
          </span>
          <button type="button" className="reef-ui-button" data-testid="memory-graph-zoom-in" onClick={() => store.getState().zoomBy(1.25)} title="Zoom in (+)">
            +
          </button>
          <button type="button" className="reef-ui-button reef-ui-button--ghost" data-testid="memory-graph-reset" onClick={() => store.getState().setView(HOME)} title="Back to the middle (0)">
            Reset
          </button>
        </div>
      </form>
      {status === 'error' && (
        <p className="mem-error" role="alert" data-testid="memory-graph-error">
          {error}
        </p>
      )}
      {status === 'idle' ? (
        <EmptyState testId="memory-graph-empty" variant="card" title="Open an entity to see what it is related to.">
          <p className="mem-dim">Type its name above, or click an entity in a memory&apos;s detail. Click a node to bring in its neighbours; drag to pan, wheel to zoom.</p>
        </EmptyState>
      ) : (
        <div className="mem-graph__body">
          <div className="mem-graph__canvas" ref={box}>
            <svg
              className="mem-graph__svg"
              width={size.width}
              height={size.height}
              role="img"
              aria-label={`The entity graph around ${root?.name ?? ''}: ${order.length} entities, ${edgeList.length} relations`}
              data-testid="memory-graph-svg"
              data-zoom={view.k.toFixed(2)}
              data-pan={`${Math.round(view.x)},${Math.round(view.y)}`}
              onWheel={onWheel}
              onPointerDown={onPointerDown}
              onPointerMove={onPointerMove}
              onPointerUp={onPointerUp}
              onPointerCancel={() => (drag.current = null)}
            >
              <defs>
                <marker id="mem-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                  <path d="M 0 0 L 10 5 L 0 10 z" className="mem-arrow" />
                </marker>
              </defs>
              <rect className="mem-graph__bg" x={0} y={0} width={size.width} height={size.height} />
              <g transform={`translate(${size.width / 2 + view.x} ${size.height / 2 + view.y}) scale(${view.k})`}>
                {edgeList.map((e) => {
                  const a = positions[e.from];
                  const b = positions[e.to];
                  if (!a || !b) return null;
                  const dx = b.x - a.x;
                  const dy = b.y - a.y;
                  const len = Math.max(1, Math.hypot(dx, dy));
                  const ux = dx / len;
                  const uy = dy / len;
                  return (
                    <g key={e.id} className={`mem-edge${selectedId && (e.from === selectedId || e.to === selectedId) ? ' mem-edge--hot' : ''}`} data-testid={`memory-graph-edge-${e.id}`} data-rel={e.rel}>
                      <line x1={a.x + ux * NODE_R} y1={a.y + uy * NODE_R} x2={b.x - ux * (NODE_R + 2)} y2={b.y - uy * (NODE_R + 2)} markerEnd="url(#mem-arrow)" />
                      <text className="mem-edge__label" x={(a.x + b.x) / 2} y={(a.y + b.y) / 2 - 4} textAnchor="middle">
                        {e.rel}
                      </text>
                    </g>
                  );
                })}
                {order.map((id) => {
                  const n = nodes[id] as GraphNode;
                  const p = positions[id];
                  if (!p) return null;
                  const classes = ['mem-node', typeClass(n.type)];
                  if (id === rootId) classes.push('mem-node--root');
                  if (id === selectedId) classes.push('mem-node--selected');
                  if (expanded[id]) classes.push('mem-node--expanded');
                  return (
                    <g
                      key={id}
                      className={classes.join(' ')}
                      transform={`translate(${p.x} ${p.y})`}
                      data-node={id}
                      data-testid={`memory-graph-node-${n.name}`}
                      data-expanded={expanded[id] === true}
                      data-expanding={expanding[id] === true || undefined}
                      onClick={() => void expand(id)}
                    >
                      <title>{`${n.name} (${n.type})${expanded[id] ? '' : ': click to bring in its neighbours'}`}</title>
                      <circle r={NODE_R} />
                      {!expanded[id] && (
                        <text className="mem-node__plus" textAnchor="middle" dy="4">
                          {expanding[id] ? '…' : '+'}
                        </text>
                      )}
                      <text className="mem-node__label" textAnchor="middle" y={NODE_R + 13}>
                        {n.name}
                      </text>
                    </g>
                  );
                })}
              </g>
            </svg>
          </div>
          <aside className="mem-graph__side" aria-label="Entities in the graph">
            {selected && (
              <div className="mem-graph__selected" data-testid="memory-graph-selected">
                <div className="mem-strong">{selected.name}</div>
                <div className="mem-dim">
                  {selected.type} · {selected.hops === 0 ? 'where the graph starts' : `${selected.hops} hop${selected.hops === 1 ? '' : 's'} away`}
                  {selected.aliases.length > 0 && ` · also known as ${selected.aliases.join(', ')}`}
                </div>
                <ul className="mem-graph__rels">
                  {edgeList
                    .filter((e) => e.from === selected.id || e.to === selected.id)
                    .map((e) => (
                      <li key={e.id}>
                        {e.from === selected.id ? (
                          <>
                            → <em>{e.rel}</em> {nodes[e.to]?.name}
                          </>
                        ) : (
                          <>
                            ← <em>{e.rel}</em> from {nodes[e.from]?.name}
                          </>
                        )}
                      </li>
                    ))}
                </ul>
                {onMerge && (
                  <MergeInto
                    key={selected.id}
                    selected={selected}
                    candidates={order.flatMap((id) => {
                      const n = nodes[id];
                      return n && id !== selected.id && n.type === selected.type ? [n] : [];
                    })}
                    onMerge={onMerge}
                  />
                )}
              </div>
            )}
            <ul className="mem-graph__list" data-testid="memory-graph-list">
              {order.map((id) => {
                const n = nodes[id] as GraphNode;
                return (
                  <li key={id} className={id === selectedId ? 'mem-graph__item mem-graph__item--selected' : 'mem-graph__item'}>
                    <button type="button" className="mem-link" data-testid={`memory-graph-item-${n.name}`} aria-current={id === selectedId || undefined} onClick={() => store.getState().select(id)} onFocus={() => store.getState().select(id)}>
                      <span className="mem-entity__type">{n.type}</span> {n.name}
                    </button>
                    {expanded[id] ? (
                      <StatusBadge tone="neutral">expanded</StatusBadge>
                    ) : (
                      <button type="button" className="reef-ui-button" data-testid={`memory-graph-expand-${n.name}`} disabled={expanding[id] === true} onClick={() => void expand(id)}>
                        {expanding[id] ? 'Expanding…' : 'Expand'}
                      </button>
                    )}
                  </li>
                );
              })}
            </ul>
          </aside>
        </div>
      )}
    </div>
  );
}
