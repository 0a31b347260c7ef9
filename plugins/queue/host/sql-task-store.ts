/**
 * The TaskStore on an SQL database. What differs between SQLite and PostgreSQL (the clock,
 * locking, the claim statements, batching) is asked of the dialect object it holds; everything
 * here is written once for both.
 */
import { ReefError, type PluginDatabase, type Row, type SqlExecutor } from '../../../sdk/index.js';
import { byClaimOrder, recordEvents } from './claim-sql.js';
import type { StoreDialect } from './dialect.js';
import { LimitCache, inFlightAllowance, upsertLimit, type Limit } from './limits.js';
import type { ClaimedTask, EnqueueInput, ListInput, Task, TaskState } from './schemas.js';
import {
  DEFAULT_RETRY,
  backoffMs,
  type BulkAction,
  type BulkFilter,
  type ClaimRequest,
  type RetryPolicy,
  type TaskEvent,
  type TaskStore,
} from './store.js';
import { bulkWhere, filterWhere } from './task-filter.js';
import { bodyHash, insertTask, insertTaskSql, newTaskId, retryKeyRace } from './task-insert.js';
import { claimedFromRow, json, taskFromRow } from './task-row.js';

/** The SET of a retry (one task or a bulk): back to the start, blocked again if a gate is still shut. */
const RETRY_SET = (clock: string) => `attempts = 0, run_at = ${clock}, updated_at = ${clock}, lease_token = NULL, worker = NULL,
  state = CASE WHEN EXISTS (SELECT 1 FROM queue_task_gates g WHERE g.task_id = queue_tasks.id AND g.opened = 0) THEN 'blocked' ELSE 'ready' END`;

export class SqlTaskStore implements TaskStore {
  readonly dialect: 'sqlite' | 'postgres';
  /** The dialect's clock expression, SQL: the database's time in epoch ms. */
  private readonly clock: string;
  /** The limits every claim and enqueue checks, read at most once a second. */
  private readonly limits: LimitCache;

  constructor(
    private readonly db: PluginDatabase,
    private readonly sqlDialect: StoreDialect,
    private readonly retryPolicy: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.dialect = sqlDialect.name;
    this.clock = sqlDialect.clockSql;
    this.limits = new LimitCache(db);
  }

  /**
   * Whether a claim must count what is in flight against limits, or leave products out: then it
   * runs in its own transaction under the dialect's lock. Otherwise it may be batched.
   */
  private async needsLimits(request: ClaimRequest): Promise<Limit[] | undefined> {
    const limits = await this.limits.get();
    const limited =
      !!request.excludeProducts?.length || limits.some((l) => l.maxInFlight !== null && (l.kind === 'product' || request.queues.includes(l.name)));
    return limited ? limits : undefined;
  }

  async claim(request: ClaimRequest): Promise<ClaimedTask[]> {
    const limits = await this.needsLimits(request);
    if (!limits) return (await this.sqlDialect.claimBatched(request)).map(claimedFromRow);
    const rows = await this.db.transaction((tx) => this.claimWithinLimits(tx, request, limits));
    return rows.map(claimedFromRow);
  }

  /** A claim under in-flight limits: each queue takes what its limit and the products' leave. */
  private async claimWithinLimits(tx: SqlExecutor, request: ClaimRequest, limits: readonly Limit[]): Promise<Row[]> {
    await this.sqlDialect.lockForLimits(tx);
    const allowance = await inFlightAllowance(tx, limits, request.queues, request.max);
    if (!allowance) return this.sqlDialect.claimInTransaction(tx, request);
    const excluded = [...(request.excludeProducts ?? []), ...allowance.saturatedProducts];
    let remaining = Math.min(request.max, allowance.maxOverall);
    const out: Row[] = [];
    for (const queue of request.queues) {
      if (remaining <= 0) break;
      const take = Math.min(remaining, allowance.perQueue.get(queue) ?? remaining);
      if (take <= 0) continue;
      const got = await this.sqlDialect.claimInTransaction(tx, { ...request, excludeProducts: excluded, queues: [queue], max: take });
      out.push(...got);
      remaining -= got.length;
    }
    // Each queue's rows are in claim order; across queues, merge them into one.
    return request.queues.length > 1 ? out.sort(byClaimOrder) : out;
  }

  async setLimit(limit: Limit): Promise<Limit> {
    await this.db.transaction((tx) => upsertLimit(tx, this.clock, limit));
    this.limits.invalidate();
    return limit;
  }

