// The Tasks panel with a fake PanelApi: filters reach the request, live events change rows, bulk needs a counted confirmation, details show history.
import * as React from 'react';
import { ui } from '../../../sdk/panel/index.js';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ReefError } from '../../../sdk/index.js';
import QueuePanel from './index.js';
import { fakeApi, makeTask, withState } from './test-fixtures.js';
import type { Task } from './types.js';

const dead = makeTask({ state: 'dead', attempts: 5, queue: 'evals', lastError: 'model returned malformed JSON', worker: 'w-7', result: undefined });
const ready = makeTask({ payload: { repo: 'acme-web', branch: 'main' } });
const queues = {
  queues: [
    { name: 'builds', counts: { ready: 1 }, paused: false, maxInFlight: null, maxDepth: null },
    { name: 'evals', counts: { dead: 1 }, paused: true, maxInFlight: null, maxDepth: null },
  ],
  products: [],
};

function setup(overrides: Partial<Record<string, (body: Record<string, unknown>) => unknown>> = {}) {
  const fake = fakeApi((subject, body) => {
    const override = overrides[subject];
    if (override) return override(body);
    switch (subject) {
      case 'reef.v1.tasks.list': {
        const state = body.state as string[] | undefined;
        return { tasks: [ready, dead].filter((t) => !state || state.includes(t.state)) };
      }
      case 'reef.v1.queues.list':
        return queues;
      case 'reef.v1.queues.stats':
        return { depth: [], throughput: [] };
      case 'reef.v1.tasks.history':
        return {
          task: dead,
          events: [
            { at: dead.createdAt, state: 'ready', attempt: 0 },
            { at: dead.createdAt, state: 'leased', attempt: 1, worker: 'w-7' },
            { at: dead.updatedAt, state: 'failed', attempt: 1, worker: 'w-7', error: 'timeout talking to the model' },
            { at: dead.updatedAt, state: 'dead', attempt: 5, worker: 'w-7', error: 'model returned malformed JSON' },
          ],
        };
      case 'reef.v1.tasks.bulk':
        return { action: body.action, matched: 1234, changed: body.dryRun ? 0 : 1234 };
      case 'reef.v1.tasks.retry':
        return { task: withState(dead, 'ready', { attempts: 0 }) };
      case 'reef.v1.queues.resume':
        return { queue: body.queue, paused: false };
      default:
        throw new ReefError('not_found', subject);
    }
  });
  render(<QueuePanel api={fake.api} pluginId="queue" panelId="tasks" React={React} ui={ui} />);
  return fake;
}

const lists = (calls: Array<{ subject: string; body: Record<string, unknown> }>) => calls.filter((c) => c.subject === 'reef.v1.tasks.list').map((c) => c.body);

afterEach(cleanup);

