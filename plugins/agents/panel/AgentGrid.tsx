// The grid of agent cards. Up to a few hundred it renders every card (find-in-page and Tab
// reach all of them); past that it renders only the rows in view, so a fleet of thousands
// scrolls as smoothly as one of ten.
import { observeElementRect, useVirtualizer } from '@tanstack/react-virtual';
import { useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import type { AgentView } from './types.js';

/** Above this many shown agents only the visible rows are rendered. */
export const VIRTUALIZE_ABOVE = 200;
/** Must match .ag-grid in agents.css: minmax(200px, 1fr) columns with an 8px gap. */
const CARD_MIN_WIDTH = 200;
const GAP = 8;
/** A card's usual height with its gap; rows are measured once rendered. */
const ROW_ESTIMATE = 134;
/** Where the layout has no size (tests, a hidden tab): a sensible window instead of nothing. */
const FALLBACK_RECT = { width: 1000, height: 640 };

export function columnsFor(width: number): number {
  return Math.max(1, Math.floor((width + GAP) / (CARD_MIN_WIDTH + GAP)));
}

export function AgentGrid({ agents, renderCard, empty }: { agents: readonly AgentView[]; renderCard(agent: AgentView): ReactNode; empty: ReactNode }) {
  if (agents.length <= VIRTUALIZE_ABOVE) {
    return (
      <div className="ag-grid" data-testid="agents-grid" data-virtual="false">
        {agents.map(renderCard)}
        {agents.length === 0 && empty}
      </div>
    );
  }
  return <VirtualGrid agents={agents} renderCard={renderCard} />;
}

function VirtualGrid({ agents, renderCard }: { agents: readonly AgentView[]; renderCard(agent: AgentView): ReactNode }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [columns, setColumns] = useState(() => columnsFor(FALLBACK_RECT.width));
  const rowCount = Math.ceil(agents.length / columns);
  const virtualizer = useVirtualizer({
    count: rowCount,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_ESTIMATE,
    overscan: 4,
    initialRect: FALLBACK_RECT,
    observeElementRect: (instance, onRect) =>
      observeElementRect(instance, (rect) => {
        const usable = rect.width > 0 && rect.height > 0 ? rect : FALLBACK_RECT;
        setColumns(columnsFor(usable.width));
        onRect(usable);
      }),
  });
  // A new column count changes every row's contents: measure again.
  useLayoutEffect(() => virtualizer.measure(), [columns, virtualizer]);

  return (
    <div ref={scroller} className="ag-grid-scroll" data-testid="agents-grid-scroll">
      <div className="ag-grid-canvas" data-testid="agents-grid" data-virtual="true" data-rows={rowCount} style={{ height: virtualizer.getTotalSize() }}>
        {virtualizer.getVirtualItems().map((row) => (
          <div
            key={row.key}
            ref={virtualizer.measureElement}
            data-index={row.index}
            className="ag-grid ag-grid-row"
            style={{ transform: `translateY(${row.start}px)`, gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}
          >
            {agents.slice(row.index * columns, row.index * columns + columns).map(renderCard)}
          </div>
        ))}
      </div>
    </div>
  );
}
