/**
 * The factory tier's dialect of the task store: claims lock rows with FOR UPDATE SKIP LOCKED so
 * concurrent claimers never wait on each other, the claims (and completions) that arrive
 * together go out as one statement, and event rows are written in the same statement (a
 * data-modifying CTE) to save round trips.
 */
import type { PluginDatabase, Row, SqlExecutor } from '../../../sdk/index.js';
import { Batcher } from './batcher.js';
import { CLAIM_ORDER, claimLimit, claimableWhere, eventsFrom, newLeaseTokenPrefix } from './claim-sql.js';
import type { Completion, StoreDialect } from './dialect.js';
import { SqlTaskStore } from './sql-task-store.js';
import { DEFAULT_RETRY, type ClaimRequest, type RetryPolicy } from './store.js';

/**
 * The database's clock in epoch ms. now() is the transaction's start (the statement's, outside
 * one): stable, so the planner can use it in index conditions, where clock_timestamp() would be
 * evaluated per row.
 */
export const PG_CLOCK = '(EXTRACT(EPOCH FROM now()) * 1000)::bigint';

/** One claimer's place in a claim statement: it gets as many slots as tasks it asked for. */
interface Claimer {
  worker: string;
  tokenPrefix: string;
  max: number;
}

export class PostgresDialect implements StoreDialect {
  readonly name = 'postgres' as const;
  readonly clockSql = PG_CLOCK;

  constructor(private readonly db: PluginDatabase) {}

  listOrder(): string {
    // PostgreSQL keeps queue_tasks_state (state, id) and its planner has statistics.
    return 'id DESC';
  }

  async lockForLimits(tx: SqlExecutor): Promise<void> {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('reef.queue.limits'))");
  }

  claimInTransaction(tx: SqlExecutor, request: ClaimRequest): Promise<Row[]> {
    const excluded = request.excludeProducts ?? [];
    const claimer = { worker: request.worker, tokenPrefix: newLeaseTokenPrefix(), max: request.max };
    return tx.query(claimSql(request.queues.length, excluded.length, request.max), [...queueParams(request.queues), ...excluded, ...slotParams([claimer]), request.leaseMs]);
  }

  /**
   * Claims on the same queues with the same lease that arrive while one is in flight go out as
   * one statement: it locks as many rows as they asked for in all, numbers them in claim order,
   * and hands each claimer its share (its own worker name and lease tokens). Idle, a claim goes
   * at once (after the turn).
   */
  private readonly claimBatchers = new BatchersByClaim<Claimer, Row[]>();

  claimBatched(request: ClaimRequest): Promise<Row[]> {
    const batcher = this.claimBatchers.for(request, async (claimers) => {
      const slots = slotsOf(claimers);
      const rows = await this.db.query(claimSql(request.queues.length, 0, slots.length), [...queueParams(request.queues), ...slotParams(slots), request.leaseMs]);
      return claimers.map((c) => shareOf(rows, c.tokenPrefix));
    });
    return batcher.call({ worker: request.worker, tokenPrefix: newLeaseTokenPrefix(), max: request.max });
  }

  /**
   * Completions that arrive while one is in flight go out together: one statement marks them
   * all succeeded and writes their events. Each caller gets its own row, or none.
   */
  private readonly completions = new Batcher<Completion, Row[]>(async (inputs) => {
    const rows = await this.db.query(completeBatchSql(PG_CLOCK), completeBatchParams(inputs));
    const byId = new Map(rows.map((r) => [String(r.id), r]));
    return inputs.map((i) => {
      const row = byId.get(i.id);
      // The same completion twice in one batch: the first changed it, the second repeats it.
      byId.delete(i.id);
      return row && row.lease_token === i.leaseToken ? [row] : [];
    });
  });

  completeBatched(completion: Completion): Promise<Row[]> {
    return this.completions.call(completion);
  }

  /**
   * A completion with the claim of the next tasks (an agent's loop, one round trip): those that
   * arrive together go out as one statement that completes them all and claims, for each one
   * that completed, what its worker asked for. A refused or repeated completion claims nothing
   * there (undefined: the store's two-step path refuses it or answers the repeat, then claims).
   */
  private readonly completeClaimBatchers = new BatchersByClaim<{ completion: Completion; claimer: Claimer }, { done: Row; next: Row[] } | undefined>();

  completeAndClaimBatched(completion: Completion, next: ClaimRequest): Promise<{ done: Row; next: Row[] } | undefined> {
    const batcher = this.completeClaimBatchers.for(next, (inputs) => this.completeAndClaimMany(next, inputs));
    return batcher.call({ completion, claimer: { worker: next.worker, tokenPrefix: newLeaseTokenPrefix(), max: next.max } });
  }

  private async completeAndClaimMany(
    next: ClaimRequest,
    inputs: Array<{ completion: Completion; claimer: Claimer }>,
  ): Promise<Array<{ done: Row; next: Row[] } | undefined>> {
    // The same task twice in one batch: only the first goes in the statement (a second slot
    // for it would claim tasks nobody is answered with); the others take the two-step path.
    const seen = new Set<string>();
    const sent = inputs.filter((i) => !seen.has(i.completion.id) && seen.add(i.completion.id));
    const slots = slotsOf(sent.map((i) => ({ ...i.claimer, taskId: i.completion.id })));
    const rows = await this.db.query(completeAndClaimSql(PG_CLOCK, next.queues.length, slots.length), [
      ...completeBatchParams(sent.map((i) => i.completion)),
      slots.map((s) => s.taskId),
      ...slotParams(slots),
      ...queueParams(next.queues),
      next.leaseMs,
    ]);
    const done = new Map<string, Row>();
    const claimed: Row[] = [];
    for (const r of rows) {
      if (r.kind === 'done') done.set(String(r.id), r);
      else claimed.push(r);
    }
    const inStatement = new Set(sent);
    return inputs.map((i) => {
      const row = done.get(i.completion.id);
      if (!row || row.lease_token !== i.completion.leaseToken || !inStatement.has(i)) return undefined;
      return { done: row, next: shareOf(claimed, i.claimer.tokenPrefix) };
    });
  }

  async insertWithEvent(insert: { sql: string; params: unknown[] }): Promise<Row> {
    const rows = await this.db.query(
      `WITH made AS (${insert.sql} RETURNING *),
       events AS (${eventsFrom('made')})
       SELECT * FROM made`,
      insert.params,
    );
    return rows[0] as Row;
  }
}

