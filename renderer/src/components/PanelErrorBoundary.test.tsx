// A crashing panel shows its error and a Retry button; the rest of the app keeps working.
import { cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAppStore } from '../stores/app-store.js';
import { PanelErrorBoundary } from './PanelErrorBoundary.js';

let shouldCrash = true;
function FlakyPanel() {
  if (shouldCrash) throw new Error('queue store is corrupt: row 7 has no id');
  return <p>Tasks: 12 queued</p>;
}

beforeEach(() => {
  shouldCrash = true;
  useAppStore.setState({ ready: false });
  // React logs caught render errors; keep the output readable.
  vi.spyOn(console, 'error').mockImplementation(() => undefined);
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

describe('PanelErrorBoundary', () => {
  it('contains a crash: shows the error, keeps the sibling panel, and recovers on Retry', () => {
    render(
      <div>
        <nav>
          <button type="button">Overview</button>
        </nav>
        <PanelErrorBoundary title="Queue crashed">
          <FlakyPanel />
        </PanelErrorBoundary>
        <PanelErrorBoundary title="Overview crashed">
          <p>Host is healthy</p>
        </PanelErrorBoundary>
      </div>,
    );
    const box = screen.getByTestId('panel-error');
    expect(box.textContent).toContain('Queue crashed');
    expect(box.textContent).toContain('queue store is corrupt: row 7 has no id');
    expect(screen.getByText('Host is healthy')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Overview' })).toBeTruthy();
    // An error still counts as "rendered" for the ready marker: the app must not hang on loading.
    expect(useAppStore.getState().ready).toBe(true);

    shouldCrash = false;
    fireEvent.click(screen.getByTestId('panel-retry'));
    expect(screen.queryByTestId('panel-error')).toBeNull();
    expect(screen.getByText('Tasks: 12 queued')).toBeTruthy();
  });
});
