/** The single-box TaskStore: each claim is one BEGIN IMMEDIATE transaction with UPDATE … RETURNING. */
import type { ClaimInput, ClaimedTask } from './schemas.js';
import { SqlTaskStore } from './store.js';
import { claimOrder } from './task-row.js';

export class SqliteTaskStore extends SqlTaskStore {
  readonly dialect = 'sqlite' as const;
  protected readonly now = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

  async claim(input: Omit<ClaimInput, 'waitMs'>): Promise<ClaimedTask[]> {
    const token = this.newLeaseToken();
    const queues = input.queues.map(() => '?').join(', ');
    // db.transaction is BEGIN IMMEDIATE on SQLite: the write lock is taken before the read.
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE queue_tasks SET ${this.claimUpdateSet()}
         WHERE id IN (
           SELECT id FROM queue_tasks
           WHERE queue IN (${queues}) AND state IN ${SqlTaskStore.CLAIMABLE} AND run_at <= ${this.now}
           ORDER BY priority DESC, run_at, id LIMIT ?)
         RETURNING *`,
        [token, input.worker, input.leaseMs, ...input.queues, input.max],
      );
      await this.recordEvents(tx, rows);
      return this.claimed(rows.sort(claimOrder));
    });
  }
}
