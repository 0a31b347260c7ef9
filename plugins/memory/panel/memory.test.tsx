// The memory panel with a fake PanelApi: search results (scores, why badges, similarity and text
// rank), the detail with its history and audit, the graph's expand, entity merges and their undo,
// duplicates merge, and the overview's charts.
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ui } from '../../../sdk/panel/index.js';
import { fakePanelApi } from '../../../sdk/testing.js';
import { layout } from './graph-layout.js';
import MemoryPanel from './index.js';
import type { DuplicatePair, Entity, EntityMerge, EntityReply, Memory, MemoryStats, Relation, SearchHit } from './types.js';
import * as React from 'react';

const DAY = 86_400_000;
const mem = (id: string, over: Partial<Memory> = {}): Memory => ({
  id,
  agent: 'scout',
  product: 'shop',
  kind: 'fact',
  text: `memory ${id}`,
  tags: {},
  pinned: false,
  key: null,
  model: 'tiny-a',
  dims: 8,
  recordedAt: Date.UTC(2026, 0, 10),
  validFrom: Date.UTC(2026, 0, 10),
  validUntil: null,
  supersedes: null,
  supersededBy: null,
  duplicateOf: null,
  accessedAt: Date.UTC(2026, 0, 11),
  accessCount: 2,
  entities: [],
  ...over,
});
const ent = (id: string, name: string, type = 'thing'): Entity => ({ id, name, type, createdAt: 0, aliases: [] });
const rel = (id: string, from: string, r: string, to: string): Relation => ({ id, from, rel: r, to, memoryId: null, recordedAt: 0, validFrom: 0, validUntil: null, supersededBy: null });
const stats: MemoryStats = {
  byAgent: [
    { agent: 'scout', count: 5 },
    { agent: 'writer', count: 2 },
  ],
  byProduct: [
    { product: 'shop', count: 6 },
    { product: null, count: 1 },
  ],
  growth: [
    { day: Math.floor(Date.now() / DAY) * DAY - DAY, agent: 'scout', count: 3 },
    { day: Math.floor(Date.now() / DAY) * DAY, agent: 'writer', count: 2 },
  ],
  models: [{ model: 'tiny-a', dims: 8, count: 7 }],
  entities: 4,
  relations: 3,
  duplicates: 1,
};

type Answer = (subject: string, body: Record<string, unknown>) => unknown;
function setup(answer: Answer = () => undefined) {
  const fake = fakePanelApi((subject, body) => {
    const a = answer(subject, body);
    if (a !== undefined) return a;
    switch (subject) {
      case 'reef.v1.memories.list':
        return { memories: [mem('m1', { text: 'the newest memory' }), mem('m2')] };
      case 'reef.v1.memories.stats':
        return stats;
      case 'reef.v1.memories.duplicates':
        return { duplicates: [] };
      case 'reef.v1.entities.merges':
        return { merges: [] };
      case 'reef.v1.memories.audit':
        return { records: [] };
      default:
        throw new Error(`unexpected ${subject}`);
    }
  });
  const view = render(<MemoryPanel api={fake.api} pluginId="memory" panelId="memories" React={React} ui={ui} />);
  return { ...fake, view };
}
const bodies = (calls: Array<{ subject: string; body: Record<string, unknown> }>, s: string) => calls.filter((c) => c.subject === s).map((c) => c.body);

afterEach(cleanup);

// Small DOM matchers (the project has no jest-dom).
expect.extend({
  toHaveTextContent(el: Element | null, text: string) {
    const got = el?.textContent ?? '';
    return { pass: got.includes(text), message: () => `expected text “${got}” to contain “${text}”` };
  },
  toHaveAttribute(el: Element | null, name: string, value?: unknown) {
    const got = el?.getAttribute(name);
    const pass = value === undefined ? got !== null && got !== undefined : this.equals(got, value);
    return { pass, message: () => `expected ${name}=${String(got)} to be ${String(value)}` };
  },
  toBeInTheDocument(el: Element | null) {
    return { pass: !!el && document.body.contains(el), message: () => 'expected the element in the document' };
  },
  toBeEnabled(el: Element | null) {
    return { pass: !!el && !(el as HTMLButtonElement).disabled, message: () => 'expected the element enabled' };
  },
});
declare module 'vitest' {
  interface Assertion {
    toHaveTextContent(text: string): void;
    toHaveAttribute(name: string, value?: unknown): void;
    toBeInTheDocument(): void;
    toBeEnabled(): void;
  }
}