  listLimits(): Promise<Limit[]> {
    return this.limits.reload();
  }

  async enqueue(input: EnqueueInput, enqueuedBy: string): Promise<{ task: Task; created: boolean }> {
    // The common enqueue (no key, no gates, no depth limit) is one statement where the dialect can.
    if (this.sqlDialect.insertWithEvent && input.idempotencyKey === undefined && !input.gates?.length) {
      const limits = await this.limits.get();
      if (!limits.some((l) => l.maxDepth !== null)) {
        const insert = insertTaskSql(this.clock, input, { id: newTaskId(), hash: bodyHash(input), enqueuedBy, blocked: false, gates: [] });
        return { task: taskFromRow(await this.sqlDialect.insertWithEvent(insert)), created: true };
      }
    }
    return retryKeyRace(() => this.db.transaction((tx) => insertTask(tx, this.clock, this.limits, input, enqueuedBy)));
  }

  async enqueueBatch(inputs: readonly EnqueueInput[], enqueuedBy: string): Promise<Array<{ task: Task; created: boolean }>> {
    return retryKeyRace(() =>
      this.db.transaction(async (tx) => {
        const out: Array<{ task: Task; created: boolean }> = [];
        for (const input of inputs) out.push(await insertTask(tx, this.clock, this.limits, input, enqueuedBy));
        return out;
      }),
    );
  }

  async enqueueForSlot(scheduleId: string, slot: number, task: Omit<EnqueueInput, 'runAt' | 'idempotencyKey'>, enqueuedBy: string): Promise<Task | undefined> {
    return this.db.transaction(async (tx) => {
      const won = await tx.query(
        `INSERT INTO queue_schedule_runs (schedule_id, slot, at) VALUES (?, ?, ${this.clock})
         ON CONFLICT (schedule_id, slot) DO NOTHING RETURNING slot`,
        [scheduleId, slot],
      );
      if (!won[0]) return undefined;
      const { task: made } = await insertTask(tx, this.clock, this.limits, { ...task }, enqueuedBy);
      await tx.execute('UPDATE queue_schedule_runs SET task_id = ? WHERE schedule_id = ? AND slot = ?', [made.id, scheduleId, slot]);
      return made;
    });
  }

  /** Why a lease operation on `id` matched nothing: no task, or the lease is no longer this token's. */
  private async leaseFailure(ex: SqlExecutor, id: string): Promise<ReefError> {
    const rows = await ex.query('SELECT state, worker FROM queue_tasks WHERE id = ?', [id]);
    const row = rows[0];
    if (!row) return new ReefError('not_found', `no task ${id}`);
    return new ReefError('lease_lost', `the lease on task ${id} is not yours any more (the task is ${String(row.state)}); stop working on it`, {
      state: row.state,
    });
  }

  async heartbeat(id: string, leaseToken: string, leaseMs: number | undefined, progress: unknown): Promise<{ leaseExpiresAt: string }> {
    // A heartbeat renews for the lease length granted at claim (or the one asked for now);
    // updated_at is set at each claim and heartbeat, so the difference is that length.
    // One UPDATE is atomic on its own: no transaction round trips.
    const extend = leaseMs === undefined ? `${this.clock} + (lease_expires_at - updated_at)` : `${this.clock} + ?`;
    const rows = await this.db.query<{ lease_expires_at: number }>(
      `UPDATE queue_tasks SET lease_expires_at = ${extend},
         updated_at = ${this.clock}, progress = COALESCE(?, progress)
       WHERE id = ? AND lease_token = ? AND state = 'leased' AND lease_expires_at > ${this.clock}
       RETURNING lease_expires_at`,
      [...(leaseMs === undefined ? [] : [leaseMs]), json(progress), id, leaseToken],
    );
    const row = rows[0];
    if (!row) throw await this.leaseFailure(this.db, id);
    return { leaseExpiresAt: new Date(Number(row.lease_expires_at)).toISOString() };
  }

  async complete(id: string, leaseToken: string, result: unknown): Promise<{ task: Task; changed: boolean }> {
    const [row] = await this.sqlDialect.completeBatched({ id, leaseToken, result: json(result) });
    if (row) return { task: taskFromRow(row), changed: true };
    // Completing twice with the same token answers the same task.
    const again = await this.db.query("SELECT * FROM queue_tasks WHERE id = ? AND lease_token = ? AND state = 'succeeded'", [id, leaseToken]);
    if (again[0]) return { task: taskFromRow(again[0]), changed: false };
    throw await this.leaseFailure(this.db, id);
  }

