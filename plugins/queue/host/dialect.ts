/**
 * What differs between the SQL databases the TaskStore runs on, as one object per dialect
 * (SqliteDialect in sqlite-store.ts, PostgresDialect in postgres-store.ts): the clock
 * expression, how claimers of limited queues are serialised, the claim statements, and how the
 * claims and completions that arrive
 * together are batched. SqlTaskStore (sql-task-store.ts) holds one and calls only this.
 */
import type { Row, SqlExecutor } from '../../../sdk/index.js';
import type { ClaimRequest } from './store.js';

/** A completion as the dialect writes it: the result already JSON (or null). */
export interface Completion {
  id: string;
  leaseToken: string;
  result: string | null;
}

export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  /** SQL for the database's clock in epoch ms: leases never depend on a worker's clock. */
  readonly clockSql: string;
  /**
   * The ORDER BY of a list, newest first. `small`: the filter's rows are in a small partial
   * index (task-filter.ts), which the database should read rather than walk every id.
   */
  listOrder(small: boolean): string;
  /** Serialises claimers of limited queues inside `tx`, so two cannot both take the last slot. */
  lockForLimits(tx: SqlExecutor): Promise<void>;
  /**
   * Leases up to `request.max` claimable tasks inside the caller's transaction and writes their
   * events (the path of claims under in-flight limits). Rows in claim order.
   */
  claimInTransaction(tx: SqlExecutor, request: ClaimRequest): Promise<Row[]>;
  /**
   * A claim with no in-flight limit to count and no excluded product (the store sends the
   * others to claimInTransaction): it may share a statement (PostgreSQL) or a transaction
   * (SQLite) with the claims and completions that arrive with it. Rows in claim order.
   */
  claimBatched(request: ClaimRequest): Promise<Row[]>;
  /**
   * Marks the task succeeded if `leaseToken` still holds it, with its event, possibly together
   * with others; the row changed, or none (a refusal or a repeat: the store tells which).
   */
  completeBatched(completion: Completion): Promise<Row[]>;
  /**
   * Where the dialect can complete and claim in one statement: the completed row and the
   * claimed rows (claim order), or undefined when the completion did not go through there
   * (refused or repeated; the store then completes and claims in two steps, which answers it).
   */
  completeAndClaimBatched?(completion: Completion, next: ClaimRequest): Promise<{ done: Row; next: Row[] } | undefined>;
  /** Where the dialect can insert a task and its event in one statement: that, given the INSERT. */
  insertWithEvent?(insert: { sql: string; params: unknown[] }): Promise<Row>;
}
