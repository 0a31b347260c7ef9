/**
 * The TaskStore interface and its SQL implementation shared by both backends. What differs —
 * how a claim locks rows, the clock expression, how waiting claimers are woken — lives in
 * sqlite-store.ts and postgres-store.ts.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ReefError, type PluginDatabase, type Row, type SqlExecutor } from '../../../sdk/index.js';
import type { ClaimInput, ClaimedTask, EnqueueInput, ListInput, Task, TaskState } from './schemas.js';
import { LimitCache, checkDepth, inFlightAllowance, upsertLimit, type Limit } from './limits.js';
import { claimOrder, claimedFromRow, json, taskFromRow } from './task-row.js';

/** A claim as the store takes it: `excludeProducts` are products whose tasks go to no one (paused). */
export type ClaimRequest = Omit<ClaimInput, 'waitMs'> & { excludeProducts?: readonly string[] };

export interface ClaimArgs {
  queues: readonly string[];
  max: number;
  token: string;
  worker: string;
  leaseMs: number;
  excludeProducts: readonly string[];
}

export interface TaskEvent {
  at: string;
  state: TaskState;
  attempt: number;
  worker?: string;
  error?: string;
}

export interface RetryPolicy {
  baseMs: number;
  capMs: number;
  random: () => number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1000, capMs: 5 * 60_000, random: Math.random };

/** Exponential backoff with jitter: half fixed, half random, so retries of a burst spread out. */
export function backoffMs(attempt: number, policy: RetryPolicy = DEFAULT_RETRY): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * policy.random());
}

export interface TaskStore {
  readonly dialect: 'sqlite' | 'postgres';
  enqueue(input: EnqueueInput, enqueuedBy: string): Promise<{ task: Task; created: boolean }>;
  enqueueBatch(inputs: readonly EnqueueInput[], enqueuedBy: string): Promise<Array<{ task: Task; created: boolean }>>;
  /** `excludeProducts`: tasks of these products are not handed out (a paused product). */
  claim(input: ClaimRequest): Promise<ClaimedTask[]>;
  heartbeat(id: string, leaseToken: string, leaseMs: number | undefined, progress: unknown): Promise<{ leaseExpiresAt: string }>;
  complete(id: string, leaseToken: string, result: unknown): Promise<{ task: Task; changed: boolean }>;
  /**
   * Completes a task and claims the next ones for the same worker: one round trip for an
   * agent's loop. A refused completion (lease_lost, not_found) claims nothing.
   */
  completeAndClaim(id: string, leaseToken: string, result: unknown, next: ClaimRequest): Promise<{ task: Task; changed: boolean; next: ClaimedTask[] }>;
  fail(id: string, leaseToken: string, error: string, retryable: boolean): Promise<Task>;
  /**
   * Puts claimed tasks that could not be delivered (their claimer was gone) back to ready, the
   * attempt not counted. Tasks whose lease has moved on are left alone. Returns those put back.
   */
  release(claims: ReadonlyArray<{ id: string; leaseToken: string }>): Promise<Task[]>;
  get(id: string): Promise<Task | undefined>;
  list(filter: ListInput): Promise<{ tasks: Task[]; nextCursor?: string }>;
  cancel(id: string): Promise<Task>;
  retry(id: string): Promise<Task>;
  /** Opens a gate; returns the tasks that it unblocked. */
  openGate(name: string, openedBy: string): Promise<Task[]>;
  /** Leases that ran out: back to ready (attempt counted) or dead. */
  reapExpiredLeases(limit?: number): Promise<Task[]>;
  history(id: string): Promise<TaskEvent[]>;
  /** Tasks per queue and state. */
  counts(): Promise<Array<{ queue: string; state: TaskState; count: number }>>;
  setLimit(limit: Limit): Promise<Limit>;
  listLimits(): Promise<Limit[]>;
}

let lastMs = 0;
let sequence = 0;

