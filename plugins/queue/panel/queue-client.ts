/** The panel's client for the queue's bus operations: typed requests and event subscriptions, nothing else. */
import type { PanelApi } from '../../../sdk/panel/index.js';
import { toFilterBody, toListBody, type TaskFilter } from './filters.js';
import type { BulkAction, BulkResult, DepthSample, QueueList, QueueSeries, Task, TaskHistory, TaskPage } from './types.js';

export const TASK_EVENTS = 'reef.v1.events.task.>';
export const QUEUE_EVENTS = 'reef.v1.events.queue.>';

function taskOf(body: unknown): Task | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const task = (body as { task?: unknown }).task;
  if (typeof task !== 'object' || task === null) return undefined;
  const t = task as Partial<Task>;
  return typeof t.id === 'string' && typeof t.state === 'string' && typeof t.queue === 'string' ? (task as Task) : undefined;
}

function depthOf(body: unknown): DepthSample | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const s = body as Record<string, unknown>;
  return ['at', 'ready', 'scheduled', 'leased', 'blocked', 'failed', 'dead'].every((k) => typeof s[k] === 'number') ? (body as DepthSample) : undefined;
}

export type QueueEvent = { kind: 'depth'; sample: DepthSample } | { kind: 'paused' | 'resumed'; queue: string } | { kind: 'other' };

export class QueueClient {
  constructor(private readonly api: PanelApi) {}

  listTasks(filter: TaskFilter, page: { limit: number; cursor?: string | undefined }): Promise<TaskPage> {
    return this.api.request<TaskPage>('reef.v1.tasks.list', toListBody(filter, page));
  }

  history(id: string): Promise<TaskHistory> {
    return this.api.request<TaskHistory>('reef.v1.tasks.history', { id });
  }

  bulk(action: BulkAction, filter: TaskFilter, dryRun: boolean): Promise<BulkResult> {
    // A bulk run over many tasks can take longer than the default request timeout.
    return this.api.request<BulkResult>('reef.v1.tasks.bulk', { action, filter: toFilterBody(filter), dryRun }, { timeoutMs: dryRun ? 15_000 : 120_000 });
  }

  cancel(id: string): Promise<{ task: Task }> {
    return this.api.request<{ task: Task }>('reef.v1.tasks.cancel', { id });
  }

  retry(id: string): Promise<{ task: Task }> {
    return this.api.request<{ task: Task }>('reef.v1.tasks.retry', { id });
  }

  queues(): Promise<QueueList> {
    return this.api.request<QueueList>('reef.v1.queues.list', {});
  }

  setPaused(queue: string, paused: boolean): Promise<{ queue: string; paused: boolean }> {
    return this.api.request(paused ? 'reef.v1.queues.pause' : 'reef.v1.queues.resume', { queue });
  }

  series(): Promise<QueueSeries> {
    return this.api.request<QueueSeries>('reef.v1.queues.stats', {});
  }

  /** Every task transition, with the task as it is now. */
  onTask(listener: (task: Task) => void): () => void {
    return this.api.subscribe(TASK_EVENTS, (body) => {
      const task = taskOf(body);
      if (task) listener(task);
    });
  }

  onQueue(listener: (event: QueueEvent) => void): () => void {
    return this.api.subscribe(QUEUE_EVENTS, (body, subject) => {
      const kind = subject.slice(subject.lastIndexOf('.') + 1);
      if (kind === 'depth') {
        const sample = depthOf(body);
        if (sample) listener({ kind: 'depth', sample });
      } else if ((kind === 'paused' || kind === 'resumed') && typeof (body as { queue?: unknown } | null)?.queue === 'string') {
        listener({ kind, queue: (body as { queue: string }).queue });
      } else {
        listener({ kind: 'other' });
      }
    });
  }

  toast(message: string, tone?: 'info' | 'success' | 'error'): void {
    this.api.toast(message, tone);
  }
}
