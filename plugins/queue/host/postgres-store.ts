/**
 * The factory TaskStore: claims lock rows with FOR UPDATE SKIP LOCKED so concurrent claimers
 * never wait on each other, a claim takes up to `max` tasks in one statement, and the event
 * rows are written in the same statement (a data-modifying CTE) to save round trips.
 */
import type { ClaimInput, ClaimedTask } from './schemas.js';
import { SqlTaskStore } from './store.js';
import { claimOrder } from './task-row.js';

export class PostgresTaskStore extends SqlTaskStore {
  readonly dialect = 'postgres' as const;
  protected readonly now = '(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint';

  async claim(input: Omit<ClaimInput, 'waitMs'>): Promise<ClaimedTask[]> {
    const token = this.newLeaseToken();
    const rows = await this.db.query(
      `WITH picked AS (
         SELECT id FROM queue_tasks
         WHERE queue = ANY(?::text[]) AND state IN ${SqlTaskStore.CLAIMABLE} AND run_at <= ${this.now}
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
      [input.queues, input.max, token, input.worker, input.leaseMs],
    );
    return this.claimed(rows.sort(claimOrder));
  }
}