/** The PostgreSQL task store: SqlTaskStore with the PostgreSQL dialect. */
export class PostgresTaskStore extends SqlTaskStore {
  constructor(db: PluginDatabase, retryPolicy: RetryPolicy = DEFAULT_RETRY) {
    super(db, new PostgresDialect(db), retryPolicy);
  }
}

/**
 * One batcher per kind of claim (the same queues and lease length: one statement serves only
 * claims that agree on both), made on first use; emptied past 1,000 kinds.
 */
class BatchersByClaim<In, Out> {
  private readonly batchers = new Map<string, Batcher<In, Out>>();

  for(claim: ClaimRequest, run: (inputs: In[]) => Promise<Out[]>): Batcher<In, Out> {
    const key = `${claim.leaseMs}|${claim.queues.join('\u0000')}`;
    let batcher = this.batchers.get(key);
    if (!batcher) {
      batcher = new Batcher(run);
      if (this.batchers.size > 1000) this.batchers.clear();
      this.batchers.set(key, batcher);
    }
    return batcher;
  }
}

/** One queue is a text parameter (compared with `=`), several one array. */
const queueParams = (queues: readonly string[]): unknown[] => [queues.length === 1 ? queues[0] : queues];

/** A statement's claim slots in order: each claimer once per task it asked for. */
function slotsOf<T extends { max: number }>(claimers: readonly T[]): T[] {
  return claimers.flatMap((c) => Array.from({ length: c.max }, () => c));
}

/** The slot parameters of claimCtes: the lease-token prefixes, then the workers, of each slot. */
const slotParams = (slots: ReadonlyArray<{ tokenPrefix: string; worker: string }>): unknown[] => [slots.map((s) => s.tokenPrefix), slots.map((s) => s.worker)];

/** The rows a batched claim leased to one claimer (their lease tokens start with its prefix), in claim order. */
function shareOf(rows: readonly Row[], tokenPrefix: string): Row[] {
  return rows.filter((r) => String(r.lease_token).startsWith(tokenPrefix));
}

/**
 * The claim, as CTEs: `picked` locks up to `limit` claimable rows in claim order, `numbered`
 * numbers them, `claimed` leases row n to slot n (its token prefix and worker: an array
 * subscript, where a join of the slots would be planned as a nested loop, quadratic at hundreds
 * of rows), `claim_events` writes their events. `slots` names where the slot arrays come from:
 * parameters (two arrays, after the WHERE's), or the `slots` CTE of a completion.
 * The last parameter is the lease in ms. Rows carry `claim_slot`.
 */
