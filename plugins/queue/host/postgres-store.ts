/**
 * The factory TaskStore: claims lock rows with FOR UPDATE SKIP LOCKED so concurrent claimers
 * never wait on each other, a claim takes up to `max` tasks in one statement, and the event
 * rows are written in the same statement (a data-modifying CTE) to save round trips.
 */
import type { Row, SqlExecutor } from '../../../sdk/index.js';
import { Batcher } from './batcher.js';
import type { ClaimedTask, EnqueueInput, Task } from './schemas.js';
import { SqlTaskStore, bodyHash, newTaskId, type ClaimArgs, type ClaimRequest } from './store.js';
import { claimOrder, taskFromRow } from './task-row.js';

/**
 * A claim's LIMIT, written into the statement rather than bound: a prepared statement's generic
 * plan does not know a bound LIMIT and guesses a tenth of the queue, and with that guess the
 * planner finds the picked rows by hashing the whole table (12 ms for a claim of 10 with
 * 20,000 tasks queued, against 0.5 ms). A few hundred distinct texts at most: each is prepared
 * once per connection (main/db/postgres.ts).
 */
function claimLimit(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`a claim's limit must be a count, not ${n}`);
  return `LIMIT ${n}`;
}

/** The database's clock in epoch ms. */
export const PG_NOW = '(EXTRACT(EPOCH FROM now()) * 1000)::bigint';

export class PostgresTaskStore extends SqlTaskStore {
  readonly dialect = 'postgres' as const;
  // now() is the transaction's start (the statement's, outside one): stable, so the planner
  // can use it in index conditions, where clock_timestamp() would be evaluated per row.
  protected readonly now = PG_NOW;

  protected claimRows(ex: SqlExecutor, a: ClaimArgs): Promise<Row[]> {
    return ex.query(
      `WITH picked AS (
         SELECT id FROM queue_tasks
         WHERE ${this.claimableWhere('?', a.excludeProducts, a.queues.length === 1 ? 'one' : 'any')}
         ORDER BY priority DESC, run_at, id
         ${claimLimit(a.max)} FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE queue_tasks t SET ${this.claimUpdateSet('t.')}
         FROM picked WHERE t.id = picked.id
         RETURNING t.*),
       events AS (
         INSERT INTO queue_task_events (task_id, at, state, attempt, worker)
         SELECT id, updated_at, state, attempts, worker FROM claimed)
       SELECT * FROM claimed`,
      [a.queues.length === 1 ? a.queues[0] : a.queues, ...a.excludeProducts, a.token, a.worker, a.leaseMs],
    );
  }

  /**
   * Claims on the same queues that arrive while one is in flight go out as one statement:
   * it locks as many rows as they asked for in all, numbers them in claim order, and hands
   * each claimer its share (its own worker name and lease token). Idle, a claim goes at once.
   */
  private readonly claimBatchers = new Map<string, Batcher<{ worker: string; token: string; max: number }, Row[]>>();

  protected override fastClaim(args: ClaimArgs): Promise<Row[]> {
    const batcher = batcherFor(this.claimBatchers, args, (inputs) => this.claimForMany(args.queues, args.leaseMs, inputs));
    return batcher.call({ worker: args.worker, token: args.token, max: args.max });
  }

  private async claimForMany(
    queues: readonly string[],
    leaseMs: number,
    inputs: Array<{ worker: string; token: string; max: number }>,
  ): Promise<Row[][]> {
    const slots = slotsOf(inputs);
    const rows = await this.db.query(
      `WITH picked AS (
         SELECT id, priority, run_at FROM queue_tasks
         WHERE ${this.claimableWhere('?', [], queues.length === 1 ? 'one' : 'any')}
         ORDER BY priority DESC, run_at, id
         ${claimLimit(slots.length)} FOR UPDATE SKIP LOCKED),
       numbered AS (SELECT id, row_number() OVER (ORDER BY priority DESC, run_at, id) AS slot FROM picked),
       claimed AS (
         -- Each row takes its claimer by its place in claim order: an array subscript, where a
         -- join of the slots would be planned as a nested loop (quadratic at hundreds of rows).
         UPDATE queue_tasks t SET state = 'leased', attempts = t.attempts + 1,
           lease_token = (?::text[])[numbered.slot] || t.id, worker = (?::text[])[numbered.slot],
           lease_expires_at = ${this.now} + ?, updated_at = ${this.now}, progress = NULL
         FROM numbered
         WHERE t.id = numbered.id
         RETURNING t.*),
       events AS (
         INSERT INTO queue_task_events (task_id, at, state, attempt, worker)
         SELECT id, updated_at, state, attempts, worker FROM claimed)
       SELECT * FROM claimed`,
      [queues.length === 1 ? queues[0] : queues, slots.map((i) => i.token), slots.map((i) => i.worker), leaseMs],
    );
    return inputs.map((i) => shareOf(rows, i.token));
  }

