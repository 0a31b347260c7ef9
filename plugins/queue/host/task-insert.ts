/** Enqueueing: task ids, the idempotency key's body hash, and the INSERT of one task with its gates and event. */
import { createHash } from 'node:crypto';
import { ReefError, canonicalJson, sortableId, type Row, type SqlExecutor } from '../../../sdk/index.js';
import { placeholders, recordEvents } from './claim-sql.js';
import { checkDepth, type LimitCache } from './limits.js';
import type { EnqueueInput, Task } from './schemas.js';
import { json, taskFromRow } from './task-row.js';

/** Task ids: sortable (see sortableId), `t_…`. */
export function newTaskId(now: number = Date.now()): string {
  return sortableId('t', now);
}

export function bodyHash(input: EnqueueInput): string {
  return createHash('sha256').update(canonicalJson(input)).digest('hex');
}

/**
 * Two enqueues with the same idempotency key at once (an agent retrying while its first try is
 * still in flight): both look the key up, find nothing, and insert; the unique index refuses
 * the second. Run again, its lookup finds the first one's task and answers with it.
 */
export async function retryKeyRace<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
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

/** What an INSERT of a task needs besides the input. */
export interface NewTask {
  id: string;
  hash: string;
  enqueuedBy: string;
  blocked: boolean;
  gates: readonly string[];
}

/** The INSERT of one task (without RETURNING); `clock` is the dialect's clock expression. */
export function insertTaskSql(clock: string, input: EnqueueInput, t: NewTask): { sql: string; params: unknown[] } {
  const runAtSql = input.runAt === undefined ? clock : '?';
  const runAtParams = input.runAt === undefined ? [] : [input.runAt];
  const state = t.blocked ? "'blocked'" : input.runAt === undefined ? "'ready'" : `(CASE WHEN ? > ${clock} THEN 'scheduled' ELSE 'ready' END)`;
  const stateParams = !t.blocked && input.runAt !== undefined ? [input.runAt] : [];
  return {
    sql: `INSERT INTO queue_tasks (id, queue, type, payload, priority, state, attempts, max_attempts, run_at, created_at, updated_at,
            idempotency_key, body_hash, gates, tags, product, agent, model, enqueued_by)
          VALUES (?, ?, ?, ?, ?, ${state}, 0, ?, ${runAtSql}, ${clock}, ${clock}, ?, ?, ?, ?, ?, ?, ?, ?)`,
    params: [
      t.id,
      input.queue,
      input.type,
      json(input.payload ?? null),
      input.priority,
      ...stateParams,
      input.maxAttempts,
      ...runAtParams,
      input.idempotencyKey ?? null,
      t.hash,
      t.gates.length ? json(t.gates) : null,
      json(input.tags),
      input.tags.product ?? null,
      input.tags.agent ?? null,
      input.tags.model ?? null,
      t.enqueuedBy,
    ],
  };
}

/**
 * Enqueues one task inside the caller's transaction (the scheduler claims its slot in the same
 * one): answers an idempotent repeat, refuses a mismatched body or a full queue, writes the
 * task, its gates and its event.
 */
export async function insertTask(
  tx: SqlExecutor,
  clock: string,
  limits: LimitCache,
  input: EnqueueInput,
  enqueuedBy: string,
): Promise<{ task: Task; created: boolean }> {
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
  const current = await limits.get(tx);
  if (current.some((l) => l.maxDepth !== null)) await checkDepth(tx, current, input.queue, input.tags.product);
  const gates = [...new Set(input.gates ?? [])];
  let pending = 0;
  let openGates = new Set<string>();
  if (gates.length) {
    const open = await tx.query<{ name: string }>(`SELECT name FROM queue_gates WHERE name IN (${placeholders(gates.length)})`, gates);
    openGates = new Set(open.map((g) => g.name));
    pending = gates.filter((g) => !openGates.has(g)).length;
  }
  const id = newTaskId();
  const insert = insertTaskSql(clock, input, { id, hash, enqueuedBy, blocked: pending > 0, gates });
  const rows = await tx.query(`${insert.sql} RETURNING *`, insert.params);
  for (const g of gates) {
    await tx.execute('INSERT INTO queue_task_gates (task_id, gate, opened) VALUES (?, ?, ?)', [id, g, openGates.has(g) ? 1 : 0]);
  }
  await recordEvents(tx, rows);
  return { task: taskFromRow(rows[0] as Row), created: true };
}
