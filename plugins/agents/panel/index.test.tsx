// The Agents panel with a fake PanelApi: cards by liveness, ages ticking on one shared timer, events, filters, confirmed controls, audit.
import * as React from 'react';
import { ui } from '../../../sdk/panel/index.js';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReefError } from '../../../sdk/index.js';
import AgentsPanel from './index.js';
import { fakeApi, makeAgent, makeAuditEntry, noControls } from './test-fixtures.js';
import type { AgentView, ControlsWithRevision } from './types.js';

function setup(agents: AgentView[], controls: ControlsWithRevision = noControls()) {
  let state = controls;
  const fake = fakeApi((subject, body) => {
    switch (subject) {
      case 'reef.v1.agents.list':
        return { agents };
      case 'reef.v1.agents.controls':
        return state;
      case 'reef.v1.agents.audit':
        return { entries: [] };
      case 'reef.v1.agents.pause': {
        const name = body.name as string | undefined;
        state =
          body.scope === 'all'
            ? { ...state, pausedAll: true, revision: state.revision + 1 }
            : body.scope === 'product'
              ? { ...state, pausedProducts: [...state.pausedProducts, name ?? ''], revision: state.revision + 1 }
              : { ...state, pausedAgents: [...state.pausedAgents, name ?? ''], revision: state.revision + 1 };
        const affected = agents.filter((a) => body.scope === 'all' || a.product === name || a.id === name).length;
        return { controls: state, affected, entry: makeAuditEntry({ action: 'pause', scope: body.scope as 'product', name, affected, after: state }) };
      }
      default:
        throw new ReefError('not_found', subject);
    }
  });
  render(<AgentsPanel api={fake.api} pluginId="agents" panelId="fleet" React={React} ui={ui} />);
  return fake;
}

const card = (id: string) => screen.getByTestId(`agent-card-${id}`);

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

