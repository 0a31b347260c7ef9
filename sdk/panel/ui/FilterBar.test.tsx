// The kit's FilterBar: chips toggle values, selects pick one, text commits once typing pauses (or on Enter), Clear only while filtered.
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FilterField } from '../kit-types.js';
import { FILTER_TEXT_DEBOUNCE_MS, FilterBar } from './FilterBar.js';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

function fields(on: { states(v: string[]): void; owner(v: string): void; text(v: string): void }, selected: string[] = []): FilterField[] {
  return [
    { kind: 'chips', testId: 'f-state', label: 'State', selected, onChange: on.states, options: [{ value: 'ok', label: 'ok', glyph: '✓' }, { value: 'dead', label: 'dead', tone: 'error' }] },
    { kind: 'select', testId: 'f-owner', label: 'Owner', allLabel: 'Everyone', value: '', options: [{ value: 'ana' }, { value: 'bo', label: 'Bo' }], onChange: on.owner },
    { kind: 'text', testId: 'f-text', label: 'Search', value: '', suggestions: ['acme'], onChange: on.text },
  ];
}

describe('FilterBar', () => {
  it('toggles chips into and out of the selection, and picks one option of a select', () => {
    const on = { states: vi.fn(), owner: vi.fn(), text: vi.fn() };
    const { rerender } = render(<FilterBar testId="f" fields={fields(on)} />);
    fireEvent.click(screen.getByTestId('f-state-dead'));
    expect(on.states).toHaveBeenLastCalledWith(['dead']);
    rerender(<FilterBar testId="f" fields={fields(on, ['dead'])} />);
    expect(screen.getByTestId('f-state-dead').getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('f-state-dead').className).toContain('reef-ui-chip--error');
    fireEvent.click(screen.getByTestId('f-state-ok'));
    expect(on.states).toHaveBeenLastCalledWith(['dead', 'ok']);
    fireEvent.click(screen.getByTestId('f-state-dead'));
    expect(on.states).toHaveBeenLastCalledWith([]);

    expect([...screen.getByTestId('f-owner').querySelectorAll('option')].map((o) => o.textContent)).toEqual(['Everyone', 'ana', 'Bo']);
    fireEvent.change(screen.getByTestId('f-owner'), { target: { value: 'bo' } });
    expect(on.owner).toHaveBeenCalledWith('bo');
  });

  it('commits text once typing pauses, or at once on Enter', () => {
    vi.useFakeTimers();
    const on = { states: vi.fn(), owner: vi.fn(), text: vi.fn() };
    render(<FilterBar testId="f" fields={fields(on)} />);
    fireEvent.change(screen.getByTestId('f-text'), { target: { value: 'ac' } });
    act(() => vi.advanceTimersByTime(FILTER_TEXT_DEBOUNCE_MS - 50));
    fireEvent.change(screen.getByTestId('f-text'), { target: { value: 'acme' } });
    act(() => vi.advanceTimersByTime(FILTER_TEXT_DEBOUNCE_MS));
    expect(on.text.mock.calls).toEqual([['acme']]);
    fireEvent.change(screen.getByTestId('f-text'), { target: { value: 'acme-web' } });
    fireEvent.keyDown(screen.getByTestId('f-text'), { key: 'Enter' });
    expect(on.text).toHaveBeenLastCalledWith('acme-web');
  });

  it('offers Clear only when the panel says something is filtered, and keeps the panel actions', () => {
    const on = { states: vi.fn(), owner: vi.fn(), text: vi.fn() };
    const onClear = vi.fn();
    const { rerender } = render(
      <FilterBar testId="f" fields={fields(on)}>
        <button type="button">Act</button>
      </FilterBar>,
    );
    expect(screen.queryByTestId('f-clear')).toBeNull();
    expect(screen.getByText('Act')).toBeTruthy();
    rerender(<FilterBar testId="f" fields={fields(on)} onClear={onClear} />);
    fireEvent.click(screen.getByTestId('f-clear'));
    expect(onClear).toHaveBeenCalledOnce();
  });
});
