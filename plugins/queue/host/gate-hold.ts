/**
 * Gates on tasks that already exist (for approvals: a request's `blocks`). `hold` adds a gate to
 * waiting tasks, which stay blocked until it opens (`openGate`, as for gates given at enqueue);
 * `failGated` ends the tasks a gate still holds as dead (a non-retryable failure) with a message,
 * for a gate that will never open (a rejected approval). Served as reef.v1.gates.hold and
 * reef.v1.gates.fail, operator (or host plugin) only.
 */
import { z } from 'zod';
import { ReefError, parseBody, requireOperator, storableText, type PluginDatabase, type RequestInfo, type Row } from '../../../sdk/index.js';
import { placeholders, recordEvents } from './claim-sql.js';
import type { Task, TaskState } from './schemas.js';
import type { GateStore } from './store.js';
import { json, taskFromRow } from './task-row.js';

const gateName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be a gate name like approval:123');

export const HoldGateSchema = z
  .object({ name: gateName, taskIds: z.array(storableText(1, 64)).min(1).max(100) })
  .strict();
export const FailGateSchema = z.object({ name: gateName, error: storableText(1, 10_000) }).strict();

/** States a gate may be added in: the task has not started (or waits for its retry). */
export const HOLDABLE: readonly TaskState[] = ['ready', 'scheduled', 'failed', 'blocked'];

export class SqlGateStore implements GateStore {
  /** `clock`: the dialect's clock expression (SQLITE_CLOCK, PG_CLOCK). */
  constructor(
    private readonly db: PluginDatabase,
    private readonly clock: string,
  ) {}

  async hold(name: string, taskIds: readonly string[]): Promise<{ tasks: Task[]; blocked: Task[] }> {
    const ids = [...new Set(taskIds)];
    return this.db.transaction(async (tx) => {
      const found = new Map((await tx.query(`SELECT id, state, gates FROM queue_tasks WHERE id IN (${placeholders(ids.length)})`, ids)).map((r) => [String(r.id), r]));
      for (const id of ids) {
        const row = found.get(id);
        if (!row) throw new ReefError('not_found', `no task ${id}`, { taskId: id });
        if (!HOLDABLE.includes(row.state as TaskState)) {
          throw new ReefError('conflict', `task ${id} is ${String(row.state)}: only a task that has not started can be held at a gate`, { taskId: id, state: row.state });
        }
      }
      const open = (await tx.query('SELECT 1 AS one FROM queue_gates WHERE name = ?', [name])).length > 0;
      const changed: Row[] = [];
      for (const id of ids) {
        const row = found.get(id) as Row;
        const gates = (row.gates === null || row.gates === undefined ? [] : (JSON.parse(String(row.gates)) as string[])).filter((g) => g !== name);
        await tx.execute('INSERT INTO queue_task_gates (task_id, gate, opened) VALUES (?, ?, ?) ON CONFLICT (task_id, gate) DO NOTHING', [id, name, open ? 1 : 0]);
        const [updated] = await tx.query(
          `UPDATE queue_tasks SET gates = ?, state = ?, updated_at = ${this.clock} WHERE id = ? RETURNING *`,
          [json([...gates, name]), open ? row.state : 'blocked', id],
        );
        if (updated && updated.state !== row.state) changed.push(updated);
      }
      await recordEvents(tx, changed);
      const rows = await tx.query(`SELECT * FROM queue_tasks WHERE id IN (${placeholders(ids.length)})`, ids);
      return { tasks: rows.map(taskFromRow), blocked: changed.map(taskFromRow) };
    });
  }

  async failGated(name: string, error: string): Promise<Task[]> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query(
        `UPDATE queue_tasks SET state = 'dead', last_error = ?, lease_expires_at = NULL, updated_at = ${this.clock}
         WHERE state = 'blocked' AND id IN (SELECT task_id FROM queue_task_gates WHERE gate = ? AND opened = 0)
         RETURNING *`,
        [error, name],
      );
      await recordEvents(tx, rows, error);
      return rows.map(taskFromRow);
    });
  }
}

/** The bus handlers of the two operations; `emit` publishes the tasks' transitions as the queue does. */
export function gateHandlers(gates: GateStore, emit: (tasks: readonly Task[]) => Promise<void>) {
  return {
    hold: async (body: unknown, info: RequestInfo) => {
      requireOperator(info, 'holding tasks at a gate');
      const { name, taskIds } = parseBody(HoldGateSchema, body);
      const { tasks, blocked } = await gates.hold(name, taskIds);
      await emit(blocked);
      return { tasks };
    },
    fail: async (body: unknown, info: RequestInfo) => {
      requireOperator(info, 'failing gated tasks');
      const { name, error } = parseBody(FailGateSchema, body);
      const tasks = await gates.failGated(name, error);
      await emit(tasks);
      return { failed: tasks.length, tasks };
    },
  };
}