/**
 * Sortable ids: time (ms, base36), a counter within the millisecond, then randomness. Ids made
 * by one process sort in the order they were made; ids from different hosts in one
 * millisecond sort by their random part.
 */
export function newTaskId(now: number = Date.now()): string {
  if (now <= lastMs) {
    sequence++;
    now = lastMs;
  } else {
    lastMs = now;
    sequence = 0;
  }
  return `t_${now.toString(36).padStart(9, '0')}${sequence.toString(36).padStart(4, '0')}${randomBytes(6).toString('hex')}`;
}

/** JSON with object keys sorted at every depth, so equal bodies hash equal. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export function bodyHash(input: EnqueueInput): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

/**
 * Two enqueues with the same idempotency key at once (an agent retrying while its first try is
 * still in flight): both look the key up, find nothing, and insert; the unique index refuses
 * the second. Run again, its lookup finds the first one's task and answers with it.
 */
async function retryKeyRace<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      if (i >= attempts || !isIdempotencyKeyConflict(err)) throw err;
    }
  }
}

function isIdempotencyKeyConflict(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, constraint, message } = err as { code?: unknown; constraint?: unknown; message?: unknown };
  if (code === '23505') return typeof constraint === 'string' && constraint.startsWith('queue_tasks_idempotency');
  return code === 'SQLITE_CONSTRAINT_UNIQUE' && typeof message === 'string' && message.includes('queue_tasks.idempotency_key');
}

const CLAIMABLE = "('ready', 'scheduled', 'failed')";

export abstract class SqlTaskStore implements TaskStore {
  abstract readonly dialect: 'sqlite' | 'postgres';
  /** SQL for the database's clock in epoch ms: leases never depend on a worker's clock. */
  protected abstract readonly now: string;

  protected readonly limits: LimitCache;

  constructor(
    protected readonly db: PluginDatabase,
    protected readonly retryPolicy: RetryPolicy = DEFAULT_RETRY,
  ) {
    this.limits = new LimitCache(db);
  }

  /** Leases up to `max` claimable tasks of `queues` and records their events; returns the rows. */
  protected abstract claimRows(ex: SqlExecutor, args: ClaimArgs): Promise<Row[]>;
  /** Serialises claimers of limited queues so two cannot both take the last slot. */
  protected abstract lockForLimits(tx: SqlExecutor): Promise<void>;

  /** The common case, no in-flight limits: one transaction (SQLite) or one statement (PostgreSQL). */
  protected fastClaim(args: ClaimArgs): Promise<Row[]> {
    return this.db.transaction((tx) => this.claimRows(tx, args));
  }

  /**
   * The limits a claim must count what is in flight against, or that leave products out: then it
   * cannot take the fast path. Undefined when it can.
   */
  protected async claimLimits(input: ClaimRequest): Promise<Limit[] | undefined> {
    const limits = await this.limits.get();
    const limited =
      !!input.excludeProducts?.length || limits.some((l) => l.maxInFlight !== null && (l.kind === 'product' || input.queues.includes(l.name)));
    return limited ? limits : undefined;
  }

  async claim(input: ClaimRequest): Promise<ClaimedTask[]> {
    const token = this.newLeaseToken();
    const paused = input.excludeProducts ?? [];
    const base = { token, worker: input.worker, leaseMs: input.leaseMs, excludeProducts: paused };
    const limits = await this.claimLimits(input);
    if (!limits) return this.claimed((await this.fastClaim({ ...base, queues: input.queues, max: input.max })).sort(claimOrder));
    const rows = await this.db.transaction(async (tx) => {
      await this.lockForLimits(tx);
      const allowance = await inFlightAllowance(tx, limits, input.queues, input.max);
      if (!allowance) return this.claimRows(tx, { ...base, queues: input.queues, max: input.max });
      let remaining = Math.min(input.max, allowance.maxOverall);
      const out: Row[] = [];
      for (const queue of input.queues) {
        if (remaining <= 0) break;
        const take = Math.min(remaining, allowance.perQueue.get(queue) ?? remaining);
        if (take <= 0) continue;
        const got = await this.claimRows(tx, { ...base, excludeProducts: [...paused, ...allowance.saturatedProducts], queues: [queue], max: take });
        out.push(...got);
        remaining -= got.length;
      }
      return out;
    });
    return this.claimed(rows.sort(claimOrder));
  }

