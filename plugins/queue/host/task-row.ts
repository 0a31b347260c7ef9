/** Rows of queue_tasks to and from the wire shape of a task. */
import type { Row } from '../../../sdk/index.js';
import type { ClaimedTask, Task, TaskState } from './schemas.js';

/**
 * Epoch ms as ISO 8601, remembered: the rows of one statement share their times (updated_at,
 * lease_expires_at are the statement's now(); a batch enqueued together shares created_at and
 * run_at), and formatting a Date was a tenth of the host's time draining a prefetching pool.
 */
const isoCache = new Map<number, string>();
const iso = (ms: unknown): string => {
  const n = Number(ms);
  let text = isoCache.get(n);
  if (text === undefined) {
    text = new Date(n).toISOString();
    if (isoCache.size >= 4096) isoCache.clear();
    isoCache.set(n, text);
  }
  return text;
};
const parse = (text: unknown): unknown => (text === null || text === undefined ? undefined : (JSON.parse(String(text)) as unknown));

/**
 * The columns taskFromRow reads: what a statement on the hot path returns instead of `*`. Each
 * column returned is a property built on a JavaScript object per row; RETURNING * built 25
 * (body_hash, a 64-character hex string, among them) where a task needs 19.
 */
export const TASK_COLUMNS =
  'id, queue, type, payload, priority, state, attempts, max_attempts, run_at, created_at, updated_at, tags, lease_expires_at, worker, result, last_error, idempotency_key, gates, progress';
/** TASK_COLUMNS and the lease token: what claimedFromRow reads. */
export const CLAIMED_COLUMNS = `${TASK_COLUMNS}, lease_token`;

export function taskFromRow(row: Row): Task {
  const task: Task = {
    id: String(row.id),
    queue: String(row.queue),
    type: String(row.type),
    payload: parse(row.payload) ?? null,
    priority: Number(row.priority),
    state: row.state as TaskState,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    runAt: iso(row.run_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    tags: (parse(row.tags) as Record<string, string> | undefined) ?? {},
  };
  if (row.state === 'leased' && row.lease_expires_at !== null) task.leaseExpiresAt = iso(row.lease_expires_at);
  if (row.worker !== null && row.worker !== undefined) task.worker = String(row.worker);
  const result = parse(row.result);
  if (result !== undefined) task.result = result;
  if (row.last_error !== null && row.last_error !== undefined) task.lastError = String(row.last_error);
  if (row.idempotency_key !== null && row.idempotency_key !== undefined) task.idempotencyKey = String(row.idempotency_key);
  const gates = parse(row.gates) as string[] | undefined;
  if (gates && gates.length) task.gates = gates;
  const progress = parse(row.progress);
  if (progress !== undefined) task.progress = progress;
  return task;
}

export function claimedFromRow(row: Row): ClaimedTask {
  const task = taskFromRow(row) as ClaimedTask;
  task.leaseToken = String(row.lease_token);
  return task;
}

export const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
