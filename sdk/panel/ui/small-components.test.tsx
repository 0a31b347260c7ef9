// The kit's small components: what the operator reads from each (badge text and tone, stat value, empty state, key hints, tabs).
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { EmptyState } from './EmptyState.js';
import { KeyHints } from './KeyHints.js';
import { StatCard } from './StatCard.js';
import { StatusBadge } from './StatusBadge.js';
import { Tabs } from './Tabs.js';

afterEach(cleanup);

describe('StatusBadge', () => {
  it('says the state in words with its glyph hidden from screen readers, and carries its tone', () => {
    render(
      <StatusBadge tone="error" glyph="✕" testId="b" emphasis data={{ state: 'dead' }}>
        dead
      </StatusBadge>,
    );
    const badge = screen.getByTestId('b');
    expect(badge.textContent).toBe('✕ dead');
    expect(badge.querySelector('[aria-hidden="true"]')?.textContent).toBe('✕');
    expect(badge.getAttribute('data-tone')).toBe('error');
    expect(badge.getAttribute('data-state')).toBe('dead');
    expect(badge.className).toContain('reef-ui-badge--error');
    expect(badge.className).toContain('reef-ui-badge--emphasis');
  });
});

describe('StatCard', () => {
  it('shows the label, the value and what follows it, coloured by tone', () => {
    render(
      <StatCard label="Errors / s" value="2.5" tone="error" testId="s">
        <span>/s</span>
      </StatCard>,
    );
    expect(screen.getByTestId('s').textContent).toBe('Errors / s2.5/s');
    expect(screen.getByText('2.5').className).toContain('reef-ui-stat__value--error');
  });
});

describe('EmptyState', () => {
  it('titles the empty place as a heading and keeps what to do below it', () => {
    render(
      <EmptyState title="No tasks yet" variant="card" testId="e">
        <button type="button">Clear filters</button>
      </EmptyState>,
    );
    expect(screen.getByRole('heading').textContent).toBe('No tasks yet');
    expect(screen.getByRole('button').textContent).toBe('Clear filters');
    expect(screen.getByTestId('e').className).toContain('reef-ui-empty--card');
  });
});

describe('KeyHints', () => {
  it('writes each key in a <kbd>, alternatives joined by a slash, hints by commas', () => {
    render(
      <KeyHints
        testId="k"
        lead="Live."
        hints={[
          { keys: ['j', 'k'], label: 'move' },
          { keys: ['Enter'], label: 'opens' },
        ]}
      />,
    );
    const hints = screen.getByTestId('k');
    expect(hints.textContent).toBe('Live. j/k move, Enter opens.');
    expect([...hints.querySelectorAll('kbd')].map((k) => k.textContent)).toEqual(['j', 'k', 'Enter']);
  });
});

describe('Tabs', () => {
  function Views({ onKey }: { onKey: (key: string) => void }) {
    const [active, setActive] = useState<'inbox' | 'history' | 'grants'>('inbox');
    return (
      <div onKeyDown={(e) => onKey(e.key)}>
        <Tabs
          label="Views"
          testId="t"
          active={active}
          onChange={setActive}
          tabs={[
            { id: 'inbox', label: 'Inbox', count: 3 },
            { id: 'history', label: 'History', count: 0 },
            { id: 'grants', label: 'Grants' },
          ]}
        />
        <p data-testid="shown">{active}</p>
      </div>
    );
  }

  it('presses one tab, shows counts above 0, and moves with the arrows, Home and End without the panel seeing those keys', () => {
    const seen: string[] = [];
    render(<Views onKey={(k) => seen.push(k)} />);
    expect(screen.getByRole('tablist', { name: 'Views' })).toBeTruthy();
    expect(screen.getByTestId('t-inbox').getAttribute('aria-selected')).toBe('true');
    expect(screen.getByTestId('t-inbox-count').textContent).toBe('3');
    expect(screen.queryByTestId('t-history-count')).toBeNull();
    // Only the pressed tab is in the Tab order.
    expect(screen.getAllByRole('tab').map((t) => t.tabIndex)).toEqual([0, -1, -1]);
    fireEvent.click(screen.getByTestId('t-grants'));
    expect(screen.getByTestId('shown').textContent).toBe('grants');
    fireEvent.keyDown(screen.getByTestId('t-grants'), { key: 'ArrowRight' });
    expect(screen.getByTestId('shown').textContent).toBe('inbox');
    expect(document.activeElement).toBe(screen.getByTestId('t-inbox'));
    fireEvent.keyDown(screen.getByTestId('t-inbox'), { key: 'ArrowLeft' });
    expect(screen.getByTestId('shown').textContent).toBe('grants');
    fireEvent.keyDown(screen.getByTestId('t-grants'), { key: 'Home' });
    expect(screen.getByTestId('shown').textContent).toBe('inbox');
    fireEvent.keyDown(screen.getByTestId('t-inbox'), { key: 'End' });
    expect(screen.getByTestId('shown').textContent).toBe('grants');
    // Keys the bar does not use reach the panel.
    fireEvent.keyDown(screen.getByTestId('t-grants'), { key: 'j' });
    expect(seen).toEqual(['j']);
  });
});