  /** The WHERE clause shared by both dialects' claims (paused queues and saturated products excluded). */
  protected claimableWhere(queuesSql: string, excludeProducts: readonly string[], form: 'in' | 'any' | 'one' = 'in'): string {
    const products = excludeProducts.length
      ? ` AND (product IS NULL OR product NOT IN (${excludeProducts.map(() => '?').join(', ')}))`
      : '';
    // PostgreSQL takes the queues as one array parameter. One queue is compared with "=", so
    // an index scan returns rows already in claim order and LIMIT stops early.
    const queues = form === 'any' ? `queue = ANY(${queuesSql}::text[])` : form === 'one' ? `queue = ${queuesSql}` : `queue IN (${queuesSql})`;
    return `${queues} AND state IN ${CLAIMABLE} AND run_at <= ${this.now}
      AND queue NOT IN (SELECT name FROM queue_limits WHERE kind = 'queue' AND paused = 1)${products}`;
  }

  protected async checkDepth(tx: SqlExecutor, input: EnqueueInput): Promise<void> {
    const limits = await this.limits.get(tx);
    if (limits.some((l) => l.maxDepth !== null)) await checkDepth(tx, limits, input.queue, input.tags.product);
  }

  async setLimit(limit: Limit): Promise<Limit> {
    await this.db.transaction((tx) => upsertLimit(tx, this.now, limit));
    this.limits.invalidate();
    return limit;
  }

  async listLimits(): Promise<Limit[]> {
    this.limits.invalidate();
    return this.limits.get();
  }

  protected newLeaseToken(): string {
    return `${randomUUID()}.`;
  }

  protected async recordEvents(tx: SqlExecutor, rows: Row[], error?: string): Promise<void> {
    if (rows.length === 0) return;
    const values: unknown[] = [];
    const tuples = rows.map((r) => {
      values.push(r.id, r.updated_at, r.state, r.attempts, r.worker ?? null, error ?? (r.state === 'failed' || r.state === 'dead' ? r.last_error : null) ?? null);
      return '(?, ?, ?, ?, ?, ?)';
    });
    await tx.execute(`INSERT INTO queue_task_events (task_id, at, state, attempt, worker, error) VALUES ${tuples.join(', ')}`, values);
  }

  async enqueue(input: EnqueueInput, enqueuedBy: string): Promise<{ task: Task; created: boolean }> {
    return retryKeyRace(() => this.db.transaction((tx) => this.insertTask(tx, input, enqueuedBy)));
  }

  /** All or nothing: one bad task (a depth limit, an idempotency mismatch) enqueues none. */
  async enqueueBatch(inputs: readonly EnqueueInput[], enqueuedBy: string): Promise<Array<{ task: Task; created: boolean }>> {
    return retryKeyRace(() =>
      this.db.transaction(async (tx) => {
        const out: Array<{ task: Task; created: boolean }> = [];
        for (const input of inputs) out.push(await this.insertTask(tx, input, enqueuedBy));
        return out;
      }),
    );
  }

