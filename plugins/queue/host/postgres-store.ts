/**
 * The factory TaskStore: claims lock rows with FOR UPDATE SKIP LOCKED so concurrent claimers
 * never wait on each other, a claim takes up to `max` tasks in one statement, and the event
 * rows are written in the same statement (a data-modifying CTE) to save round trips.
 */
import type { Row, SqlExecutor } from '../../../sdk/index.js';
import { SqlTaskStore, type ClaimArgs } from './store.js';

export class PostgresTaskStore extends SqlTaskStore {
  readonly dialect = 'postgres' as const;
  protected readonly now = '(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint';

  protected claimRows(ex: SqlExecutor, a: ClaimArgs): Promise<Row[]> {
    return ex.query(
      `WITH picked AS (
         SELECT id FROM queue_tasks
         WHERE ${this.claimableWhere('SELECT unnest(?::text[])', a.excludeProducts)}
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
      [a.queues, ...a.excludeProducts, a.max, a.token, a.worker, a.leaseMs],
    );
  }

  /** One statement commits on its own: no BEGIN/COMMIT round trips on the hot path. */
  protected override fastClaim(args: ClaimArgs): Promise<Row[]> {
    return this.claimRows(this.db, args);
  }

  protected async lockForLimits(tx: SqlExecutor): Promise<void> {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('reef.queue.limits'))");
  }
}