describe('search', () => {
  it('shows the newest memories with no query, then hits with scores and why each matched', async () => {
    const hits: SearchHit[] = [
      { memory: mem('h1', { text: 'deploys go to eu-west' }), score: 0.0325, why: 'both', vectorScore: 0.912, vectorRank: 1, textScore: 3.2, textRank: 1 },
      { memory: mem('h2', { text: 'the deploy window is friday' }), score: 0.0161, why: 'vector', vectorScore: 0.701, vectorRank: 2 },
      { memory: mem('h3', { text: 'deploy keys rotate monthly' }), score: 0.0159, why: 'text', textScore: 1.1, textRank: 2 },
    ];
    const { calls } = setup((s) => (s === 'reef.v1.memories.search' ? { hits, vectorPath: 'sqlite-vec', model: 'tiny-a' } : undefined));
    expect(await screen.findByTestId('memory-results-row-m1')).toHaveTextContent('the newest memory');
    expect(screen.getByTestId('memory-search')).toHaveAttribute('data-source', 'list');
    expect(screen.queryByTestId('memory-why-m1')).toBeNull();

    const box = screen.getByTestId('memory-search-box');
    fireEvent.change(box, { target: { value: 'deploy target' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    await screen.findByTestId('memory-results-row-h1');
    expect(bodies(calls, 'reef.v1.memories.search')[0]).toMatchObject({ query: 'deploy target', mode: 'hybrid' });
    expect(screen.getByTestId('memory-search')).toHaveAttribute('data-source', 'search');
    expect(screen.getByTestId('memory-why-h1')).toHaveTextContent('both');
    expect(screen.getByTestId('memory-why-h2')).toHaveTextContent('vector');
    expect(screen.getByTestId('memory-why-h3')).toHaveTextContent('text');
    expect(screen.getByTestId('memory-why-h1')).toHaveAttribute('data-why', 'both');
    expect(screen.getByTestId('memory-why-h1').parentElement).toHaveAttribute('title', expect.stringContaining('similarity 0.912'));
    expect(screen.getByTestId('memory-score-h1')).toHaveTextContent('0.0325');
    expect(screen.getByTestId('memory-vector-h2')).toHaveTextContent('0.701');
    expect(screen.getByTestId('memory-vector-h3')).toHaveTextContent('–');
    expect(screen.getByTestId('memory-text-rank-h3')).toHaveTextContent('#2');
    expect(screen.getByTestId('memory-search-summary')).toHaveTextContent('3 hits for “deploy target” · hybrid · tiny-a · sqlite-vec');
  });

  it('sends the mode and filters, and tells which times it could not read', async () => {
    const { calls } = setup((s) => (s === 'reef.v1.memories.search' ? { hits: [], vectorPath: 'sql-exact', model: null } : undefined));
    await screen.findByTestId('memory-results-row-m1');
    fireEvent.change(screen.getByTestId('memory-search-mode'), { target: { value: 'text' } });
    fireEvent.change(screen.getByTestId('memory-filter-agent'), { target: { value: 'writer' } });
    fireEvent.click(screen.getByTestId('memory-filter-history-superseded'));
    const asOf = screen.getByTestId('memory-filter-asof');
    fireEvent.change(asOf, { target: { value: '2026-01-05' } });
    fireEvent.keyDown(asOf, { key: 'Enter' });
    const since = screen.getByTestId('memory-filter-since');
    fireEvent.change(since, { target: { value: 'yesterday' } });
    fireEvent.keyDown(since, { key: 'Enter' });
    expect(await screen.findByTestId('memory-filter-invalid')).toHaveTextContent('Could not read since');
    const box = screen.getByTestId('memory-search-box');
    fireEvent.change(box, { target: { value: 'friday' } });
    fireEvent.keyDown(box, { key: 'Enter' });
    await waitFor(() => expect(bodies(calls, 'reef.v1.memories.search').length).toBeGreaterThan(0));
    const body = bodies(calls, 'reef.v1.memories.search').at(-1);
    expect(body).toMatchObject({ query: 'friday', mode: 'text', agent: 'writer', includeSuperseded: true, asOf: Date.parse('2026-01-05') });
    expect(body).not.toHaveProperty('since');
    expect(await screen.findByTestId('memory-empty')).toHaveTextContent('Nothing matches “friday” with these filters.');
  });

  it('moves with j/k and opens with Enter; / focuses the search box', async () => {
    setup((s, b) => (s === 'reef.v1.memories.get' ? { memory: mem(String(b.id)), history: [mem(String(b.id))] } : undefined));
    await screen.findByTestId('memory-results-row-m1');
    await waitFor(() => expect(screen.getByTestId('memory-results-row-m1')).toHaveAttribute('data-active', 'true'));
    fireEvent.keyDown(document.body, { key: 'j' });
    await waitFor(() => expect(screen.getByTestId('memory-results-row-m2')).toHaveAttribute('data-active', 'true'));
    fireEvent.keyDown(document.body, { key: 'Enter' });
    expect(await screen.findByTestId('memory-detail')).toHaveAttribute('data-id', 'm2');
    fireEvent.keyDown(document.body, { key: 'Escape' });
    await waitFor(() => expect(screen.queryByTestId('memory-detail')).toBeNull());
    fireEvent.keyDown(document.body, { key: '/' });
    expect(document.activeElement).toBe(screen.getByTestId('memory-search-box'));
  });

  it('reloads when the host says memories changed', async () => {
    const { calls, emit } = setup();
    await screen.findByTestId('memory-results-row-m1');
    const before = bodies(calls, 'reef.v1.memories.list').length;
    emit('reef.v1.events.memory.changed', { action: 'write', ids: ['m9'] });
    await waitFor(() => expect(bodies(calls, 'reef.v1.memories.list').length).toBeGreaterThan(before));
  });
});

describe('detail', () => {
  const v1 = mem('v1', { text: 'deploys go to us-east', key: 'deploy-target', validUntil: Date.UTC(2026, 0, 10), supersededBy: 'v2' });
  const v2 = mem('v2', { text: 'deploys go to eu-west', key: 'deploy-target', supersedes: 'v1', tags: { env: 'prod' }, entities: [{ id: 'e1', name: 'eu-west', type: 'place' }] });
  const answer: Answer = (s, b) => {
    if (s === 'reef.v1.memories.list') return { memories: [v2] };
    if (s === 'reef.v1.memories.get') return { memory: b.id === 'v1' ? v1 : v2, history: [v1, v2] };
    if (s === 'reef.v1.memories.audit') return { records: [{ seq: 1, at: Date.UTC(2026, 0, 10), action: 'supersede', memoryId: 'v2', actor: 'agent:scout', detail: { superseded: 'v1' } }] };
    if (s === 'reef.v1.memories.update') return { memory: { ...v2, pinned: b.pinned === true } };
    if (s === 'reef.v1.memories.delete') return { deleted: b.ids };
    return undefined;
  };

  it('shows the text, tags, entities, validity, the history with the superseded version marked, and the audit', async () => {
    setup(answer);
    fireEvent.click(await screen.findByTestId('memory-results-row-v2'));
    const detail = await screen.findByTestId('memory-detail');
    await waitFor(() => expect(detail).toHaveAttribute('data-status', 'ready'));
    expect(within(detail).getByTestId('memory-detail-text')).toHaveTextContent('deploys go to eu-west');
    expect(within(detail).getByTestId('memory-detail-tags')).toHaveTextContent('env=prod');
    expect(within(detail).getByTestId('memory-detail-valid-until')).toHaveTextContent('still valid');
    const history = within(detail).getByTestId('memory-detail-history');
    expect(within(history).getAllByRole('listitem')).toHaveLength(2);
    expect(within(history).getByTestId('memory-version-v1')).toHaveAttribute('data-superseded', 'true');
    expect(within(history).getByTestId('memory-version-v1')).toHaveTextContent('superseded');
    expect(within(history).getByTestId('memory-version-v2')).toHaveAttribute('data-current', 'true');
    expect(await within(detail).findByTestId('memory-detail-audit')).toHaveTextContent('supersede by agent:scout');
    // An older version opens in its place.
    fireEvent.click(within(history).getByText('deploys go to us-east'));
    await waitFor(() => expect(screen.getByTestId('memory-detail')).toHaveAttribute('data-id', 'v1'));
    await waitFor(() => expect(screen.getByTestId('memory-detail-superseded')).toBeInTheDocument());
  });

  it('pins, and deletes after the confirmation', async () => {
    const { calls } = setup(answer);
    fireEvent.click(await screen.findByTestId('memory-results-row-v2'));
    const pin = await screen.findByTestId('memory-detail-pin');
    fireEvent.click(pin);
    await waitFor(() => expect(screen.getByTestId('memory-detail-pin')).toHaveAttribute('data-pinned', 'true'));
    expect(bodies(calls, 'reef.v1.memories.update')[0]).toEqual({ id: 'v2', pinned: true });
    fireEvent.click(screen.getByTestId('memory-detail-delete'));
    const dialog = await screen.findByTestId('memory-delete-confirm');
    expect(dialog).toHaveTextContent('removes the text and vectors for real; the audit keeps that it was deleted');
    fireEvent.click(screen.getByTestId('memory-delete-confirm-ok'));
    await waitFor(() => expect(bodies(calls, 'reef.v1.memories.delete')[0]).toMatchObject({ ids: ['v2'] }));
    await waitFor(() => expect(screen.queryByTestId('memory-results-row-v2')).toBeNull());
  });

  it('an entity opens the graph on it', async () => {
    const { calls } = setup((s, b) => answer(s, b) ?? (s === 'reef.v1.entities.get' ? { entity: ent('e1', 'eu-west', 'place'), relations: [], neighbours: [] } : undefined));
    fireEvent.click(await screen.findByTestId('memory-results-row-v2'));
    fireEvent.click(await screen.findByTestId('memory-detail-entity-eu-west'));
    expect(await screen.findByTestId('memory-graph-node-eu-west')).toBeInTheDocument();
    expect(bodies(calls, 'reef.v1.entities.get')[0]).toEqual({ name: 'eu-west', type: 'place', depth: 1 });
  });
});

describe('entity graph', () => {
  const alice = ent('e1', 'Alice', 'person');
  const acme = ent('e2', 'Acme', 'org');
  const berlin = ent('e3', 'Berlin', 'place');
  const bob = ent('e4', 'Bob', 'person');
  const r1 = rel('r1', 'e1', 'works_at', 'e2');
  const r2 = rel('r2', 'e2', 'located_in', 'e3');
  const r3 = rel('r3', 'e4', 'works_at', 'e2');
  const replies: Record<string, EntityReply> = {
    Alice: { entity: alice, relations: [r1], neighbours: [{ entity: acme, relation: r1, direction: 'out', hops: 1 }] },
    Acme: {
      entity: acme,
      relations: [r1, r2, r3],
      neighbours: [
        { entity: alice, relation: r1, direction: 'in', hops: 1 },
        { entity: berlin, relation: r2, direction: 'out', hops: 1 },
        { entity: bob, relation: r3, direction: 'in', hops: 1 },
      ],
    },
  };

  it('opens an entity, then a click on a node brings in its neighbours with labelled edges; pan and zoom', async () => {
    const { calls } = setup((s, b) => (s === 'reef.v1.entities.get' ? replies[String(b.name)] : undefined));
    fireEvent.click(screen.getByTestId('memory-tab-graph'));
    expect(screen.getByTestId('memory-graph-empty')).toBeInTheDocument();
    fireEvent.change(screen.getByTestId('memory-graph-name'), { target: { value: 'Alice' } });
    fireEvent.click(screen.getByTestId('memory-graph-open'));
    const graph = await screen.findByTestId('memory-graph');
    await waitFor(() => expect(graph).toHaveAttribute('data-nodes', '2'));
    expect(graph).toHaveAttribute('data-edges', '1');
    expect(screen.getByTestId('memory-graph-node-Alice')).toHaveAttribute('data-expanded', 'true');
    expect(screen.getByTestId('memory-graph-node-Acme')).toHaveAttribute('data-expanded', 'false');
    expect(screen.getByTestId('memory-graph-edge-r1')).toHaveTextContent('works_at');

    fireEvent.click(screen.getByTestId('memory-graph-node-Acme'));
    await waitFor(() => expect(graph).toHaveAttribute('data-nodes', '4'));
    expect(bodies(calls, 'reef.v1.entities.get').at(-1)).toEqual({ name: 'Acme', type: 'org', depth: 1 });
    expect(graph).toHaveAttribute('data-edges', '3');
    expect(screen.getByTestId('memory-graph-node-Acme')).toHaveAttribute('data-expanded', 'true');
    expect(screen.getByTestId('memory-graph-edge-r2')).toHaveTextContent('located_in');
    // The keyboard list holds the same nodes, each expandable there.
    const list = screen.getByTestId('memory-graph-list');
    expect(within(list).getAllByRole('listitem').map((li) => li.textContent)).toEqual([expect.stringContaining('Alice'), expect.stringContaining('Acme'), expect.stringContaining('Berlin'), expect.stringContaining('Bob')]);
    expect(screen.getByTestId('memory-graph-expand-Berlin')).toBeEnabled();
    expect(screen.getByTestId('memory-graph-selected')).toHaveTextContent('→ located_in Berlin');

    const svg = screen.getByTestId('memory-graph-svg');
    fireEvent.click(screen.getByTestId('memory-graph-zoom-in'));
    expect(svg).toHaveAttribute('data-zoom', '1.25');
    fireEvent.wheel(svg, { deltaY: 100, clientX: 0, clientY: 0 });
    expect(Number(svg.getAttribute('data-zoom'))).toBeLessThan(1.25);
    fireEvent.pointerDown(svg, { clientX: 100, clientY: 100, pointerId: 1 });
    fireEvent.pointerMove(svg, { clientX: 140, clientY: 90, pointerId: 1 });
    fireEvent.pointerUp(svg, { clientX: 140, clientY: 90, pointerId: 1 });
    expect(svg.getAttribute('data-pan')).not.toBe('0,0');
    fireEvent.click(screen.getByTestId('memory-graph-reset'));
    expect(svg).toHaveAttribute('data-pan', '0,0');
  });

  it('lays nodes out apart, keeps settled ones near where they were, and the anchor in place', () => {
    const first = layout({ ids: ['a', 'b', 'c'], edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'c' }], positions: { a: { x: 0, y: 0 } }, parentOf: { b: 'a', c: 'a' }, anchor: 'a' });
    expect(first.a).toEqual({ x: 0, y: 0 });
    const d = (p: { x: number; y: number }, q: { x: number; y: number }) => Math.hypot(p.x - q.x, p.y - q.y);
    expect(d(first.b!, first.c!)).toBeGreaterThan(40);
    const next = layout({ ids: ['a', 'b', 'c', 'd'], edges: [{ from: 'a', to: 'b' }, { from: 'a', to: 'c' }, { from: 'b', to: 'd' }], positions: first, parentOf: { d: 'b' }, anchor: 'a', iterations: 80 });
    expect(d(next.b!, first.b!)).toBeLessThan(120);
    expect(d(next.d!, next.b!)).toBeLessThan(d(next.d!, next.c!) + 200);
    expect(layout({ ids: ['a', 'b'], edges: [], positions: {}, anchor: 'a' })).toEqual(layout({ ids: ['a', 'b'], edges: [], positions: {}, anchor: 'a' }));
  });
});

describe('entity merges', () => {
  const alice = ent('en_alice', 'Alice', 'person');
  const acme = ent('en_acme', 'Acme', 'org');
  const acmeInc = ent('en_acmeinc', 'ACME Inc', 'org');
  const bob = ent('en_bob', 'Bob', 'person');
  const r1 = rel('r1', 'en_alice', 'works_at', 'en_acme');
  const r2 = rel('r2', 'en_alice', 'knows', 'en_bob');
  const r3 = rel('r3', 'en_bob', 'works_at', 'en_acmeinc');
  const aliceReply: EntityReply = {
    entity: alice,
    relations: [r1, r2, r3],
    neighbours: [
      { entity: acme, relation: r1, direction: 'out', hops: 1 },
      { entity: bob, relation: r2, direction: 'out', hops: 1 },
      { entity: acmeInc, relation: r3, direction: 'out', hops: 2 },
    ],
  };
  const AT = Date.UTC(2026, 0, 12, 9, 30);
  const byName: EntityMerge = { id: 'em_1', kept: 'en_acme', merged: 'en_0000000000000000a1b2c3', at: AT, reason: 'embedding', similarity: 0.9412, undoneAt: null };
  const sameName: EntityMerge = { id: 'em_2', kept: 'en_alice', merged: 'en_bob', at: AT - DAY, reason: 'name', similarity: null, undoneAt: AT };
  const byOperator: EntityMerge = { id: 'em_3', kept: 'en_acme', merged: 'en_acmeinc', at: AT - 2 * DAY, reason: 'operator', similarity: null, undoneAt: null };

  function mergesSetup(first: EntityMerge[]) {
    let merges = first;
    const fake = setup((s, b) => {
      if (s === 'reef.v1.entities.get') return b.name === 'ACME Inc' ? { entity: acmeInc, relations: [], neighbours: [] } : aliceReply;
      if (s === 'reef.v1.entities.merges') return { merges };
      if (s === 'reef.v1.entities.unmerge') {
        const m = { ...(merges.find((x) => x.id === b.mergeId) as EntityMerge), undoneAt: AT + DAY };
        merges = merges.map((x) => (x.id === m.id ? m : x));
        return { merge: m };
      }
      if (s === 'reef.v1.entities.merge') {
        const m: EntityMerge = { id: 'em_9', kept: String(b.keep), merged: String(b.merge), at: AT + DAY, reason: 'operator', similarity: null, undoneAt: null };
        merges = [m, ...merges];
        return { merge: m };
      }
      return undefined;
    });
    return fake;
  }
  async function openAlice() {
    fireEvent.click(screen.getByTestId('memory-tab-graph'));
    fireEvent.change(screen.getByTestId('memory-graph-name'), { target: { value: 'Alice' } });
    fireEvent.click(screen.getByTestId('memory-graph-open'));
    await waitFor(() => expect(screen.getByTestId('memory-graph')).toHaveAttribute('data-nodes', '4'));
  }

  it('names both sides from the host\'s list, the graph unopened', async () => {
    const named: EntityMerge = { id: 'em_7', kept: 'en_k7', merged: 'en_m7', at: AT, reason: 'embedding', similarity: 0.96, undoneAt: null, keptEntity: { name: 'Initech', type: 'org' }, mergedEntity: { name: 'Initech LLC', type: 'org' } };
    mergesSetup([named]);
    fireEvent.click(screen.getByTestId('memory-tab-merges'));
    await screen.findByTestId('memory-merges');
    expect(screen.getByTestId('memory-merge-kept-em_7')).toHaveTextContent('Initech');
    expect(screen.getByTestId('memory-merge-merged-em_7')).toHaveTextContent('Initech LLC');
  });

  it('lists the merges with names the graph knows (ids shortened otherwise), the reason in words, and undoes one after the confirmation', async () => {
    const { calls, toasts } = mergesSetup([byName, sameName, byOperator]);
    await openAlice();
    fireEvent.click(screen.getByTestId('memory-tab-merges'));
    const list = await screen.findByTestId('memory-merges');
    expect(list).toHaveAttribute('data-count', '3');
    expect(screen.getByTestId('memory-merge-kept-em_1')).toHaveTextContent('Acme');
    // Never met in the graph: the id, shortened, with the full id in its title.
    const unknown = screen.getByTestId('memory-merge-merged-em_1');
    expect(unknown).toHaveTextContent('en_…a1b2c3');
    expect(unknown.getAttribute('title')).toContain('en_0000000000000000a1b2c3');
    expect(screen.getByTestId('memory-merge-reason-em_1')).toHaveTextContent('similar name (0.94)');
    expect(screen.getByTestId('memory-merge-reason-em_2')).toHaveTextContent('same name');
    expect(screen.getByTestId('memory-merge-reason-em_3')).toHaveTextContent('by the operator');
    expect(screen.getByTestId('memory-merge-merged-em_3')).toHaveTextContent('ACME Inc');
    expect(screen.getByTestId('memory-merge-em_2')).toHaveAttribute('data-undone', 'true');
    expect(screen.getByTestId('memory-merge-undone-em_2')).toHaveTextContent('undone');
    expect(screen.queryByTestId('memory-merge-undo-em_2')).toBeNull();

    // Cancel first (Esc): nothing is asked of the host.
    fireEvent.click(screen.getByTestId('memory-merge-undo-em_3'));
    const dialog = await screen.findByTestId('memory-unmerge-confirm');
    expect(dialog).toHaveTextContent('Undo the merge of ACME Inc into Acme?');
    expect(dialog).toHaveTextContent('ACME Inc comes back as an entity of its own, with the relations and memory links it had when it was merged');
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByTestId('memory-unmerge-confirm')).toBeNull();
    expect(bodies(calls, 'reef.v1.entities.unmerge')).toEqual([]);

    // Then for real, with Enter (the confirm button has the focus).
    const gets = bodies(calls, 'reef.v1.entities.get').length;
    fireEvent.click(screen.getByTestId('memory-merge-undo-em_3'));
    const again = await screen.findByTestId('memory-unmerge-confirm');
    expect(document.activeElement).toBe(screen.getByTestId('memory-unmerge-confirm-ok'));
    fireEvent.keyDown(again, { key: 'Enter' });
    await waitFor(() => expect(bodies(calls, 'reef.v1.entities.unmerge')).toEqual([{ mergeId: 'em_3' }]));
    await waitFor(() => expect(screen.getByTestId('memory-merge-em_3')).toHaveAttribute('data-undone', 'true'));
    expect(screen.queryByTestId('memory-unmerge-confirm')).toBeNull();
    expect(toasts.at(-1)).toEqual({ message: 'Undone: ACME Inc is its own entity again', tone: 'success' });
    // The list is read again, and the graph reloads around where it was opened.
    await waitFor(() => expect(bodies(calls, 'reef.v1.entities.merges').length).toBeGreaterThanOrEqual(2));
    await waitFor(() => expect(bodies(calls, 'reef.v1.entities.get').length).toBe(gets + 1));
    expect(bodies(calls, 'reef.v1.entities.get').at(-1)).toEqual({ name: 'Alice', depth: 1 });
  });

  it('says when there are none, and when they cannot be read', async () => {
    setup((s) => (s === 'reef.v1.entities.merges' ? { merges: [] } : undefined));
    fireEvent.click(screen.getByTestId('memory-tab-merges'));
    expect(await screen.findByTestId('memory-merges-empty')).toHaveTextContent('No entity merges yet.');
    cleanup();
    setup((s) => {
      if (s === 'reef.v1.entities.merges') throw new Error('operator only');
      return undefined;
    });
    fireEvent.click(screen.getByTestId('memory-tab-merges'));
    expect(await screen.findByTestId('memory-merges-error')).toHaveTextContent('operator only');
  });

  it('merges the selected node into another of its type picked from the graph, then reopens the graph on the kept one', async () => {
    const { calls, toasts } = mergesSetup([]);
    await openAlice();
    // Alice is the only person but for Bob; Acme's choices are the other orgs only.
    fireEvent.click(screen.getByTestId('memory-graph-item-Acme'));
    expect(screen.getByTestId('memory-graph-selected')).toHaveTextContent('Acme');
    const into = screen.getByTestId('memory-graph-merge-into');
    expect(into).toBeEnabled();
    fireEvent.click(into);
    const target = screen.getByTestId('memory-graph-merge-target') as HTMLSelectElement;
    expect(document.activeElement).toBe(target);
    expect([...target.options].map((o) => o.textContent)).toEqual(['ACME Inc']);
    // Esc leaves the picker; the button gets the focus back.
    fireEvent.keyDown(target, { key: 'Escape' });
    expect(screen.queryByTestId('memory-graph-merge-target')).toBeNull();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByTestId('memory-graph-merge-into')));

    fireEvent.click(screen.getByTestId('memory-graph-merge-into'));
    fireEvent.submit(screen.getByTestId('memory-graph-merge-form'));
    const dialog = await screen.findByTestId('memory-entity-merge-confirm');
    expect(dialog).toHaveTextContent('Merge Acme into ACME Inc?');
    expect(dialog).toHaveTextContent('ACME Inc takes over the relations and memory links of Acme');
    expect(dialog).toHaveAttribute('data-keep', 'en_acmeinc');
    fireEvent.keyDown(dialog, { key: 'Enter' });
    await waitFor(() => expect(bodies(calls, 'reef.v1.entities.merge')).toEqual([{ keep: 'en_acmeinc', merge: 'en_acme' }]));
    await waitFor(() => expect(bodies(calls, 'reef.v1.entities.get').at(-1)).toEqual({ name: 'ACME Inc', type: 'org', depth: 1 }));
    await waitFor(() => expect(screen.getByTestId('memory-graph')).toHaveAttribute('data-nodes', '1'));
    expect(screen.queryByTestId('memory-entity-merge-confirm')).toBeNull();
    expect(toasts.at(-1)).toEqual({ message: 'Merged Acme into ACME Inc', tone: 'success' });
    await waitFor(() => expect(bodies(calls, 'reef.v1.entities.merges').length).toBe(2));
    // The new merge is listed, by name (the graph met both).
    fireEvent.click(screen.getByTestId('memory-tab-merges'));
    expect(await screen.findByTestId('memory-merge-em_9')).toHaveTextContent('ACME Inc');
    expect(screen.getByTestId('memory-merge-merged-em_9')).toHaveTextContent('Acme');
    expect(screen.getByTestId('memory-merge-reason-em_9')).toHaveTextContent('by the operator');
  });

  it('keeps the dialog open with the reason when the host refuses, and offers no merge without another node of the type', async () => {
    const r4 = rel('r4', 'en_alice', 'knows', 'en_acmeinc');
    setup((s) => {
      if (s === 'reef.v1.entities.get') return { entity: alice, relations: [r1, r4], neighbours: [{ entity: acme, relation: r1, direction: 'out', hops: 1 }, { entity: acmeInc, relation: r4, direction: 'out', hops: 1 }] };
      if (s === 'reef.v1.entities.merge') throw new Error('entity en_acme was merged into en_x already');
      return undefined;
    });
    fireEvent.click(screen.getByTestId('memory-tab-graph'));
    fireEvent.change(screen.getByTestId('memory-graph-name'), { target: { value: 'Alice' } });
    fireEvent.click(screen.getByTestId('memory-graph-open'));
    await waitFor(() => expect(screen.getByTestId('memory-graph')).toHaveAttribute('data-nodes', '3'));
    // Alice (selected on open) is the only person.
    expect(screen.getByTestId('memory-graph-merge-into')).toHaveAttribute('disabled');
    fireEvent.focus(screen.getByTestId('memory-graph-item-Acme'));
    fireEvent.click(screen.getByTestId('memory-graph-merge-into'));
    fireEvent.submit(screen.getByTestId('memory-graph-merge-form'));
    fireEvent.click(await screen.findByTestId('memory-entity-merge-confirm-ok'));
    await waitFor(() => expect(screen.getByTestId('memory-entity-merge-confirm')).toHaveTextContent('Could not merge: entity en_acme was merged into en_x already'));
    expect(screen.getByTestId('memory-graph')).toHaveAttribute('data-nodes', '3');
    fireEvent.click(screen.getByTestId('memory-entity-merge-confirm-cancel'));
    expect(screen.queryByTestId('memory-entity-merge-confirm')).toBeNull();
    expect(screen.getByTestId('memory-graph-merge-target')).toBeInTheDocument();
  });
});