  /** The INSERT of one task (without RETURNING). */
  protected insertSql(
    id: string,
    input: EnqueueInput,
    hash: string,
    enqueuedBy: string,
    blocked: boolean,
    gates: readonly string[],
  ): { sql: string; params: unknown[] } {
    const runAtSql = input.runAt === undefined ? this.now : '?';
    const runAtParams = input.runAt === undefined ? [] : [input.runAt];
    const state = blocked ? "'blocked'" : input.runAt === undefined ? "'ready'" : `(CASE WHEN ? > ${this.now} THEN 'scheduled' ELSE 'ready' END)`;
    const stateParams = !blocked && input.runAt !== undefined ? [input.runAt] : [];
    return {
      sql: `INSERT INTO queue_tasks (id, queue, type, payload, priority, state, attempts, max_attempts, run_at, created_at, updated_at,
              idempotency_key, body_hash, gates, tags, product, agent, model, enqueued_by)
            VALUES (?, ?, ?, ?, ?, ${state}, 0, ?, ${runAtSql}, ${this.now}, ${this.now}, ?, ?, ?, ?, ?, ?, ?, ?)`,
      params: [
        id,
        input.queue,
        input.type,
        json(input.payload ?? null),
        input.priority,
        ...stateParams,
        input.maxAttempts,
        ...runAtParams,
        input.idempotencyKey ?? null,
        hash,
        gates.length ? json(gates) : null,
        json(input.tags),
        input.tags.product ?? null,
        input.tags.agent ?? null,
        input.tags.model ?? null,
        enqueuedBy,
      ],
    };
  }

  /** Enqueue inside the caller's transaction (the scheduler claims its slot in the same one). */
  protected async insertTask(tx: SqlExecutor, input: EnqueueInput, enqueuedBy: string): Promise<{ task: Task; created: boolean }> {
    const hash = bodyHash(input);
    if (input.idempotencyKey !== undefined) {
      const existing = await tx.query('SELECT * FROM queue_tasks WHERE idempotency_key = ?', [input.idempotencyKey]);
      const row = existing[0];
      if (row) {
        if (row.body_hash !== hash) {
          throw new ReefError('idempotency_mismatch', `idempotency key "${input.idempotencyKey}" was already used with a different body`, {
            taskId: row.id,
          });
        }
        return { task: taskFromRow(row), created: false };
      }
    }
    await this.checkDepth(tx, input);
    const gates = [...new Set(input.gates ?? [])];
    let pending = 0;
    let openGates = new Set<string>();
    if (gates.length) {
      const open = await tx.query<{ name: string }>(`SELECT name FROM queue_gates WHERE name IN (${gates.map(() => '?').join(', ')})`, gates);
      openGates = new Set(open.map((g) => g.name));
      pending = gates.filter((g) => !openGates.has(g)).length;
    }
    const id = newTaskId();
    const insert = this.insertSql(id, input, hash, enqueuedBy, pending > 0, gates);
    const rows = await tx.query(`${insert.sql} RETURNING *`, insert.params);
    for (const g of gates) {
      await tx.execute('INSERT INTO queue_task_gates (task_id, gate, opened) VALUES (?, ?, ?)', [id, g, openGates.has(g) ? 1 : 0]);
    }
    await this.recordEvents(tx, rows);
    return { task: taskFromRow(rows[0] as Row), created: true };
  }

  /**
   * Enqueues for one schedule slot unless some host already did: the (schedule, slot) row and
   * the task are written in one transaction, so the unique key decides, not timing.
   */
  async enqueueForSlot(scheduleId: string, slot: number, task: Omit<EnqueueInput, 'runAt' | 'idempotencyKey'>, by: string): Promise<Task | undefined> {
    return this.db.transaction(async (tx) => {
      const won = await tx.query(
        `INSERT INTO queue_schedule_runs (schedule_id, slot, at) VALUES (?, ?, ${this.now})
         ON CONFLICT (schedule_id, slot) DO NOTHING RETURNING slot`,
        [scheduleId, slot],
      );
      if (!won[0]) return undefined;
      const { task: made } = await this.insertTask(tx, { ...task }, by);
      await tx.execute('UPDATE queue_schedule_runs SET task_id = ? WHERE schedule_id = ? AND slot = ?', [made.id, scheduleId, slot]);
      return made;
    });
  }