  /**
   * The common enqueue — no idempotency key, no gates, no depth limit to check — as one
   * statement with its event; anything else takes the general path.
   */
  override async enqueue(input: EnqueueInput, enqueuedBy: string): Promise<{ task: Task; created: boolean }> {
    const limits = await this.limits.get();
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

  /**
   * Completions that arrive while one is in flight go out together: one statement marks them
   * all succeeded and writes their events. Each caller gets its own row, or none (then the
   * general path tells idempotent repeat from lost lease).
   */
  private readonly completions = new Batcher<{ id: string; leaseToken: string; result: string | null }, Row[]>(async (inputs) => {
    const rows = await this.db.query(
      completeBatchSql(this.now),
      completeBatchParams(inputs),
    );
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    return inputs.map((i) => {
      const row = byId.get(i.id);
      // The same completion twice in one batch: the first changed it, the second repeats it.
      byId.delete(i.id);
      return row && row.lease_token === i.leaseToken ? [row] : [];
    });
  });

  protected override completeRows(id: string, leaseToken: string, result: unknown): Promise<Row[]> {
    return this.completions.call({ id, leaseToken, result: result === undefined ? null : JSON.stringify(result) });
  }

  /**
   * A completion with the claim of the next tasks (an agent's loop, one round trip): those that
   * arrive together go out as one statement that completes them all and claims, for each one
   * that completed, what its worker asked for. A refused or repeated completion claims nothing
   * there; it takes the general path, which refuses it or answers the repeat and then claims.
   */
  private readonly completeClaimBatchers = new Map<string, Batcher<CompleteClaimInput, { done?: Row; next: Row[] }>>();

  override async completeAndClaim(
    id: string,
    leaseToken: string,
    result: unknown,
    next: ClaimRequest,
  ): Promise<{ task: Task; changed: boolean; next: ClaimedTask[] }> {
    if (await this.claimLimits(next)) return super.completeAndClaim(id, leaseToken, result, next);
    const batcher = batcherFor(this.completeClaimBatchers, next, (inputs) => this.completeAndClaimMany(next.queues, next.leaseMs, inputs));
    const out = await batcher.call({
      id,
      leaseToken,
      result: result === undefined ? null : JSON.stringify(result),
      worker: next.worker,
      token: this.newLeaseToken(),
      max: next.max,
    });
    if (!out.done) return super.completeAndClaim(id, leaseToken, result, next);
    return { task: taskFromRow(out.done), changed: true, next: this.claimed(out.next.sort(claimOrder)) };
  }

  private async completeAndClaimMany(
    queues: readonly string[],
    leaseMs: number,
    inputs: CompleteClaimInput[],
  ): Promise<Array<{ done?: Row; next: Row[] }>> {
    // The same task twice in one batch: only the first goes in the statement (a second slot
    // for it would claim tasks nobody is answered with); the others take the general path.
    const seen = new Set<string>();
    const sent = inputs.filter((i) => !seen.has(i.id) && seen.add(i.id));
    const slots = slotsOf(sent);
    const where = this.claimableWhere('?', [], queues.length === 1 ? 'one' : 'any');
    const rows = await this.db.query(completeAndClaimSql(this.now, where, slots.length), [
      ...completeBatchParams(sent),
      slots.map((i) => i.id),
      slots.map((i) => i.token),
      slots.map((i) => i.worker),
      queues.length === 1 ? queues[0] : queues,
      leaseMs,
    ]);
    const done = new Map<string, Row>();
    const claimed: Row[] = [];
    for (const r of rows) {
      if (r.kind === 'done') done.set(String(r.id), r);
      else claimed.push(r);
    }
    const inStatement = new Set(sent);
    return inputs.map((i) => {
      const row = done.get(i.id);
      if (!row || row.lease_token !== i.leaseToken || !inStatement.has(i)) return { next: [] };
      return { done: row, next: shareOf(claimed, i.token) };
    });
  }

  protected async lockForLimits(tx: SqlExecutor): Promise<void> {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('reef.queue.limits'))");
  }
}

/**
 * The batcher for claims on these queues with this lease length (one statement serves only
 * claims that agree on both), made on first use; the map is emptied past 1,000 kinds.
 */
