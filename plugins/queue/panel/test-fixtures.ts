/** Tasks and a fake PanelApi (the panel's boundary) for the panel's jsdom tests. */
import type { PanelApi } from '../../../sdk/index.js';
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

export interface Call {
  subject: string;
  body: Record<string, unknown>;
}

/** Answers by subject; records every request; lets a test emit bus events. */
export function fakeApi(answer: (subject: string, body: Record<string, unknown>) => unknown) {
  const calls: Call[] = [];
  const toasts: Array<{ message: string; tone?: string }> = [];
  const listeners = new Map<string, (body: unknown, subject: string) => void>();
  const api: PanelApi = {
    request: async <T,>(subject: string, body?: unknown) => {
      const b = (body ?? {}) as Record<string, unknown>;
      calls.push({ subject, body: b });
      return (await answer(subject, b)) as T;
    },
    subscribe: (pattern, onMessage) => {
      listeners.set(pattern, onMessage);
      return () => listeners.delete(pattern);
    },
    toast: (message, tone) => {
      toasts.push(tone === undefined ? { message } : { message, tone });
    },
    openPanel: () => undefined,
    hostInfo: async () => {
      throw new Error('not used by the queue panel');
    },
    plugins: async () => [],
    manifestProblems: async () => [],
    onPluginsChanged: () => () => undefined,
  };
  const emit = (subject: string, body: unknown) => {
    for (const [pattern, listener] of listeners) {
      if (subject.startsWith(pattern.replace(/>$/, ''))) listener(body, subject);
    }
  };
  return { api, calls, toasts, emit, listeners };
}
