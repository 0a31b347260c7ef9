// The kit's ConfirmDialog: states the count, Esc backs out, Enter confirms only when there is something to do.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConfirmDialogProps } from '../kit-types.js';
import { ConfirmDialog } from './ConfirmDialog.js';

afterEach(cleanup);

function open(props: Partial<ConfirmDialogProps> = {}) {
  const onConfirm = vi.fn();
  const onCancel = vi.fn();
  const view = render(
    <ConfirmDialog testId="c" title="Drain agents?" count={3} noun="agent" confirmLabel="Drain 3" onConfirm={onConfirm} onCancel={onCancel} {...props}>
      <p>They finish their tasks and take no new ones.</p>
    </ConfirmDialog>,
  );
  return { onConfirm, onCancel, rerender: (p: Partial<ConfirmDialogProps>) => view.rerender(<ConfirmDialog testId="c" title="Drain agents?" count={3} noun="agent" confirmLabel="Drain 3" onConfirm={onConfirm} onCancel={onCancel} {...p} />) };
}

describe('ConfirmDialog', () => {
  it('states how many things it touches, with the noun in the right number', () => {
    open({ count: 1234 });
    expect(screen.getByTestId('c-count').textContent).toBe('1,234');
    expect(screen.getByTestId('c').textContent).toContain('Affects 1,234 agents');
    expect(screen.getByTestId('c').getAttribute('data-count')).toBe('1234');
    cleanup();
    open({ count: 1, noun: 'query', nounPlural: 'queries' });
    expect(screen.getByTestId('c').textContent).toContain('Affects 1 query');
  });

  it('Enter on the focused confirm button confirms; Esc anywhere in the dialog backs out', () => {
    const { onConfirm, onCancel } = open();
    expect(document.activeElement).toBe(screen.getByTestId('c-ok'));
    fireEvent.keyDown(screen.getByTestId('c-ok'), { key: 'Enter' });
    expect(onConfirm).toHaveBeenCalledTimes(1);
    fireEvent.keyDown(screen.getByTestId('c'), { key: 'Escape' });
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it('Enter on Cancel cancels, and Tab keeps focus between the two buttons', () => {
    const { onConfirm, onCancel } = open();
    fireEvent.keyDown(screen.getByTestId('c-ok'), { key: 'Tab' });
    expect(document.activeElement).toBe(screen.getByTestId('c-cancel'));
    fireEvent.keyDown(screen.getByTestId('c-cancel'), { key: 'Tab', shiftKey: true });
    expect(document.activeElement).toBe(screen.getByTestId('c-ok'));
    fireEvent.keyDown(screen.getByTestId('c-ok'), { key: 'Tab' });
    fireEvent.keyDown(screen.getByTestId('c-cancel'), { key: 'Enter' });
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(onConfirm).not.toHaveBeenCalled();
  });

  it('while counting, with nothing to do, or busy, Enter does nothing; the button enables and takes focus once counted', () => {
    const { onConfirm, rerender } = open({ count: undefined });
    expect(screen.getByTestId('c').textContent).toContain('Counting the agents this touches');
    expect(screen.getByTestId('c-ok')).toHaveProperty('disabled', true);
    expect(document.activeElement).toBe(screen.getByTestId('c'));
    fireEvent.keyDown(screen.getByTestId('c'), { key: 'Enter' });
    rerender({ count: 0 });
    fireEvent.keyDown(screen.getByTestId('c'), { key: 'Enter' });
    rerender({ count: 2, busy: true });
    expect(screen.getByTestId('c-ok').textContent).toContain('Working…');
    fireEvent.keyDown(screen.getByTestId('c'), { key: 'Enter' });
    expect(onConfirm).not.toHaveBeenCalled();
    rerender({ count: 2 });
    expect(document.activeElement).toBe(screen.getByTestId('c-ok'));
    fireEvent.keyDown(screen.getByTestId('c-ok'), { key: 'Enter' });
    expect(onConfirm).toHaveBeenCalledTimes(1);
  });

  it('shows an error as an alert and stays open; a click on the backdrop backs out', () => {
    const { onCancel } = open({ error: 'needs the operator token', data: { action: 'drain' } });
    expect(screen.getByRole('alert').textContent).toBe('needs the operator token');
    expect(screen.getByTestId('c').getAttribute('data-action')).toBe('drain');
    fireEvent.mouseDown(screen.getByTestId('c'));
    expect(onCancel).not.toHaveBeenCalled();
    fireEvent.mouseDown(screen.getByTestId('c').parentElement as HTMLElement);
    expect(onCancel).toHaveBeenCalledTimes(1);
  });
});
