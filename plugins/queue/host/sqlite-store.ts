/**
 * The single-box TaskStore. The claims and completions that arrive in one turn of the event
 * loop share one BEGIN IMMEDIATE transaction (see `turn`); anything else is one transaction each.
 */
import type { Row, SqlExecutor } from '../../../sdk/index.js';
import { Batcher } from './batcher.js';
import { SqlTaskStore, type ClaimArgs } from './store.js';
import { json } from './task-row.js';

/** One claim or completion of a turn; each is answered with the rows it changed. */
type TurnOp = { kind: 'claim'; args: ClaimArgs } | { kind: 'complete'; id: string; leaseToken: string; result: string | null };

/** Event rows per INSERT: 6 parameters each, well under SQLite's 32,766. */
const EVENTS_PER_INSERT = 500;

/**
 * A claim's LIMIT, written into the statement rather than bound. SQLite reads a bound LIMIT of
 * an IN (SELECT …) while planning, so it marks the statement to be compiled again whenever
 * that parameter is bound: every claim was re-prepared, 40 of its 55 µs. A few hundred
 * distinct texts at most, each compiled once into the statement cache (main/db/sqlite.ts).
 */
function claimLimit(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`a claim's limit must be a count, not ${n}`);
  return `LIMIT ${n}`;
}

export class SqliteTaskStore extends SqlTaskStore {
  readonly dialect = 'sqlite' as const;
  protected readonly now = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";

  /**
   * Where the time went (issue 10.4): a commit writes every page the transaction dirtied to
   * the WAL, and one claim or completion dirties about eight (the task row, three indexes, the
   * event row and its two indexes), so a transaction per operation wrote ~8 pages per task
   * step where the rows of a turn share most of theirs. One transaction per turn writes them
   * once, and takes the lock, the mutex and the commit once. Acknowledged is still committed:
   * each caller is answered after the COMMIT; a failed transaction fails every caller in it.
   */
  private readonly turn = new Batcher<TurnOp, Row[]>((ops) => this.db.transaction((tx) => this.runTurn(tx, ops)));

  protected override fastClaim(args: ClaimArgs): Promise<Row[]> {
    return this.turn.call({ kind: 'claim', args });
  }

  protected override completeRows(id: string, leaseToken: string, result: unknown): Promise<Row[]> {
    return this.turn.call({ kind: 'complete', id, leaseToken, result: json(result) });
  }

  private async runTurn(tx: SqlExecutor, ops: TurnOp[]): Promise<Row[][]> {
    const out: Row[][] = [];
    const changed: Row[] = [];
    // In arrival order: the first claimer of a turn gets the first task in claim order.
    for (const op of ops) {
      const rows = op.kind === 'claim' ? await this.leaseRows(tx, op.args) : await this.markSucceeded(tx, op);
      out.push(rows);
      changed.push(...rows);
    }
    for (let i = 0; i < changed.length; i += EVENTS_PER_INSERT) await this.recordEvents(tx, changed.slice(i, i + EVENTS_PER_INSERT));
    return out;
  }

  /** The statements of a turn, built once: a per-call template string is built and hashed again for the statement cache. */
  private readonly completeSql = `UPDATE queue_tasks SET state = 'succeeded', result = ?, lease_expires_at = NULL, updated_at = ${this.now}
     WHERE id = ? AND lease_token = ? AND state = 'leased' AND lease_expires_at > ${this.now}
     RETURNING *`;
  private readonly claimSql = new Map<string, string>();

  private markSucceeded(tx: SqlExecutor, op: { id: string; leaseToken: string; result: string | null }): Promise<Row[]> {
    return tx.query(this.completeSql, [op.result, op.id, op.leaseToken]);
  }

  /** Leases up to `a.max` tasks without writing their events (the caller does). */
  private leaseRows(tx: SqlExecutor, a: ClaimArgs): Promise<Row[]> {
    const key = `${a.queues.length}|${a.excludeProducts.length}|${a.max}`;
    let sql = this.claimSql.get(key);
    if (sql === undefined) {
      sql = `UPDATE queue_tasks SET ${this.claimUpdateSet()}
       WHERE id IN (
         SELECT id FROM queue_tasks
         WHERE ${this.claimableWhere(a.queues.map(() => '?').join(', '), a.excludeProducts)}
         ORDER BY priority DESC, run_at, id ${claimLimit(a.max)})
       RETURNING *`;
      if (this.claimSql.size >= 1000) this.claimSql.clear();
      this.claimSql.set(key, sql);
    }
    return tx.query(sql, [a.token, a.worker, a.leaseMs, ...a.queues, ...a.excludeProducts]);
  }

  // db.transaction is BEGIN IMMEDIATE on SQLite: the write lock is taken before the read.
  protected async claimRows(tx: SqlExecutor, a: ClaimArgs): Promise<Row[]> {
    const rows = await this.leaseRows(tx, a);
    await this.recordEvents(tx, rows);
    return rows;
  }

  protected async lockForLimits(): Promise<void> {
    // BEGIN IMMEDIATE already holds the database's write lock.
  }
}