  async completeAndClaim(id: string, leaseToken: string, result: unknown, next: ClaimRequest): Promise<{ task: Task; changed: boolean; next: ClaimedTask[] }> {
    if (this.sqlDialect.completeAndClaimBatched && !(await this.needsLimits(next))) {
      const out = await this.sqlDialect.completeAndClaimBatched({ id, leaseToken, result: json(result) }, next);
      if (out) return { task: taskFromRow(out.done), changed: true, next: out.next.map(claimedFromRow) };
    }
    // Two steps: the completion, committed (or refused, or a repeat answered), then a claim.
    const done = await this.complete(id, leaseToken, result);
    return { ...done, next: await this.claim(next) };
  }

  async fail(id: string, leaseToken: string, error: string, retryable: boolean): Promise<Task> {
    return this.db.transaction(async (tx) => {
      const current = await tx.query<{ attempts: number; max_attempts: number }>(
        `SELECT attempts, max_attempts FROM queue_tasks WHERE id = ? AND lease_token = ? AND state = 'leased' AND lease_expires_at > ${this.clock}`,
        [id, leaseToken],
      );
      const cur = current[0];
      if (!cur) throw await this.leaseFailure(tx, id);
      const attempts = Number(cur.attempts);
      const dead = !retryable || attempts >= Number(cur.max_attempts);
      const delay = dead ? 0 : backoffMs(attempts, this.retryPolicy);
      const rows = await tx.query(
        `UPDATE queue_tasks SET state = ?, last_error = ?, lease_expires_at = NULL, run_at = ${this.clock} + ?, updated_at = ${this.clock}
         WHERE id = ? AND lease_token = ? AND state = 'leased' RETURNING *`,
        [dead ? 'dead' : 'failed', error, delay, id, leaseToken],
      );
      await recordEvents(tx, rows, error);
      return taskFromRow(rows[0] as Row);
    });
  }

  async release(claims: ReadonlyArray<{ id: string; leaseToken: string }>): Promise<Task[]> {
    if (claims.length === 0) return [];
    return this.db.transaction(async (tx) => {
      const rows: Row[] = [];
      for (const c of claims) {
        rows.push(
          ...(await tx.query(
            `UPDATE queue_tasks SET state = 'ready', attempts = attempts - 1, lease_token = NULL, worker = NULL,
               lease_expires_at = NULL, updated_at = ${this.clock}, progress = NULL
             WHERE id = ? AND lease_token = ? AND state = 'leased' RETURNING *`,
            [c.id, c.leaseToken],
          )),
        );
      }
      await recordEvents(tx, rows, 'not delivered: the claimer was gone');
      return rows.map(taskFromRow);
    });
  }

  async get(id: string): Promise<Task | undefined> {
    const rows = await this.db.query('SELECT * FROM queue_tasks WHERE id = ?', [id]);
    return rows[0] ? taskFromRow(rows[0]) : undefined;
  }

