/**
 * The single box's dialect of the task store. The claims and completions that arrive in one
 * turn of the event loop share one BEGIN IMMEDIATE transaction (see `turn`); anything else is
 * one transaction each.
 */
import type { PluginDatabase, Row, SqlExecutor } from '../../../sdk/index.js';
import { Batcher } from './batcher.js';
import { CLAIM_ORDER, byClaimOrder, claimLimit, claimableWhere, newLeaseTokenPrefix, recordEvents } from './claim-sql.js';
import type { Completion, StoreDialect } from './dialect.js';
import { SqlTaskStore } from './sql-task-store.js';
import { CLAIMED_COLUMNS, TASK_COLUMNS } from './task-row.js';
import { DEFAULT_RETRY, type ClaimRequest, type RetryPolicy } from './store.js';

/** The database's clock in epoch ms. */
export const SQLITE_CLOCK = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

/** One claim, completion, or completion with the worker's next claim, of a turn. */
type TurnOp =
  | { kind: 'claim'; request: ClaimRequest }
  | { kind: 'complete'; completion: Completion }
  | { kind: 'completeAndClaim'; completion: Completion; request: ClaimRequest };
/** What a turn's operation changed: the claimed or completed rows, and the next claim's rows. */
type TurnOut = { rows: Row[]; next?: Row[] };

/** The statements of a turn, built once: a per-call template string is built and hashed again for the statement cache. */
const COMPLETE_SQL = `UPDATE queue_tasks SET state = 'succeeded', result = ?, lease_expires_at = NULL, updated_at = ${SQLITE_CLOCK}
     WHERE id = ? AND lease_token = ? AND state = 'leased' AND lease_expires_at > ${SQLITE_CLOCK}
     RETURNING ${TASK_COLUMNS}`;

export class SqliteDialect implements StoreDialect {
  readonly name = 'sqlite' as const;
  readonly clockSql = SQLITE_CLOCK;

  constructor(private readonly db: PluginDatabase) {}

  listOrder(small: boolean): string {
    // `+id` is no longer the column an index is ordered by: the planner, which without
    // statistics prefers walking the id index backwards for ORDER BY … LIMIT, reads the small
    // partial index instead and sorts what it found.
    return small ? '+id DESC' : 'id DESC';
  }

  async lockForLimits(): Promise<void> {
    // db.transaction is BEGIN IMMEDIATE on SQLite: the database's write lock is held already.
  }

  async claimInTransaction(tx: SqlExecutor, request: ClaimRequest): Promise<Row[]> {
    const rows = await this.leaseRows(tx, request);
    await recordEvents(tx, rows);
    return rows;
  }

  /**
   * Where the time went (issue 10.4): a commit writes every page the transaction dirtied to
   * the WAL, and one claim or completion dirties about eight (the task row, three indexes, the
   * event row and its two indexes), so a transaction per operation wrote ~8 pages per task
   * step where the rows of a turn share most of theirs. One transaction per turn writes them
   * once, and takes the lock, the mutex and the commit once. Acknowledged is still committed:
   * each caller is answered after the COMMIT; a failed transaction fails every caller in it.
   */
  private readonly turn = new Batcher<TurnOp, TurnOut>((ops) => this.db.transaction((tx) => this.runTurn(tx, ops)));

  async claimBatched(request: ClaimRequest): Promise<Row[]> {
    return (await this.turn.call({ kind: 'claim', request })).rows;
  }

  async completeBatched(completion: Completion): Promise<Row[]> {
    return (await this.turn.call({ kind: 'complete', completion })).rows;
  }

  /**
   * A worker's loop (complete with next) in one transaction instead of two: at one worker,
   * half the commits. A refused or repeated completion claims nothing here (undefined: the
   * store answers it in two steps).
   */
  async completeAndClaimBatched(completion: Completion, request: ClaimRequest): Promise<{ done: Row; next: Row[] } | undefined> {
    const { rows, next } = await this.turn.call({ kind: 'completeAndClaim', completion, request });
    return rows[0] ? { done: rows[0], next: next ?? [] } : undefined;
  }

  private async runTurn(tx: SqlExecutor, ops: TurnOp[]): Promise<TurnOut[]> {
    const out: TurnOut[] = [];
    const changed: Row[] = [];
    // In arrival order: the first claimer of a turn gets the first task in claim order.
    for (const op of ops) {
      if (op.kind === 'claim') {
        const rows = await this.leaseRows(tx, op.request);
        out.push({ rows });
        changed.push(...rows);
        continue;
      }
      const { result, id, leaseToken } = op.completion;
      const rows = await tx.query(COMPLETE_SQL, [result, id, leaseToken]);
      changed.push(...rows);
      if (op.kind === 'complete' || !rows[0]) {
        out.push({ rows });
        continue;
      }
      const next = await this.leaseRows(tx, op.request);
      out.push({ rows, next });
      changed.push(...next);
    }
    await recordEvents(tx, changed);
    return out;
  }

  private readonly claimSql = new Map<string, string>();

  /**
   * Leases up to `request.max` tasks without writing their events (the caller does); rows in
   * claim order (UPDATE … RETURNING has none of its own).
   */
  private async leaseRows(tx: SqlExecutor, request: ClaimRequest): Promise<Row[]> {
    const excluded = request.excludeProducts ?? [];
    const key = `${request.queues.length}|${excluded.length}|${request.max}`;
    let sql = this.claimSql.get(key);
    if (sql === undefined) {
      // By rowid, not id: the picked rows are found without a second seek through the id index;
      // `=` with one (most claims) spares the IN list's temporary table.
      sql = `UPDATE queue_tasks SET state = 'leased', attempts = attempts + 1, lease_token = CAST(? AS TEXT) || id, worker = ?,
         lease_expires_at = ${SQLITE_CLOCK} + ?, updated_at = ${SQLITE_CLOCK}, progress = NULL
       WHERE rowid ${request.max === 1 ? '=' : 'IN'} (
         SELECT rowid FROM queue_tasks
         WHERE ${claimableWhere(SQLITE_CLOCK, 'in', request.queues.length, excluded.length)}
         ORDER BY ${CLAIM_ORDER} ${claimLimit(request.max)})
       RETURNING ${CLAIMED_COLUMNS}`;
      if (this.claimSql.size >= 1000) this.claimSql.clear();
      this.claimSql.set(key, sql);
    }
    const rows = await tx.query(sql, [newLeaseTokenPrefix(), request.worker, request.leaseMs, ...request.queues, ...excluded]);
    return rows.length > 1 ? rows.sort(byClaimOrder) : rows;
  }
}

/** The SQLite task store: SqlTaskStore with the SQLite dialect. */
export class SqliteTaskStore extends SqlTaskStore {
  constructor(db: PluginDatabase, retryPolicy: RetryPolicy = DEFAULT_RETRY) {
    super(db, new SqliteDialect(db), retryPolicy);
  }
}