  /** Why a lease operation on `id` matched nothing: no task, or the lease is no longer this token's. */
  protected async leaseFailure(tx: SqlExecutor, id: string): Promise<ReefError> {
    const rows = await tx.query('SELECT state, worker FROM queue_tasks WHERE id = ?', [id]);
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
    const extend = leaseMs === undefined ? `${this.now} + (lease_expires_at - updated_at)` : `${this.now} + ?`;
    const rows = await this.db.query<{ lease_expires_at: number }>(
      `UPDATE queue_tasks SET lease_expires_at = ${extend},
         updated_at = ${this.now}, progress = COALESCE(?, progress)
       WHERE id = ? AND lease_token = ? AND state = 'leased' AND lease_expires_at > ${this.now}
       RETURNING lease_expires_at`,
      [...(leaseMs === undefined ? [] : [leaseMs]), json(progress), id, leaseToken],
    );
    const row = rows[0];
    if (!row) throw await this.leaseFailure(this.db, id);
    return { leaseExpiresAt: new Date(Number(row.lease_expires_at)).toISOString() };
  }

  /** Marks the task succeeded if `leaseToken` still holds it, with its event; the rows changed. */
  protected completeRows(id: string, leaseToken: string, result: unknown): Promise<Row[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE queue_tasks SET state = 'succeeded', result = ?, lease_expires_at = NULL, updated_at = ${this.now}
         WHERE id = ? AND lease_token = ? AND state = 'leased' AND lease_expires_at > ${this.now}
         RETURNING *`,
        [json(result), id, leaseToken],
      );
      await this.recordEvents(tx, rows);
      return rows;
    });
  }

  async complete(id: string, leaseToken: string, result: unknown): Promise<{ task: Task; changed: boolean }> {
    const rows = await this.completeRows(id, leaseToken, result);
    if (rows[0]) return { task: taskFromRow(rows[0]), changed: true };
    // Completing twice with the same token answers the same task.
    const again = await this.db.query("SELECT * FROM queue_tasks WHERE id = ? AND lease_token = ? AND state = 'succeeded'", [id, leaseToken]);
    if (again[0]) return { task: taskFromRow(again[0]), changed: false };
    throw await this.leaseFailure(this.db, id);
  }

  /** Here two steps: the completion, committed, then a claim. PostgreSQL's does both in one statement. */
  async completeAndClaim(id: string, leaseToken: string, result: unknown, next: ClaimRequest): Promise<{ task: Task; changed: boolean; next: ClaimedTask[] }> {
    const done = await this.complete(id, leaseToken, result);
    return { ...done, next: await this.claim(next) };
  }

  async fail(id: string, leaseToken: string, error: string, retryable: boolean): Promise<Task> {
    return this.db.transaction(async (tx) => {
      const current = await tx.query<{ attempts: number; max_attempts: number }>(
        `SELECT attempts, max_attempts FROM queue_tasks WHERE id = ? AND lease_token = ? AND state = 'leased' AND lease_expires_at > ${this.now}`,
        [id, leaseToken],
      );
      const cur = current[0];
      if (!cur) throw await this.leaseFailure(tx, id);
      const attempts = Number(cur.attempts);
      const dead = !retryable || attempts >= Number(cur.max_attempts);
      const delay = dead ? 0 : backoffMs(attempts, this.retryPolicy);
      const rows = await tx.query(
        `UPDATE queue_tasks SET state = ?, last_error = ?, lease_expires_at = NULL, run_at = ${this.now} + ?, updated_at = ${this.now}
         WHERE id = ? AND lease_token = ? AND state = 'leased' RETURNING *`,
        [dead ? 'dead' : 'failed', error, delay, id, leaseToken],
      );
      await this.recordEvents(tx, rows, error);
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
               lease_expires_at = NULL, updated_at = ${this.now}, progress = NULL
             WHERE id = ? AND lease_token = ? AND state = 'leased' RETURNING *`,
            [c.id, c.leaseToken],
          )),
        );
      }
      await this.recordEvents(tx, rows, 'not delivered: the claimer was gone');
      return rows.map(taskFromRow);
    });
  }

  async get(id: string): Promise<Task | undefined> {
    const rows = await this.db.query('SELECT * FROM queue_tasks WHERE id = ?', [id]);
    return rows[0] ? taskFromRow(rows[0]) : undefined;
  }

  protected whereFor(filter: Omit<ListInput, 'limit' | 'cursor'>): { sql: string; params: unknown[] } {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.state?.length) {
      where.push(`state IN (${filter.state.map(() => '?').join(', ')})`);
      params.push(...filter.state);
    }
    const equal: Array<[string, string | undefined]> = [
      ['queue', filter.queue],
      ['type', filter.type],
      ['product', filter['tag.product']],
      ['agent', filter['tag.agent']],
      ['model', filter['tag.model']],
    ];
    for (const [column, value] of equal) {
      if (!value) continue;
      where.push(`${column} = ?`);
      params.push(value);
    }
    if (filter.q) {
      const like = `%${filter.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(`(id LIKE ? ESCAPE '\\' OR type LIKE ? ESCAPE '\\' OR payload LIKE ? ESCAPE '\\' OR last_error LIKE ? ESCAPE '\\')`);
      params.push(like, like, like, like);
    }
    return { sql: where.length ? where.join(' AND ') : '1 = 1', params };
  }

  async list(filter: ListInput): Promise<{ tasks: Task[]; nextCursor?: string }> {
    const { sql, params } = this.whereFor(filter);
    const cursor = filter.cursor ? ' AND id < ?' : '';
    const rows = await this.db.query(`SELECT * FROM queue_tasks WHERE ${sql}${cursor} ORDER BY id DESC LIMIT ?`, [
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
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE queue_tasks SET state = 'cancelled', lease_expires_at = NULL, updated_at = ${this.now}
         WHERE id = ? AND state IN ('scheduled', 'ready', 'blocked', 'failed', 'leased') RETURNING *`,
        [id],
      );
      if (!rows[0]) throw await this.stateConflict(tx, id, 'cancel');
      await this.recordEvents(tx, rows);
      return taskFromRow(rows[0]);
    });
  }

  async retry(id: string): Promise<Task> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE queue_tasks SET attempts = 0, run_at = ${this.now}, updated_at = ${this.now}, lease_token = NULL, worker = NULL,
           state = CASE WHEN EXISTS (SELECT 1 FROM queue_task_gates g WHERE g.task_id = queue_tasks.id AND g.opened = 0) THEN 'blocked' ELSE 'ready' END
         WHERE id = ? AND state IN ('failed', 'dead', 'cancelled') RETURNING *`,
        [id],
      );
      if (!rows[0]) throw await this.stateConflict(tx, id, 'retry');
      await this.recordEvents(tx, rows);
      return taskFromRow(rows[0]);
    });
  }

  private async stateConflict(tx: SqlExecutor, id: string, action: string): Promise<ReefError> {
    const rows = await tx.query('SELECT state FROM queue_tasks WHERE id = ?', [id]);
    if (!rows[0]) return new ReefError('not_found', `no task ${id}`);
    return new ReefError('conflict', `cannot ${action} task ${id}: it is ${String(rows[0].state)}`, { state: rows[0].state });
  }

  /** States each bulk action applies to. */
  static readonly BULK_STATES = {
    cancel: ['scheduled', 'ready', 'blocked', 'failed', 'leased'],
    retry: ['failed', 'dead', 'cancelled'],
  } as const satisfies Record<string, readonly TaskState[]>;

  private bulkWhere(action: 'cancel' | 'retry', filter: Omit<ListInput, 'limit' | 'cursor'>): { sql: string; params: unknown[] } {
    const allowed: readonly TaskState[] = SqlTaskStore.BULK_STATES[action];
    const states = filter.state?.length ? filter.state.filter((st) => allowed.includes(st)) : [...allowed];
    if (states.length === 0) return { sql: '1 = 0', params: [] };
    return this.whereFor({ ...filter, state: states });
  }

  /** How many tasks a bulk action on `filter` would touch (for the confirmation). */
  async bulkCount(action: 'cancel' | 'retry', filter: Omit<ListInput, 'limit' | 'cursor'>): Promise<number> {
    const { sql, params } = this.bulkWhere(action, filter);
    const rows = await this.db.query(`SELECT COUNT(*) AS n FROM queue_tasks WHERE ${sql}`, params);
    return Number(rows[0]?.n ?? 0);
  }

  /** Applies a bulk action to at most `chunk` matching tasks in one transaction; call until it returns fewer. */
  async bulkChunk(action: 'cancel' | 'retry', filter: Omit<ListInput, 'limit' | 'cursor'>, chunk = 1000): Promise<Task[]> {
    const { sql, params } = this.bulkWhere(action, filter);
    const set =
      action === 'cancel'
        ? `state = 'cancelled', lease_expires_at = NULL, updated_at = ${this.now}`
        : `attempts = 0, run_at = ${this.now}, updated_at = ${this.now}, lease_token = NULL, worker = NULL,
           state = CASE WHEN EXISTS (SELECT 1 FROM queue_task_gates g WHERE g.task_id = queue_tasks.id AND g.opened = 0) THEN 'blocked' ELSE 'ready' END`;
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE queue_tasks SET ${set} WHERE id IN (SELECT id FROM queue_tasks WHERE ${sql} ORDER BY id LIMIT ?) RETURNING *`,
        [...params, chunk],
      );
      await this.recordEvents(tx, rows);
      return rows.map(taskFromRow);
    });
  }

  async openGate(name: string, openedBy: string): Promise<Task[]> {
    return this.db.transaction(async (tx) => {
      const existing = await tx.query('SELECT 1 AS one FROM queue_gates WHERE name = ?', [name]);
      if (!existing[0]) await tx.execute(`INSERT INTO queue_gates (name, opened_at, opened_by) VALUES (?, ${this.now}, ?)`, [name, openedBy]);
      await tx.execute('UPDATE queue_task_gates SET opened = 1 WHERE gate = ? AND opened = 0', [name]);
      const rows = await tx.query(
        `UPDATE queue_tasks SET state = CASE WHEN run_at > ${this.now} THEN 'scheduled' ELSE 'ready' END, updated_at = ${this.now}
         WHERE state = 'blocked'
           AND id IN (SELECT task_id FROM queue_task_gates WHERE gate = ?)
           AND NOT EXISTS (SELECT 1 FROM queue_task_gates g WHERE g.task_id = queue_tasks.id AND g.opened = 0)
         RETURNING *`,
        [name],
      );
      await this.recordEvents(tx, rows);
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
           lease_expires_at = NULL, updated_at = ${this.now}
         WHERE id IN (SELECT id FROM queue_tasks WHERE state = 'leased' AND lease_expires_at <= ${this.now} ORDER BY lease_expires_at LIMIT ?)
           AND state = 'leased'
         RETURNING *`,
        [limit],
      );
      await this.recordEvents(tx, rows, 'lease expired');
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

  /** The SET list of a claim; parameters: lease token prefix, worker, lease ms. `t` qualifies columns. */
  protected claimUpdateSet(t = ''): string {
    return `state = 'leased', attempts = ${t}attempts + 1, lease_token = CAST(? AS TEXT) || ${t}id, worker = ?,
      lease_expires_at = ${this.now} + ?, updated_at = ${this.now}, progress = NULL`;
  }

  protected claimed(rows: Row[]): ClaimedTask[] {
    return rows.map(claimedFromRow);
  }
}
