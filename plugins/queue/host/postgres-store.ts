/**
 * The factory TaskStore: claims lock rows with FOR UPDATE SKIP LOCKED so concurrent claimers
 * never wait on each other, a claim takes up to `max` tasks in one statement, and the event
 * rows are written in the same statement (a data-modifying CTE) to save round trips.
 */
import type { Row, SqlExecutor } from '../../../sdk/index.js';
import type { EnqueueInput, Task } from './schemas.js';
import { SqlTaskStore, bodyHash, newTaskId, type ClaimArgs } from './store.js';
import { taskFromRow } from './task-row.js';

export class PostgresTaskStore extends SqlTaskStore {
  readonly dialect = 'postgres' as const;
  // now() is the transaction's start (the statement's, outside one): stable, so the planner
  // can use it in index conditions, where clock_timestamp() would be evaluated per row.
  protected readonly now = '(EXTRACT(EPOCH FROM now()) * 1000)::bigint';

  protected claimRows(ex: SqlExecutor, a: ClaimArgs): Promise<Row[]> {
    return ex.query(
      `WITH picked AS (
         SELECT id FROM queue_tasks
         WHERE ${this.claimableWhere('?', a.excludeProducts, a.queues.length === 1 ? 'one' : 'any')}
         ORDER BY priority DESC, run_at, id
         LIMIT ? FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE queue_tasks t SET ${this.claimUpdateSet('t.')}
         FROM picked WHERE t.id = picked.id
         RETURNING t.*),
       events AS (
         INSERT INTO queue_task_events (task_id, at, state, attempt, worker)
         SELECT id, updated_at, state, attempts, worker FROM claimed)
       SELECT * FROM claimed`,
      [a.queues.length === 1 ? a.queues[0] : a.queues, ...a.excludeProducts, a.max, a.token, a.worker, a.leaseMs],
    );
  }

  /** One statement commits on its own: no BEGIN/COMMIT round trips on the hot path. */
  protected override fastClaim(args: ClaimArgs): Promise<Row[]> {
    return this.claimRows(this.db, args);
  }

  /**
   * The common enqueue — no idempotency key, no gates, no depth limit to check — as one
   * statement with its event; anything else takes the general path.
   */
  override async enqueue(input: EnqueueInput, enqueuedBy: string): Promise<{ task: Task; created: boolean }> {
    const limits = await this.limits.get(this.db);
    if (input.idempotencyKey !== undefined || input.gates?.length || limits.some((l) => l.maxDepth !== null)) {
      return super.enqueue(input, enqueuedBy);
    }
    const insert = this.insertSql(newTaskId(), input, bodyHash(input), enqueuedBy, false, []);
    const rows = await this.db.query(
      `WITH made AS (${insert.sql} RETURNING *),
       events AS (
         INSERT INTO queue_task_events (task_id, at, state, attempt, worker)
         SELECT id, updated_at, state, attempts, worker FROM made)
       SELECT * FROM made`,
      insert.params,
    );
    return { task: taskFromRow(rows[0] as Row), created: true };
  }

  /** The completion and its event in one statement: one round trip on the hot path. */
  protected override completeRows(id: string, leaseToken: string, result: unknown): Promise<Row[]> {
    return this.db.query(
      `WITH done AS (
         UPDATE queue_tasks SET state = 'succeeded', result = ?, lease_expires_at = NULL, updated_at = ${this.now}
         WHERE id = ? AND lease_token = ? AND state = 'leased' AND lease_expires_at > ${this.now}
         RETURNING *),
       events AS (
         INSERT INTO queue_task_events (task_id, at, state, attempt, worker)
         SELECT id, updated_at, state, attempts, worker FROM done)
       SELECT * FROM done`,
      [result === undefined ? null : JSON.stringify(result), id, leaseToken],
    );
  }

  protected async lockForLimits(tx: SqlExecutor): Promise<void> {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('reef.queue.limits'))");
  }
}