  async list(filter: ListInput): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const { sql, params, small } = filterWhere(filter);
    const cursor = filter.cursor ? ' AND id < ?' : '';
    const rows = await this.db.query(`SELECT * FROM queue_tasks WHERE ${sql}${cursor} ORDER BY ${this.sqlDialect.listOrder(!!small)} LIMIT ?`, [
      ...params,
      ...(filter.cursor ? [filter.cursor] : []),
      filter.limit + 1,
    ]);
    const page = rows.slice(0, filter.limit).map(taskFromRow);
    const out: { tasks: Task[]; nextCursor?: string } = { tasks: page };
    if (rows.length > filter.limit) out.nextCursor = page[page.length - 1]?.id as string;
    return out;
  }

  async cancel(id: string): Promise<Task> {
    return this.changeOne(
      id,
      'cancel',
      `UPDATE queue_tasks SET state = 'cancelled', lease_expires_at = NULL, updated_at = ${this.clock}
       WHERE id = ? AND state IN ('scheduled', 'ready', 'blocked', 'failed', 'leased') RETURNING *`,
    );
  }

  async retry(id: string): Promise<Task> {
    return this.changeOne(id, 'retry', `UPDATE queue_tasks SET ${RETRY_SET(this.clock)} WHERE id = ? AND state IN ('failed', 'dead', 'cancelled') RETURNING *`);
  }

  /** An operator's change of one task (`update` takes its id): the task, or why the state refuses it. */
  private changeOne(id: string, action: string, update: string): Promise<Task> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(update, [id]);
      if (!rows[0]) {
        const found = await tx.query('SELECT state FROM queue_tasks WHERE id = ?', [id]);
        if (!found[0]) throw new ReefError('not_found', `no task ${id}`);
        throw new ReefError('conflict', `cannot ${action} task ${id}: it is ${String(found[0].state)}`, { state: found[0].state });
      }
      await recordEvents(tx, rows);
      return taskFromRow(rows[0]);
    });
  }

  async bulkCount(action: BulkAction, filter: BulkFilter): Promise<number> {
    const { sql, params } = bulkWhere(action, filter);
    const rows = await this.db.query(`SELECT COUNT(*) AS n FROM queue_tasks WHERE ${sql}`, params);
    return Number(rows[0]?.n ?? 0);
  }

  async bulkChunk(action: BulkAction, filter: BulkFilter, chunk = 1000): Promise<Task[]> {
    const { sql, params } = bulkWhere(action, filter);
    const set = action === 'cancel' ? `state = 'cancelled', lease_expires_at = NULL, updated_at = ${this.clock}` : RETRY_SET(this.clock);
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE queue_tasks SET ${set} WHERE id IN (SELECT id FROM queue_tasks WHERE ${sql} ORDER BY id LIMIT ?) RETURNING *`,
        [...params, chunk],
      );
      await recordEvents(tx, rows);
      return rows.map(taskFromRow);
    });
  }

  async openGate(name: string, openedBy: string): Promise<Task[]> {
    return this.db.transaction(async (tx) => {
      const existing = await tx.query('SELECT 1 AS one FROM queue_gates WHERE name = ?', [name]);
      if (!existing[0]) await tx.execute(`INSERT INTO queue_gates (name, opened_at, opened_by) VALUES (?, ${this.clock}, ?)`, [name, openedBy]);
      await tx.execute('UPDATE queue_task_gates SET opened = 1 WHERE gate = ? AND opened = 0', [name]);
      const rows = await tx.query(
        `UPDATE queue_tasks SET state = CASE WHEN run_at > ${this.clock} THEN 'scheduled' ELSE 'ready' END, updated_at = ${this.clock}
         WHERE state = 'blocked'
           AND id IN (SELECT task_id FROM queue_task_gates WHERE gate = ?)
           AND NOT EXISTS (SELECT 1 FROM queue_task_gates g WHERE g.task_id = queue_tasks.id AND g.opened = 0)
         RETURNING *`,
        [name],
      );
      await recordEvents(tx, rows);
      return rows.map(taskFromRow);
    });
  }

  async reapExpiredLeases(limit = 500): Promise<Task[]> {
    return this.db.transaction(async (tx) => {
      // run_at stays as it was: a task whose worker died keeps its place at the head of the
      // queue instead of waiting behind everything enqueued since.
      const rows = await tx.query(
        `UPDATE queue_tasks SET
           state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END,
           last_error = 'lease expired' || CASE WHEN worker IS NULL THEN '' ELSE ' (worker ' || worker || ')' END,
           lease_expires_at = NULL, updated_at = ${this.clock}
         WHERE id IN (SELECT id FROM queue_tasks WHERE state = 'leased' AND lease_expires_at <= ${this.clock} ORDER BY lease_expires_at LIMIT ?)
           AND state = 'leased'
         RETURNING *`,
        [limit],
      );
      await recordEvents(tx, rows, 'lease expired');
      return rows.map(taskFromRow);
    });
  }

  async history(id: string): Promise<TaskEvent[]> {
    const rows = await this.db.query('SELECT at, state, attempt, worker, error FROM queue_task_events WHERE task_id = ? ORDER BY id', [id]);
    return rows.map((r) => {
      const e: TaskEvent = { at: new Date(Number(r.at)).toISOString(), state: r.state as TaskState, attempt: Number(r.attempt) };
      if (r.worker !== null && r.worker !== undefined) e.worker = String(r.worker);
      if (r.error !== null && r.error !== undefined) e.error = String(r.error);
      return e;
    });
  }

  async counts(): Promise<Array<{ queue: string; state: TaskState; count: number }>> {
    const rows = await this.db.query('SELECT queue, state, COUNT(*) AS n FROM queue_tasks GROUP BY queue, state');
    return rows.map((r) => ({ queue: String(r.queue), state: r.state as TaskState, count: Number(r.n) }));
  }
}