describe('duplicates', () => {
  const pair: DuplicatePair = { memory: mem('new1', { text: 'The deploy target is eu-west.' }), duplicateOf: mem('old1', { text: 'Deploys go to eu-west.' }), similarity: 0.973 };
  const other: DuplicatePair = { memory: mem('new2', { text: 'B' }), duplicateOf: mem('old2', { text: 'A' }), similarity: 0.96 };

  it('shows pairs side by side; Merge keeps the left, Keep both clears the mark on the host', async () => {
    const { calls } = setup((s) => {
      if (s === 'reef.v1.memories.duplicates') return { duplicates: [pair, other] };
      if (s === 'reef.v1.memories.merge') return { memory: pair.duplicateOf };
      if (s === 'reef.v1.memories.keepBoth') return { memory: other.memory };
      return undefined;
    });
    await waitFor(() => expect(screen.getByTestId('memory-tab-duplicates-count')).toHaveTextContent('2'));
    fireEvent.click(screen.getByTestId('memory-tab-duplicates'));
    const row = await screen.findByTestId('memory-dup-new1');
    expect(row).toHaveTextContent('similarity 0.973');
    expect(within(row).getByTestId('memory-dup-left-new1')).toHaveTextContent('Deploys go to eu-west.');
    expect(within(row).getByTestId('memory-dup-right-new1')).toHaveTextContent('The deploy target is eu-west.');
    fireEvent.click(screen.getByTestId('memory-dup-merge-new1'));
    await waitFor(() => expect(screen.queryByTestId('memory-dup-new1')).toBeNull());
    expect(bodies(calls, 'reef.v1.memories.merge')).toEqual([{ keep: 'old1', merge: 'new1' }]);
    fireEvent.click(screen.getByTestId('memory-dup-keep-new2'));
    await waitFor(() => expect(screen.queryByTestId('memory-dup-new2')).toBeNull());
    expect(bodies(calls, 'reef.v1.memories.keepBoth')).toEqual([{ id: 'new2' }]);
    expect(await screen.findByTestId('memory-duplicates-empty')).toBeInTheDocument();
  });
});

describe('overview', () => {
  it('draws counts per agent and product, growth per agent, the stat cards and the models', async () => {
    setup();
    fireEvent.click(screen.getByTestId('memory-tab-overview'));
    const overview = await screen.findByTestId('memory-overview');
    expect(within(overview).getByTestId('memory-stat-memories')).toHaveTextContent('7');
    expect(within(overview).getByTestId('memory-stat-entities')).toHaveTextContent('4');
    expect(within(overview).getByTestId('memory-stat-relations')).toHaveTextContent('3');
    expect(within(overview).getByTestId('memory-stat-duplicates')).toHaveTextContent('1');
    expect(within(overview).getByTestId('memory-by-agent-scout')).toHaveAttribute('data-count', '5');
    expect(within(overview).getByTestId('memory-by-product-(no product)')).toHaveAttribute('data-count', '1');
    const chart = within(overview).getByTestId('memory-growth-chart');
    expect(chart).toHaveAttribute('data-points', '30');
    expect(within(chart).getAllByTestId('memory-growth-chart-key').map((k) => k.textContent)).toEqual(['scout 0', 'writer 2']);
    expect(within(overview).getByTestId('memory-model-tiny-a')).toHaveTextContent('tiny-a 8 dims · 7 memories');
  });
});
