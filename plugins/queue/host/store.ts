/**
 * The TaskStore contract: every operation the queue service and the scheduler use, with the
 * types that cross it. One implementation, SqlTaskStore (sql-task-store.ts), runs on SQLite and
 * PostgreSQL through a dialect object (dialect.ts); test/conformance/task-store.ts asserts every
 * operation here on both.
 */
import type { ClaimInput, ClaimedTask, EnqueueInput, ListInput, Task, TaskState } from './schemas.js';
import type { Limit } from './limits.js';

export type { Limit } from './limits.js';

/**
 * A claim, as the service hands it to the store and the store to its dialect (the wire's
 * ClaimInput without the long poll). `excludeProducts`: products whose tasks go to no one (paused).
 */
export type ClaimRequest = Omit<ClaimInput, 'waitMs'> & { excludeProducts?: readonly string[] };

/** What a bulk action selects: a list filter without paging. */
export type BulkFilter = Omit<ListInput, 'limit' | 'cursor'>;
export type BulkAction = 'cancel' | 'retry';

/** States each bulk action applies to. */
export const BULK_STATES = {
  cancel: ['scheduled', 'ready', 'blocked', 'failed', 'leased'],
  retry: ['failed', 'dead', 'cancelled'],
} as const satisfies Record<BulkAction, readonly TaskState[]>;

export interface TaskEvent {
  at: string;
  state: TaskState;
  attempt: number;
  worker?: string;
  error?: string;
}

export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  random: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, capMs: 5 * 60_000, random: Math.random };

/** Exponential backoff with jitter: half fixed, half random, so retries of a burst spread out. */
export function backoffMs(attempt: number, policy: RetryPolicy = DEFAULT_RETRY): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * policy.random());
}

export interface TaskStore {
  readonly dialect: 'sqlite' | 'postgres';
  enqueue(input: EnqueueInput, enqueuedBy: string): Promise<{ task: Task; created: boolean }>;
  /** All or nothing: one bad task (a depth limit, an idempotency mismatch) enqueues none. */
  enqueueBatch(inputs: readonly EnqueueInput[], enqueuedBy: string): Promise<Array<{ task: Task; created: boolean }>>;
  /**
   * Enqueues for one schedule slot unless some host already did (then undefined): the
   * (schedule, slot) row and the task are written in one transaction, so the unique key decides.
   */
  enqueueForSlot(scheduleId: string, slot: number, task: Omit<EnqueueInput, 'runAt' | 'idempotencyKey'>, enqueuedBy: string): Promise<Task | undefined>;
  /** Leases up to `max` claimable tasks, highest priority first, then the earliest runAt, then the oldest id. */
  claim(request: ClaimRequest): Promise<ClaimedTask[]>;
  heartbeat(id: string, leaseToken: string, leaseMs: number | undefined, progress: unknown): Promise<{ leaseExpiresAt: string }>;
  /** Marks the task succeeded; completing again with the same token answers the same task, `changed` false. */
  complete(id: string, leaseToken: string, result: unknown): Promise<{ task: Task; changed: boolean }>;
  /**
   * Completes a task and claims the next ones for the same worker: one round trip for an
   * agent's loop. A refused completion (lease_lost, not_found) claims nothing.
   */
  completeAndClaim(id: string, leaseToken: string, result: unknown, next: ClaimRequest): Promise<{ task: Task; changed: boolean; next: ClaimedTask[] }>;
  fail(id: string, leaseToken: string, error: string, retryable: boolean): Promise<Task>;
  /**
   * Puts claimed tasks that could not be delivered (their claimer was gone) back to ready, the
   * attempt not counted. Tasks whose lease has moved on are left alone. Returns those put back.
   */
  release(claims: ReadonlyArray<{ id: string; leaseToken: string }>): Promise<Task[]>;
  get(id: string): Promise<Task | undefined>;
  list(filter: ListInput): Promise<{ tasks: Task[]; nextCursor?: string }>;
  cancel(id: string): Promise<Task>;
  retry(id: string): Promise<Task>;
  /** How many tasks a bulk action on `filter` would touch (for the confirmation). */
  bulkCount(action: BulkAction, filter: BulkFilter): Promise<number>;
  /** Applies a bulk action to at most `chunk` matching tasks in one transaction; call until it returns fewer. */
  bulkChunk(action: BulkAction, filter: BulkFilter, chunk?: number): Promise<Task[]>;
  /** Opens a gate; returns the tasks that it unblocked. */
  openGate(name: string, openedBy: string): Promise<Task[]>;
  /** Leases that ran out: back to ready (attempt counted) or dead. */
  reapExpiredLeases(limit?: number): Promise<Task[]>;
  history(id: string): Promise<TaskEvent[]>;
  /** Tasks per queue and state. */
  counts(): Promise<Array<{ queue: string; state: TaskState; count: number }>>;
  setLimit(limit: Limit): Promise<Limit>;
  /** The limits as stored now, read afresh (claims use a copy at most a second old; this refreshes it). */
  listLimits(): Promise<Limit[]>;
}

/**
 * Gates added to tasks that exist already (gate-hold.ts, SqlGateStore): what an approval with
 * `blocks` needs. A contract of its own beside TaskStore, with its own conformance suite
 * (test/conformance/gate-store.ts).
 */
export interface GateStore {
  /**
   * Adds gate `name` to each task, all or none: a ready, scheduled or failed task becomes blocked
   * (unless the gate was opened already); a blocked one gets one more gate. A task that is leased
   * or finished is `conflict`, an unknown one `not_found`. Returns every task named, and those it blocked.
   */
  hold(name: string, taskIds: readonly string[]): Promise<{ tasks: Task[]; blocked: Task[] }>;
  /** Ends the tasks that `name` still holds blocked as dead (not retried), with `error` as their last error. */
  failGated(name: string, error: string): Promise<Task[]>;
}