function batcherFor<In, Out>(
  batchers: Map<string, Batcher<In, Out>>,
  claim: { queues: readonly string[]; leaseMs: number },
  run: (inputs: In[]) => Promise<Out[]>,
): Batcher<In, Out> {
  const key = `${claim.leaseMs}|${claim.queues.join('\u0000')}`;
  let batcher = batchers.get(key);
  if (!batcher) {
    batcher = new Batcher(run);
    if (batchers.size > 1000) batchers.clear();
    batchers.set(key, batcher);
  }
  return batcher;
}

/** A batch's claim slots in order: each claimer once per task it asked for. */
function slotsOf<T extends { max: number }>(claimers: readonly T[]): T[] {
  return claimers.flatMap((c) => Array.from({ length: c.max }, () => c));
}

/** The rows a batched claim leased to one claimer: their lease tokens start with its prefix. */
function shareOf(rows: readonly Row[], tokenPrefix: string): Row[] {
  return rows.filter((r) => String(r.lease_token).startsWith(tokenPrefix));
}

interface CompleteClaimInput {
  id: string;
  leaseToken: string;
  result: string | null;
  worker: string;
  token: string;
  max: number;
}

/** The parameters of completeBatchSql: ids, lease tokens and results as three arrays. */
export function completeBatchParams(inputs: ReadonlyArray<{ id: string; leaseToken: string; result: string | null }>): unknown[] {
  return [inputs.map((i) => i.id), inputs.map((i) => i.leaseToken), inputs.map((i) => i.result)];
}

/**
 * Marks the tasks of a batch of completions succeeded (parameters from completeBatchParams)
 * and writes their events; returns the rows it changed.
 */
export function completeBatchSql(now: string): string {
  return `${completionCtes(now)}
     SELECT * FROM done`;
}

/**
 * completeBatchSql, then a claim for the completions that succeeded: each claim slot names the
 * task whose completion asks for it, and only the slots of tasks in `done` are filled. The
 * claim cannot take a task being completed (in the statement's snapshot it is leased).
 * Parameters: completeBatchParams, then slot task ids, slot lease-token prefixes and slot
 * workers (three arrays, `slots` long), the claim's queue(s), the lease in ms. Each row
 * carries `kind`: done or claimed.
 */
export function completeAndClaimSql(now: string, claimableWhere: string, slots: number): string {
  return `${completionCtes(now)},
     slots AS MATERIALIZED (
       SELECT array_agg(s.token ORDER BY s.n) AS tokens, array_agg(s.worker ORDER BY s.n) AS workers, count(*) AS n
       FROM unnest(?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS s(task_id, token, worker, n)
       WHERE s.task_id IN (SELECT id FROM done)),
     picked AS (
       SELECT id, priority, run_at FROM queue_tasks
       WHERE ${claimableWhere}
       ORDER BY priority DESC, run_at, id
       -- As many as were asked for (claimLimit). Slots of completions that did not go through
       -- stay empty: their rows are only locked, then left ready.
       ${claimLimit(slots)} FOR UPDATE SKIP LOCKED),
     numbered AS (SELECT id, row_number() OVER (ORDER BY priority DESC, run_at, id) AS slot FROM picked),
     claimed AS (
       UPDATE queue_tasks t SET state = 'leased', attempts = t.attempts + 1,
         lease_token = slots.tokens[numbered.slot] || t.id, worker = slots.workers[numbered.slot],
         lease_expires_at = ${now} + ?, updated_at = ${now}, progress = NULL
       FROM numbered, slots
       WHERE t.id = numbered.id AND numbered.slot <= slots.n
       RETURNING t.*),
     claim_events AS (
       INSERT INTO queue_task_events (task_id, at, state, attempt, worker)
       SELECT id, updated_at, state, attempts, worker FROM claimed)
     SELECT 'done' AS kind, * FROM done
     UNION ALL SELECT 'claimed' AS kind, * FROM claimed`;
}

function completionCtes(now: string): string {
  return `WITH input AS (SELECT * FROM unnest(?::text[], ?::text[], ?::text[]) AS i(id, lease_token, result)),
     done AS (
       UPDATE queue_tasks t SET state = 'succeeded', result = input.result, lease_expires_at = NULL, updated_at = ${now}
       FROM input
       WHERE t.id = input.id AND t.lease_token = input.lease_token
         -- The lease check in a form no index matches: written plainly, stale statistics (a
         -- queue churns faster than autoanalyze) let the planner walk every dead entry of the
         -- leased-tasks index instead of looking the ids up by primary key.
         AND CASE WHEN t.state = 'leased' THEN t.lease_expires_at > ${now} ELSE false END
       RETURNING t.*),
     done_events AS (
       INSERT INTO queue_task_events (task_id, at, state, attempt, worker)
       SELECT id, updated_at, state, attempts, worker FROM done)`;
}