function claimCtes(queueCount: number, excludedProducts: number, limit: number, slots: 'parameters' | 'slots-cte'): string {
  const [tokens, workers, from, filled] =
    slots === 'parameters' ? ['(?::text[])', '(?::text[])', '', ''] : ['slots.tokens', 'slots.workers', ', slots', ' AND numbered.slot <= slots.n'];
  return `picked AS (
       SELECT id, priority, run_at FROM queue_tasks
       WHERE ${claimableWhere(PG_CLOCK, queueCount === 1 ? 'one' : 'any', queueCount, excludedProducts)}
       ORDER BY ${CLAIM_ORDER}
       ${claimLimit(limit)} FOR UPDATE SKIP LOCKED),
     numbered AS (SELECT id, row_number() OVER (ORDER BY ${CLAIM_ORDER}) AS slot FROM picked),
     claimed AS (
       UPDATE queue_tasks t SET state = 'leased', attempts = t.attempts + 1,
         lease_token = ${tokens}[numbered.slot] || t.id, worker = ${workers}[numbered.slot],
         lease_expires_at = ${PG_CLOCK} + ?, updated_at = ${PG_CLOCK}, progress = NULL
       FROM numbered${from}
       WHERE t.id = numbered.id${filled}
       RETURNING t.*, numbered.slot AS claim_slot),
     claim_events AS (${eventsFrom('claimed')})`;
}

/**
 * A claim of `limit` slots. Parameters: the queue(s), the excluded products, the slots' token
 * prefixes and workers (two arrays, `limit` long), the lease in ms. Rows in claim order.
 */
function claimSql(queueCount: number, excludedProducts: number, limit: number): string {
  return `WITH ${claimCtes(queueCount, excludedProducts, limit, 'parameters')}
     SELECT * FROM claimed ORDER BY claim_slot`;
}

/** The parameters of completeBatchSql: ids, lease tokens and results as three arrays. */
export function completeBatchParams(inputs: readonly Completion[]): unknown[] {
  return [inputs.map((i) => i.id), inputs.map((i) => i.leaseToken), inputs.map((i) => i.result)];
}

/**
 * Marks the tasks of a batch of completions succeeded (parameters from completeBatchParams)
 * and writes their events; returns the rows it changed.
 */
export function completeBatchSql(clock: string): string {
  return `${completionCtes(clock)}
     SELECT * FROM done`;
}

/**
 * completeBatchSql, then a claim for the completions that succeeded: each claim slot names the
 * task whose completion asks for it, and only the slots of tasks in `done` are filled. The
 * claim cannot take a task being completed (in the statement's snapshot it is leased). Slots of
 * completions that did not go through stay empty: their rows are only locked, then left ready.
 * Parameters: completeBatchParams, then slot task ids, slot lease-token prefixes and slot
 * workers (three arrays, `slots` long), the claim's queue(s), the lease in ms. Each row
 * carries `kind`: done or claimed; the claimed in claim order.
 */
export function completeAndClaimSql(clock: string, queueCount: number, slots: number): string {
  return `${completionCtes(clock)},
     slots AS MATERIALIZED (
       SELECT array_agg(s.token ORDER BY s.n) AS tokens, array_agg(s.worker ORDER BY s.n) AS workers, count(*) AS n
       FROM unnest(?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS s(task_id, token, worker, n)
       WHERE s.task_id IN (SELECT id FROM done)),
     ${claimCtes(queueCount, 0, slots, 'slots-cte')}
     SELECT 'done' AS kind, *, NULL::bigint AS claim_slot FROM done
     UNION ALL SELECT 'claimed' AS kind, * FROM claimed
     ORDER BY claim_slot NULLS FIRST`;
}

function completionCtes(clock: string): string {
  return `WITH input AS (SELECT * FROM unnest(?::text[], ?::text[], ?::text[]) AS i(id, lease_token, result)),
     done AS (
       UPDATE queue_tasks t SET state = 'succeeded', result = input.result, lease_expires_at = NULL, updated_at = ${clock}
       FROM input
       WHERE t.id = input.id AND t.lease_token = input.lease_token
         -- The lease check in a form no index matches: written plainly, stale statistics (a
         -- queue churns faster than autoanalyze) let the planner walk every dead entry of the
         -- leased-tasks index instead of looking the ids up by primary key.
         AND CASE WHEN t.state = 'leased' THEN t.lease_expires_at > ${clock} ELSE false END
       RETURNING t.*),
     done_events AS (${eventsFrom('done')})`;
}
