/** Tasks and a fake PanelApi (the panel's boundary) for the panel's jsdom tests. */
import type { Task, TaskState } from './types.js';

let seq = 0;

/** A task with a time-sortable id: later calls are newer. */
export function makeTask(patch: Partial<Task> = {}): Task {
  seq++;
  const at = new Date(Date.UTC(2025, 0, 1, 12, 0, seq)).toISOString();
  return {
    id: `t_${String(seq).padStart(6, '0')}`,
    queue: 'builds',
    type: 'compile',
    payload: { repo: 'acme-web', n: seq },
    priority: 0,
    state: 'ready',
    attempts: 0,
    maxAttempts: 5,
    runAt: at,
    createdAt: at,
    updatedAt: at,
    tags: { product: 'acme', agent: 'builder' },
    ...patch,
  };
}

export function withState(task: Task, state: TaskState, patch: Partial<Task> = {}): Task {
  const updatedAt = new Date(Date.parse(task.updatedAt) + 1000).toISOString();
  return { ...task, state, updatedAt, ...patch };
}

/** Answers by subject; records every request; lets a test emit bus events. */
export { fakePanelApi as fakeApi } from '../../../sdk/testing.js';
