/**
 * A small force-directed layout for the entity graph (Fruchterman–Reingold): nodes repel, edges
 * pull, a cooling step bounds each move. Deterministic (no randomness), so a test or a screenshot
 * sees the same picture. Nodes already placed move little (`settled`), so expanding a node
 * grows the picture around it instead of reshuffling it; the anchor stays where it is.
 */
export interface Point {
  x: number;
  y: number;
}

export interface LayoutInput {
  ids: string[];
  edges: Array<{ from: string; to: string }>;
  /** Where each node is now; those absent are placed around `parentOf` (or the origin). */
  positions: Record<string, Point>;
  /** For a new node: the node it was reached from (its first place is on a circle around it). */
  parentOf?: Record<string, string>;
  /** Held in place (the entity the graph was opened on). */
  anchor?: string | null;
  iterations?: number;
  /** The ideal edge length, in view units. */
  spacing?: number;
}

const GOLDEN = Math.PI * (3 - Math.sqrt(5));

/** First places for new nodes: on a circle around their parent (or the origin), spread by the golden angle. */
export function seed(input: LayoutInput): Record<string, Point> {
  const spacing = input.spacing ?? 120;
  const out: Record<string, Point> = { ...input.positions };
  const children = new Map<string, number>();
  for (const id of input.ids) {
    if (out[id]) continue;
    const parent = input.parentOf?.[id];
    const centre = (parent && out[parent]) || { x: 0, y: 0 };
    const key = parent && out[parent] ? parent : '';
    const n = children.get(key) ?? 0;
    children.set(key, n + 1);
    const angle = n * GOLDEN + (key ? 0.3 : 0);
    const r = spacing * (key ? 1 : 0.5 + 0.35 * Math.sqrt(n));
    out[id] = n === 0 && !key && Object.keys(out).length === 0 ? { x: 0, y: 0 } : { x: centre.x + r * Math.cos(angle), y: centre.y + r * Math.sin(angle) };
  }
  return out;
}

export function layout(input: LayoutInput): Record<string, Point> {
  const spacing = input.spacing ?? 120;
  const iterations = input.iterations ?? 120;
  const pos = seed(input);
  const ids = input.ids.filter((id) => pos[id]);
  const settled = new Set(ids.filter((id) => input.positions[id]));
  const edges = input.edges.filter((e) => pos[e.from] && pos[e.to] && e.from !== e.to);
  const k = spacing;
  let temperature = spacing;
  for (let it = 0; it < iterations; it++) {
    const disp: Record<string, Point> = Object.fromEntries(ids.map((id) => [id, { x: 0, y: 0 }]));
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const a = pos[ids[i] as string] as Point;
        const b = pos[ids[j] as string] as Point;
        let dx = a.x - b.x;
        let dy = a.y - b.y;
        let d2 = dx * dx + dy * dy;
        if (d2 < 0.01) {
          // Two nodes on one spot: push apart along a fixed direction per pair.
          dx = Math.cos(i + j);
          dy = Math.sin(i + j);
          d2 = 1;
        }
        const f = (k * k) / d2;
        const da = disp[ids[i] as string] as Point;
        const db = disp[ids[j] as string] as Point;
        da.x += dx * f;
        da.y += dy * f;
        db.x -= dx * f;
        db.y -= dy * f;
      }
    }
    for (const e of edges) {
      const a = pos[e.from] as Point;
      const b = pos[e.to] as Point;
      const dx = a.x - b.x;
      const dy = a.y - b.y;
      const d = Math.max(0.1, Math.sqrt(dx * dx + dy * dy));
      const f = d / k;
      const da = disp[e.from] as Point;
      const db = disp[e.to] as Point;
      da.x -= dx * f;
      da.y -= dy * f;
      db.x += dx * f;
      db.y += dy * f;
    }
    for (const id of ids) {
      if (id === input.anchor) continue;
      const p = pos[id] as Point;
      const d = disp[id] as Point;
      // A weak pull to the middle keeps separate pieces in view.
      d.x -= p.x * 0.02;
      d.y -= p.y * 0.02;
      const len = Math.sqrt(d.x * d.x + d.y * d.y);
      if (len < 1e-9) continue;
      const step = Math.min(len, temperature) * (settled.has(id) ? 0.15 : 1);
      pos[id] = { x: p.x + (d.x / len) * step, y: p.y + (d.y / len) * step };
    }
    temperature = Math.max(1, temperature * 0.95);
  }
  return Object.fromEntries(ids.map((id) => [id, pos[id] as Point]));
}
