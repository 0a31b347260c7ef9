// Live task events: batched once per frame, applied in place, new matching tasks on top, throughput counted.
import { describe, expect, it, vi } from 'vitest';
import { createTaskBatcher } from './event-batcher.js';
import { createQueueStore } from './queue-store.js';
import { makeTask, withState } from './test-fixtures.js';
import type { Task } from './types.js';

function loaded(tasks: Task[], nextCursor?: string, filter = {}) {
  const store = createQueueStore(filter);
  const generation = store.getState().beginLoad();
  store.getState().pageLoaded(generation, nextCursor ? { tasks, nextCursor } : { tasks }, false);
  return store;
}

describe('task events', () => {
  it('hands a burst over once per frame, the latest version of each task winning', () => {
    const frames: Array<() => void> = [];
    const apply = vi.fn();
    const batcher = createTaskBatcher(apply, (run) => frames.push(run));
    const tasks = Array.from({ length: 50 }, () => makeTask());
    for (let i = 0; i < 1000; i++) {
      const t = tasks[i % 50] as Task;
      batcher.push(withState(t, i < 950 ? 'leased' : 'succeeded', { updatedAt: new Date(Date.parse(t.updatedAt) + i).toISOString() }));
    }
    expect(apply).not.toHaveBeenCalled();
    expect(frames).toHaveLength(1);
    frames[0]?.();
    expect(apply).toHaveBeenCalledTimes(1);
    const [applied, tally] = apply.mock.calls[0] as [Task[], Map<number, { succeeded: number }>];
    expect(applied).toHaveLength(50);
    expect(applied.every((t) => t.state === 'succeeded')).toBe(true);
    expect([...tally.values()].reduce((n, r) => n + r.succeeded, 0)).toBe(50);
  });

  it('updates loaded rows in place and keeps rows that left the filter, marked stale', () => {
    const [a, b, c] = [makeTask(), makeTask({ state: 'dead' }), makeTask({ state: 'dead' })] as [Task, Task, Task];
    const store = loaded([c, b], undefined, { states: ['dead'] });
    const before = store.getState().tasks;
    store.getState().applyTasks([withState(b, 'ready'), withState(a, 'ready')]);
    const s = store.getState();
    expect(s.tasks.map((t) => t.id)).toEqual([c.id, b.id]);
    expect(s.tasks[1]?.state).toBe('ready');
    expect(s.tasks[0]).toBe(before[0]);
    expect(s.stale.has(b.id)).toBe(true);
    // An older copy arriving late changes nothing.
    store.getState().applyTasks([b]);
    expect(store.getState().tasks[1]?.state).toBe('ready');
  });

  it('puts new matching tasks on top, and leaves older unloaded ones to their page', () => {
    const old = makeTask();
    const [m1, m2] = [makeTask(), makeTask()];
    const store = loaded([m2, m1], 'cursor-after-m1');
    const fresh = makeTask();
    const other = makeTask({ queue: 'evals' });
    store.getState().applyTasks([fresh, withState(old, 'dead')]);
    expect(store.getState().tasks.map((t) => t.id)).toEqual([fresh.id, m2.id, m1.id]);
    expect(store.getState().index.get(m1.id)).toBe(2);

    const filtered = loaded([m2], undefined, { queue: 'builds' });
    filtered.getState().applyTasks([other]);
    expect(filtered.getState().tasks.map((t) => t.id)).toEqual([m2.id]);
  });

  it('drops pages answered for a filter that has since changed', () => {
    const store = createQueueStore();
    const first = store.getState().beginLoad();
    store.getState().setFilter({ queue: 'evals' });
    const second = store.getState().beginLoad();
    store.getState().pageLoaded(first, { tasks: [makeTask()] }, false);
    expect(store.getState().status).toBe('loading');
    store.getState().pageLoaded(second, { tasks: [] }, false);
    expect(store.getState().status).toBe('ready');
    expect(store.getState().tasks).toHaveLength(0);
  });

  it('moves the selection with j/k semantics and keeps the open detail on it', () => {
    const [a, b] = [makeTask(), makeTask()];
    const store = loaded([b, a]);
    store.getState().moveSelection(1);
    expect(store.getState().selectedId).toBe(b.id);
    store.getState().openDetail(b.id);
    store.getState().moveSelection(1);
    expect(store.getState().detailId).toBe(a.id);
    store.getState().moveSelection(1);
    expect(store.getState().selectedId).toBe(a.id);
  });
});
