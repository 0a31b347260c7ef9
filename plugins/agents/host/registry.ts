/** The agent registry on the plugin's table: one UPSERT per heartbeat, liveness computed when read. */
import type { SqlExecutor } from '../../../sdk/index.js';
import { livenessAt } from './liveness.js';
import type { AgentStatus, AgentView, ControlState, FleetControls, HeartbeatInput, ListInput, Liveness } from './schemas.js';

/** A registry row: the listed agent with times in epoch ms, before the reader adds liveness and control. */
export type AgentRecord = Omit<AgentView, 'liveness' | 'control' | 'firstSeenAt' | 'lastSeenAt'> & { firstSeenAt: number; lastSeenAt: number };

const COLUMNS = 'id, status, task_id, model, product, interval_ms, meta, first_seen_at, last_seen_at';

// Every heartbeat states the agent's whole current state, so a field it leaves out is cleared.
const UPSERT = `INSERT INTO agents_registry (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET status = excluded.status, task_id = excluded.task_id, model = excluded.model,
  product = excluded.product, interval_ms = excluded.interval_ms, meta = excluded.meta,
  last_seen_at = excluded.last_seen_at, heartbeats = agents_registry.heartbeats + 1
RETURNING first_seen_at`;

function toRecord(r: Record<string, unknown>): AgentRecord {
  const rec: AgentRecord = {
    id: String(r.id),
    status: String(r.status) as AgentStatus,
    intervalMs: Number(r.interval_ms),
    firstSeenAt: Number(r.first_seen_at),
    lastSeenAt: Number(r.last_seen_at),
  };
  if (r.task_id != null) rec.taskId = String(r.task_id);
  if (r.model != null) rec.model = String(r.model);
  if (r.product != null) rec.product = String(r.product);
  if (r.meta != null) rec.meta = JSON.parse(String(r.meta)) as Record<string, unknown>;
  return rec;
}

/** The control state an agent is under: a pause (fleet, product or agent) wins over a drain. */
export function controlOf(controls: FleetControls, agent: { id: string; product?: string }): ControlState {
  if (controls.pausedAll || controls.pausedAgents.includes(agent.id)) return 'paused';
  if (agent.product !== undefined && controls.pausedProducts.includes(agent.product)) return 'paused';
  if (controls.drainingAgents.includes(agent.id)) return 'draining';
  return 'running';
}

export function toView(rec: AgentRecord, now: number, controls: FleetControls): AgentView {
  const view: AgentView = {
    id: rec.id,
    liveness: livenessAt(rec.lastSeenAt, rec.intervalMs, now),
    lastSeenAt: new Date(rec.lastSeenAt).toISOString(),
    firstSeenAt: new Date(rec.firstSeenAt).toISOString(),
    status: rec.status,
    intervalMs: rec.intervalMs,
    control: controlOf(controls, rec),
  };
  if (rec.taskId !== undefined) view.taskId = rec.taskId;
  if (rec.model !== undefined) view.model = rec.model;
  if (rec.product !== undefined) view.product = rec.product;
  if (rec.meta !== undefined) view.meta = rec.meta;
  return view;
}

export function matches(view: AgentView, filter: ListInput): boolean {
  if (filter.liveness && view.liveness !== filter.liveness) return false;
  if (filter.product !== undefined && view.product !== filter.product) return false;
  if (filter.q) {
    const q = filter.q.toLowerCase();
    return [view.id, view.model, view.product, view.taskId].some((s) => s?.toLowerCase().includes(q));
  }
  return true;
}

export class AgentRegistry {
  constructor(
    private readonly db: SqlExecutor,
    private readonly now: () => number,
  ) {}

  /** One statement: insert the agent or rewrite its row. */
  async heartbeat(input: HeartbeatInput): Promise<AgentRecord> {
    const at = this.now();
    const rows = await this.db.query<{ first_seen_at: unknown }>(UPSERT, [
      input.agentId,
      input.status,
      input.taskId ?? null,
      input.model ?? null,
      input.product ?? null,
      input.intervalMs,
      input.meta === undefined ? null : JSON.stringify(input.meta),
      at,
      at,
    ]);
    const rec: AgentRecord = {
      id: input.agentId,
      status: input.status,
      intervalMs: input.intervalMs,
      firstSeenAt: Number(rows[0]?.first_seen_at ?? at),
      lastSeenAt: at,
    };
    if (input.taskId !== undefined) rec.taskId = input.taskId;
    if (input.model !== undefined) rec.model = input.model;
    if (input.product !== undefined) rec.product = input.product;
    if (input.meta !== undefined) rec.meta = input.meta;
    return rec;
  }

  /** Every agent, by id; a product filter is applied in SQL, the rest by the caller. */
  async all(product?: string): Promise<AgentRecord[]> {
    const rows =
      product === undefined
        ? await this.db.query(`SELECT ${COLUMNS} FROM agents_registry ORDER BY id`)
        : await this.db.query(`SELECT ${COLUMNS} FROM agents_registry WHERE product = ? ORDER BY id`, [product]);
    return rows.map(toRecord);
  }

  /** Just what liveness needs, for the 1 s transition check. */
  async livenessOfAll(now: number): Promise<Map<string, { liveness: Liveness; lastSeenAt: number; product?: string }>> {
    const rows = await this.db.query('SELECT id, product, interval_ms, last_seen_at FROM agents_registry');
    const out = new Map<string, { liveness: Liveness; lastSeenAt: number; product?: string }>();
    for (const r of rows) {
      const lastSeenAt = Number(r.last_seen_at);
      const entry: { liveness: Liveness; lastSeenAt: number; product?: string } = { liveness: livenessAt(lastSeenAt, Number(r.interval_ms), now), lastSeenAt };
      if (r.product != null) entry.product = String(r.product);
      out.set(String(r.id), entry);
    }
    return out;
  }

  /** Drops an agent from the registry (it comes back with its next heartbeat). */
  async forget(id: string): Promise<boolean> {
    const { changes } = await this.db.execute('DELETE FROM agents_registry WHERE id = ?', [id]);
    return changes > 0;
  }
}
