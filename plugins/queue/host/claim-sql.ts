/**
 * What every claim statement shares, in both dialects: the claim order, which tasks are
 * claimable, the LIMIT, the lease a claim writes, and the event rows a state change writes.
 */
import { randomUUID } from 'node:crypto';
import type { Row, SqlExecutor } from '../../../sdk/index.js';
import { CLAIMABLE_PREDICATE } from './migrations.js';

/**
 * The claim order: highest priority first, then the earliest runAt, then the oldest id. The
 * only place it is written; byClaimOrder below is the same order for rows already read.
 */
export const CLAIM_ORDER = 'priority DESC, run_at, id';

/**
 * CLAIM_ORDER for rows in memory, for a claim whose statement cannot return its rows in order
 * (SQLite's UPDATE … RETURNING). Ids are compared byte by byte, as SQLite's BINARY collation
 * does: not localeCompare, whose order may differ from the database's. PostgreSQL's claims
 * carry the database's own numbering instead (PostgresDialect in postgres-store.ts).
 */
export function byClaimOrder(a: Row, b: Row): number {
  const ida = String(a.id);
  const idb = String(b.id);
  return Number(b.priority) - Number(a.priority) || Number(a.run_at) - Number(b.run_at) || (ida < idb ? -1 : ida > idb ? 1 : 0);
}

/**
 * How a claim names its queues: a list of placeholders (SQLite), one array parameter
 * (PostgreSQL, several queues) or `=` with one (either: an index scan then returns rows
 * already in claim order and LIMIT stops early).
 */
export type QueuesForm = 'in' | 'any' | 'one';

/**
 * The WHERE clause of a claim: claimable tasks of the queues, due by the database's clock,
 * paused queues and the excluded products left out. Parameters: the queue(s), then one per
 * excluded product.
 */
export function claimableWhere(clock: string, form: QueuesForm, queueCount: number, excludedProducts: number): string {
  const queues = form === 'any' ? 'queue = ANY(?::text[])' : form === 'one' ? 'queue = ?' : `queue IN (${placeholders(queueCount)})`;
  const products = excludedProducts ? ` AND (product IS NULL OR product NOT IN (${placeholders(excludedProducts)}))` : '';
  return `${queues} AND ${CLAIMABLE_PREDICATE} AND run_at <= ${clock}
      AND queue NOT IN (SELECT name FROM queue_limits WHERE kind = 'queue' AND paused = 1)${products}`;
}

export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/**
 * A claim's LIMIT, written into the statement rather than bound. PostgreSQL: a prepared
 * statement's generic plan does not know a bound LIMIT and guesses a tenth of the queue, and
 * with that guess the planner finds the picked rows by hashing the whole table (12 ms for a
 * claim of 10 with 20,000 tasks queued, against 0.5 ms). SQLite reads a bound LIMIT of an
 * IN (SELECT …) while planning, so it compiled the claim again at every bind (40 of its 55 µs).
 * A few hundred distinct texts at most, each prepared once per connection.
 */
export function claimLimit(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`a claim's limit must be a count, not ${n}`);
  return `LIMIT ${n}`;
}

/**
 * The prefix of the lease tokens one claim hands out: each task's token is the prefix and its
 * id, so a statement serving several claimers can tell their rows apart.
 */
export function newLeaseTokenPrefix(): string {
  return `${randomUUID()}.`;
}

/** The event of each row's new state, from a CTE of changed task rows (PostgreSQL). */
export function eventsFrom(cte: string): string {
  return `INSERT INTO queue_task_events (task_id, at, state, attempt, worker)
       SELECT id, updated_at, state, attempts, worker FROM ${cte}`;
}

/** Event rows per INSERT: 6 parameters each, well under SQLite's 32,766. */
const EVENTS_PER_INSERT = 500;

/** Writes the event of each row's new state; `error` or, for failed and dead, the row's last error. */
export async function recordEvents(tx: SqlExecutor, rows: readonly Row[], error?: string): Promise<void> {
  for (let start = 0; start < rows.length; start += EVENTS_PER_INSERT) {
    const values: unknown[] = [];
    const tuples = rows.slice(start, start + EVENTS_PER_INSERT).map((r) => {
      values.push(r.id, r.updated_at, r.state, r.attempts, r.worker ?? null, error ?? (r.state === 'failed' || r.state === 'dead' ? r.last_error : null) ?? null);
      return '(?, ?, ?, ?, ?, ?)';
    });
    await tx.execute(`INSERT INTO queue_task_events (task_id, at, state, attempt, worker, error) VALUES ${tuples.join(', ')}`, values);
  }
}
