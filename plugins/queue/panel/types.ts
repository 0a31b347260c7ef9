/** The wire shapes the panel reads: the host's own definitions, imported as types only (no host code runs here). */
import type { Task, TaskState } from '../host/schemas.js';
import type { DepthSample, ThroughputSample } from '../host/stats.js';
import type { TaskEvent } from '../host/store.js';

export type { DepthSample, Task, TaskEvent, TaskState, ThroughputSample };

export const TASK_STATES: readonly TaskState[] = ['ready', 'scheduled', 'leased', 'blocked', 'failed', 'dead', 'succeeded', 'cancelled'];

export interface TaskPage {
  tasks: Task[];
  nextCursor?: string;
}

export interface TaskHistory {
  task: Task;
  events: TaskEvent[];
}

export interface QueueInfo {
  name: string;
  counts: Partial<Record<TaskState, number>>;
  paused: boolean;
  maxInFlight: number | null;
  maxDepth: number | null;
}

export interface QueueList {
  queues: QueueInfo[];
  products: Array<{ name: string }>;
}

export interface QueueSeries {
  depth: DepthSample[];
  throughput: ThroughputSample[];
}

export type BulkAction = 'cancel' | 'retry';

export interface BulkResult {
  action: BulkAction;
  matched: number;
  changed: number;
}