describe('AgentsPanel', () => {
  it('colours cards by liveness and says it in words, and ticks every age each second on one shared timer', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(Date.UTC(2025, 5, 1, 12, 0, 0));
    const agents = Array.from({ length: 30 }, (_, i) =>
      makeAgent(`agent-${String(i).padStart(2, '0')}`, { liveness: i % 3 === 0 ? 'stale' : i % 5 === 0 ? 'offline' : 'online', product: i % 2 ? 'acme' : 'globex' }),
    );
    setup(agents);
    await act(() => vi.advanceTimersByTimeAsync(0));
    expect(screen.getByTestId('agents-grid').children).toHaveLength(30);
    expect(card('agent-03').getAttribute('data-liveness')).toBe('stale');
    expect(card('agent-03').textContent).toContain('◐ stale');
    expect(card('agent-05').textContent).toContain('○ offline');
    expect(card('agent-01').textContent).toContain('● online');
    expect(screen.getByTestId('agent-age-agent-01').textContent).toBe('3s ago');
    // One 1 s clock for all 30 cards (the other timer is the slow list re-fetch).
    expect(vi.getTimerCount()).toBe(2);
    await act(() => vi.advanceTimersByTimeAsync(1000));
    expect(screen.getByTestId('agent-age-agent-01').textContent).toBe('4s ago');
    expect(screen.getByTestId('agent-age-agent-29').textContent).toBe('4s ago');
    await act(() => vi.advanceTimersByTimeAsync(60_000));
    expect(screen.getByTestId('agent-age-agent-01').textContent).toBe('1m 04s ago');
  });

  it('moves cards with events: a new agent from seen, a liveness change, a controls change with its badge', async () => {
    const { emit } = setup([makeAgent('forge', { product: 'acme' })]);
    await waitFor(() => expect(card('forge')).toBeTruthy());
    act(() => emit('reef.v1.events.agent.seen', { agent: makeAgent('scout', { status: 'idle' }) }));
    act(() => emit('reef.v1.events.agent.seen', { agent: makeAgent('scout', { status: 'busy', taskId: 't_9', model: 'qwen3-8b' }) }));
    await waitFor(() => expect(card('scout').textContent).toContain('t_9'));
    expect(card('scout').textContent).toContain('qwen3-8b');
    act(() => emit('reef.v1.events.agent.liveness', { id: 'forge', liveness: 'stale', previous: 'online' }));
    expect(card('forge').getAttribute('data-liveness')).toBe('stale');
    act(() => emit('reef.v1.events.agents.controls', { controls: noControls({ pausedProducts: ['acme'], revision: 5 }), entry: makeAuditEntry() }));
    expect(card('forge').getAttribute('data-control')).toBe('paused');
    expect(screen.getByTestId('agent-badge-forge').textContent).toBe('paused · product');
    expect(card('scout').getAttribute('data-control')).toBe('running');
    expect(within(screen.getByTestId('agents-audit')).getByText('paused product acme')).toBeTruthy();
    // An older controls state arriving late does not undo a newer one.
    act(() => emit('reef.v1.events.agents.controls', { controls: noControls({ revision: 4 }) }));
    expect(card('forge').getAttribute('data-control')).toBe('paused');
  });

  it('renders only the rows in view for a fleet of 5,000, and the last agent once scrolled to', async () => {
    const agents = Array.from({ length: 5000 }, (_, i) => makeAgent(`agent-${String(i).padStart(4, '0')}`, { product: i % 2 ? 'acme' : 'globex' }));
    setup(agents);
    await waitFor(() => expect(screen.getByTestId('agents-grid').getAttribute('data-virtual')).toBe('true'));
    const cards = () => screen.getByTestId('agents-grid').querySelectorAll('[data-testid^="agent-card-"]');
    expect(cards().length).toBeGreaterThan(0);
    expect(cards().length).toBeLessThan(100);
    expect(screen.queryByTestId('agent-card-agent-4999')).toBeNull();
    const scroller = screen.getByTestId('agents-grid-scroll');
    act(() => {
      scroller.scrollTop = Number.parseFloat((screen.getByTestId('agents-grid') as HTMLElement).style.height);
      fireEvent.scroll(scroller);
    });
    await waitFor(() => expect(card('agent-4999')).toBeTruthy());
    expect(cards().length).toBeLessThan(100);
    // Filtering down to a few hundred goes back to rendering every card.
    fireEvent.change(screen.getByTestId('agents-filter-text'), { target: { value: 'agent-00' } });
    await waitFor(() => expect(screen.getByTestId('agents-grid').getAttribute('data-virtual')).toBe('false'));
    expect(cards()).toHaveLength(100);
  });

  it('filters by liveness, product and text', async () => {
    setup([makeAgent('forge-1', { product: 'acme' }), makeAgent('forge-2', { product: 'globex', liveness: 'stale' }), makeAgent('scout', { product: 'acme', model: 'llama-70b' })]);
    await waitFor(() => expect(screen.getByTestId('agents-grid').children).toHaveLength(3));
    fireEvent.change(screen.getByTestId('agents-filter-liveness'), { target: { value: 'stale' } });
    expect(screen.getByTestId('agents-shown').getAttribute('data-count')).toBe('1');
    fireEvent.change(screen.getByTestId('agents-filter-liveness'), { target: { value: '' } });
    fireEvent.change(screen.getByTestId('agents-filter-product'), { target: { value: 'acme' } });
    expect(screen.getByTestId('agents-shown').textContent).toBe('2 of 3 agents');
    fireEvent.change(screen.getByTestId('agents-filter-text'), { target: { value: 'LLAMA' } });
    expect(screen.getByTestId('agents-grid').querySelectorAll('[data-testid^="agent-card-"]')).toHaveLength(1);
    expect(card('scout')).toBeTruthy();
  });

  it('confirms a product pause saying how many agents it affects: Esc cancels, Enter pauses, badges and audit follow', async () => {
    const { calls, toasts } = setup([makeAgent('forge', { product: 'acme' }), makeAgent('smith', { product: 'acme' }), makeAgent('scout', { product: 'globex' })]);
    await waitFor(() => expect(card('forge')).toBeTruthy());
    const pauses = () => calls.filter((c) => c.subject === 'reef.v1.agents.pause');

    const trigger = screen.getByTestId('agents-pause-product-acme');
    trigger.focus();
    fireEvent.click(trigger);
    const dialog = screen.getByTestId('agents-confirm');
    expect(dialog.getAttribute('data-count')).toBe('2');
    expect(dialog.textContent).toContain('Pause product acme?');
    expect(dialog.textContent).toContain('2 agents of acme stop getting new tasks');
    expect(document.activeElement).toBe(screen.getByTestId('agents-confirm-ok'));
    fireEvent.keyDown(document.activeElement as Element, { key: 'Tab' });
    expect(document.activeElement).toBe(screen.getByTestId('agents-confirm-cancel'));
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByTestId('agents-confirm')).toBeNull();
    expect(pauses()).toHaveLength(0);
    await waitFor(() => expect(document.activeElement).toBe(trigger));

    fireEvent.click(screen.getByTestId('agents-pause-product-acme'));
    fireEvent.keyDown(screen.getByTestId('agents-confirm-ok'), { key: 'Enter' });
    await waitFor(() => expect(screen.queryByTestId('agents-confirm')).toBeNull());
    expect(pauses().map((c) => c.body)).toEqual([{ scope: 'product', name: 'acme' }]);
    expect(card('forge').getAttribute('data-control')).toBe('paused');
    expect(card('smith').getAttribute('data-control')).toBe('paused');
    expect(card('scout').getAttribute('data-control')).toBe('running');
    expect(screen.getByTestId('agents-product-acme').getAttribute('data-paused')).toBe('true');
    expect(within(screen.getByTestId('agents-audit')).getByText('paused product acme')).toBeTruthy();
    expect(toasts.at(-1)).toEqual({ message: 'Pause product acme: done', tone: 'success' });
  });

  it('pauses the whole fleet after confirmation and shows the banner; a pause of one agent counts one', async () => {
    const { calls } = setup([makeAgent('forge'), makeAgent('scout')]);
    await waitFor(() => expect(card('forge')).toBeTruthy());
    fireEvent.click(screen.getByTestId('agent-pause-scout'));
    expect(screen.getByTestId('agents-confirm').getAttribute('data-count')).toBe('1');
    fireEvent.click(screen.getByTestId('agents-confirm-cancel'));
    fireEvent.click(screen.getByTestId('agents-pause-all'));
    expect(screen.getByTestId('agents-confirm').textContent).toContain('All 2 agents stop getting new tasks');
    fireEvent.click(screen.getByTestId('agents-confirm-ok'));
    await waitFor(() => expect(screen.getByTestId('agents-paused-banner')).toBeTruthy());
    expect(calls.filter((c) => c.subject === 'reef.v1.agents.pause').map((c) => c.body)).toEqual([{ scope: 'all' }]);
    expect(card('forge').getAttribute('data-control')).toBe('paused');
    expect((screen.getByTestId('agents-pause-all') as HTMLButtonElement).disabled).toBe(true);
  });

  it('keeps the dialog open with the error when the host refuses', async () => {
    const fake = fakeApi((subject) => {
      if (subject === 'reef.v1.agents.list') return { agents: [makeAgent('forge')] };
      if (subject === 'reef.v1.agents.controls') return noControls();
      if (subject === 'reef.v1.agents.audit') return { entries: [] };
      throw new ReefError('forbidden', 'pause of agents needs the operator token');
    });
    render(<AgentsPanel api={fake.api} pluginId="agents" panelId="fleet" React={React} ui={ui} />);
    await waitFor(() => expect(card('forge')).toBeTruthy());
    fireEvent.click(screen.getByTestId('agent-pause-forge'));
    fireEvent.click(screen.getByTestId('agents-confirm-ok'));
    await waitFor(() => expect(within(screen.getByTestId('agents-confirm')).getByRole('alert').textContent).toMatch(/operator token/));
  });

  it('offers the fix when no agent has reported: a curl for the heartbeat and the NATS subject', async () => {
    setup([]);
    await waitFor(() => expect(screen.getByTestId('agents-empty')).toBeTruthy());
    expect(screen.getByTestId('agents-empty-curl').textContent).toMatch(/curl -X POST .*\/v1\/agents\/NAME\/heartbeat/);
    expect(screen.getByTestId('agents-empty-subject').textContent).toBe('reef.v1.agents.NAME.heartbeat');
  });
});