describe('QueuePanel', () => {
  it('shows the newest page, the total from the queue counts, and marks dead tasks with text as well as colour', async () => {
    const { calls } = setup();
    await waitFor(() => expect(screen.getByTestId(`queue-row-${dead.id}`)).toBeTruthy());
    expect(lists(calls)[0]).toEqual({ limit: 100 });
    expect(screen.getByTestId(`queue-row-${dead.id}`).getAttribute('data-state')).toBe('dead');
    expect(screen.getByTestId(`queue-row-${dead.id}`).textContent).toContain('✕ dead');
    await waitFor(() => expect(screen.getByTestId('queue-total').getAttribute('data-total')).toBe('2'));
    expect(screen.getByTestId('queue-paused-evals').textContent).toContain('paused');
  });

  it('sends the filters with the list request, the text only once typing pauses', async () => {
    const { calls } = setup();
    await waitFor(() => expect(lists(calls)).toHaveLength(1));
    fireEvent.click(screen.getByTestId('queue-filter-state-dead'));
    await waitFor(() => expect(lists(calls).at(-1)).toEqual({ state: ['dead'], limit: 100 }));
    fireEvent.change(screen.getByTestId('queue-filter-queue'), { target: { value: 'evals' } });
    fireEvent.change(screen.getByTestId('queue-filter-text'), { target: { value: 'mal' } });
    fireEvent.change(screen.getByTestId('queue-filter-text'), { target: { value: 'malformed' } });
    fireEvent.change(screen.getByTestId('queue-filter-agent'), { target: { value: 'builder' } });
    await waitFor(() => expect(lists(calls).at(-1)).toEqual({ state: ['dead'], queue: 'evals', 'tag.agent': 'builder', q: 'malformed', limit: 100 }));
    expect(lists(calls).some((b) => b.q === 'mal')).toBe(false);
    await waitFor(() => expect(screen.queryByTestId(`queue-row-${ready.id}`)).toBeNull());
  });

  it('applies task events to rows in place and adds new tasks on top', async () => {
    const { emit } = setup();
    await waitFor(() => expect(screen.getByTestId(`queue-row-${ready.id}`)).toBeTruthy());
    const fresh = makeTask({ type: 'fresh.one' });
    act(() => {
      emit('reef.v1.events.task.leased', { task: withState(ready, 'leased', { worker: 'w-1', leaseExpiresAt: '2999-01-01T00:00:00Z' }) });
      emit('reef.v1.events.task.ready', { task: fresh });
    });
    await waitFor(() => expect(screen.getByTestId(`queue-row-${ready.id}`).getAttribute('data-state')).toBe('leased'));
    const rows = screen.getAllByTestId(/^queue-row-/);
    expect(rows[0]?.getAttribute('data-testid')).toBe(`queue-row-${fresh.id}`);
  });

  it('bulk retry asks for a dry-run count first, runs only on Enter, and Esc backs out', async () => {
    const { calls, toasts } = setup();
    await waitFor(() => expect(screen.getByTestId(`queue-row-${dead.id}`)).toBeTruthy());
    fireEvent.click(screen.getByTestId('queue-filter-state-dead'));
    await waitFor(() => expect(lists(calls).at(-1)).toEqual({ state: ['dead'], limit: 100 }));

    fireEvent.click(screen.getByTestId('queue-bulk-retry'));
    await waitFor(() => expect(screen.getByTestId('queue-confirm-count').textContent).toBe('1,234'));
    const bulk = () => calls.filter((c) => c.subject === 'reef.v1.tasks.bulk').map((c) => c.body);
    expect(bulk()).toEqual([{ action: 'retry', filter: { state: ['dead'] }, dryRun: true }]);
    fireEvent.keyDown(screen.getByTestId('queue-confirm'), { key: 'Escape' });
    expect(screen.queryByTestId('queue-confirm')).toBeNull();
    expect(bulk()).toHaveLength(1);

    fireEvent.click(screen.getByTestId('queue-bulk-retry'));
    await waitFor(() => expect(screen.getByTestId('queue-confirm-ok')).toHaveProperty('disabled', false));
    expect(document.activeElement).toBe(screen.getByTestId('queue-confirm-ok'));
    fireEvent.keyDown(screen.getByTestId('queue-confirm-ok'), { key: 'Enter' });
    await waitFor(() => expect(screen.queryByTestId('queue-confirm')).toBeNull());
    expect(bulk().at(-1)).toEqual({ action: 'retry', filter: { state: ['dead'] }, dryRun: false });
    expect(toasts.at(-1)).toEqual({ message: 'Retried 1,234 tasks', tone: 'success' });
  });

  it('says why a bulk action failed, in the dialog and as a toast', async () => {
    const { toasts } = setup({
      'reef.v1.tasks.bulk': (body) => {
        if (body.dryRun) return { action: 'cancel', matched: 3, changed: 0 };
        throw new ReefError('forbidden', 'bulk actions needs the operator token');
      },
    });
    fireEvent.click(screen.getByTestId('queue-bulk-cancel'));
    await waitFor(() => expect(screen.getByTestId('queue-confirm-count').textContent).toBe('3'));
    fireEvent.click(screen.getByTestId('queue-confirm-ok'));
    await waitFor(() => expect(screen.getByTestId('queue-confirm').textContent).toContain('needs the operator token'));
    expect(toasts.at(-1)?.tone).toBe('error');
    fireEvent.click(screen.getByTestId('queue-confirm-cancel'));
    expect(screen.queryByTestId('queue-confirm')).toBeNull();
  });

  it('opens a task: payload, attempts, worker, error history and timeline; retry from there; Esc closes', async () => {
    const { calls, emit } = setup();
    await waitFor(() => expect(screen.getByTestId(`queue-row-${dead.id}`)).toBeTruthy());
    fireEvent.click(screen.getByTestId(`queue-row-${dead.id}`));
    const detail = screen.getByTestId('queue-detail');
    expect(detail.textContent).toContain('5 / 5');
    expect(detail.textContent).toContain('w-7');
    expect(within(detail).getByTestId('queue-detail-payload').textContent).toContain('"repo": "acme-web"');
    await waitFor(() => expect(within(detail).getByTestId('queue-detail-errors').textContent).toContain('timeout talking to the model'));
    expect(within(detail).getByTestId('queue-detail-errors').textContent).toContain('model returned malformed JSON');
    expect(within(detail).getByTestId('queue-detail-timeline').textContent).toContain('leased');
    expect(within(detail).getByTestId('queue-detail-cancel')).toHaveProperty('disabled', true);

    fireEvent.click(within(detail).getByTestId('queue-detail-retry'));
    await waitFor(() => expect(screen.getByTestId('queue-detail').getAttribute('data-state')).toBe('ready'));
    expect(calls.some((c) => c.subject === 'reef.v1.tasks.retry' && c.body.id === dead.id)).toBe(true);

    act(() => emit('reef.v1.events.task.leased', { task: withState(withState(dead, 'ready'), 'leased') }));
    await waitFor(() => expect(screen.getByTestId('queue-detail').getAttribute('data-state')).toBe('leased'));
    fireEvent.keyDown(screen.getByTestId('queue-detail-close'), { key: 'Escape' });
    expect(screen.queryByTestId('queue-detail')).toBeNull();
  });

  it('moves with j/k and opens with Enter from the table', async () => {
    setup();
    await waitFor(() => expect(screen.getByTestId(`queue-row-${dead.id}`)).toBeTruthy());
    const table = screen.getByTestId('queue-table-scroll');
    // Newest first: the ready task, then the dead one.
    fireEvent.keyDown(table, { key: 'j' });
    expect(screen.getByTestId(`queue-row-${ready.id}`).getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(table, { key: 'ArrowDown' });
    fireEvent.keyDown(table, { key: 'j' });
    expect(screen.getByTestId(`queue-row-${dead.id}`).getAttribute('aria-selected')).toBe('true');
    fireEvent.keyDown(table, { key: 'k' });
    fireEvent.keyDown(table, { key: 'Enter' });
    expect(screen.getByTestId('queue-detail').getAttribute('data-task')).toBe(ready.id);
    fireEvent.keyDown(table, { key: 'Escape' });
    expect(screen.queryByTestId('queue-detail')).toBeNull();
  });

  it('offers the fix when there are no tasks, and shows a failed load with its message', async () => {
    let fail = true;
    const { calls } = setup({
      'reef.v1.tasks.list': () => {
        if (fail) throw new ReefError('unavailable', 'the queue plugin is not running');
        return { tasks: [] as Task[] };
      },
    });
    await waitFor(() => expect(screen.getByTestId('queue-error').textContent).toContain('the queue plugin is not running'));
    fail = false;
    fireEvent.click(screen.getByTestId('queue-reload'));
    await waitFor(() => expect(screen.getByTestId('queue-empty').textContent).toContain('POST /v1/tasks'));
    expect(lists(calls)).toHaveLength(2);
  });

  it('resumes a paused queue', async () => {
    const { calls } = setup();
    await waitFor(() => expect(screen.getByTestId('queue-resume-evals')).toBeTruthy());
    fireEvent.click(screen.getByTestId('queue-resume-evals'));
    await waitFor(() => expect(screen.getByTestId('queue-pause-evals')).toBeTruthy());
    expect(calls.some((c) => c.subject === 'reef.v1.queues.resume' && c.body.queue === 'evals')).toBe(true);
    expect(screen.queryByTestId('queue-paused-evals')).toBeNull();
  });
});
