/** The single-box TaskStore: each claim is one BEGIN IMMEDIATE transaction with UPDATE … RETURNING. */
import type { Row, SqlExecutor } from '../../../sdk/index.js';
import { SqlTaskStore, type ClaimArgs } from './store.js';

export class SqliteTaskStore extends SqlTaskStore {
  readonly dialect = 'sqlite' as const;
  protected readonly now = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

  // db.transaction is BEGIN IMMEDIATE on SQLite: the write lock is taken before the read.
  protected async claimRows(tx: SqlExecutor, a: ClaimArgs): Promise<Row[]> {
    const rows = await tx.query(
      `UPDATE queue_tasks SET ${this.claimUpdateSet()}
       WHERE id IN (
         SELECT id FROM queue_tasks
         WHERE ${this.claimableWhere(a.queues.map(() => '?').join(', '), a.excludeProducts)}
         ORDER BY priority DESC, run_at, id LIMIT ?)
       RETURNING *`,
      [a.token, a.worker, a.leaseMs, ...a.queues, ...a.excludeProducts, a.max],
    );
    await this.recordEvents(tx, rows);
    return rows;
  }

  protected async lockForLimits(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's write lock.
  }
}
