// The kit's small components: what the operator reads from each (badge text and tone, stat value, empty state, key hints).
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { EmptyState } from './EmptyState.js';
import { KeyHints } from './KeyHints.js';
import { StatCard } from './StatCard.js';
import { StatusBadge } from './StatusBadge.js';

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
