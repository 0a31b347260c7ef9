/**
 * Fleet controls (pause, drain, resume) in ctx.kv under one key, changed by compare-and-set so
 * that two operators (or two hosts) acting at once both land; every action goes to the audit table.
 */
import { ReefError, type KeyValue, type SqlExecutor } from '../../../sdk/index.js';
import type { AuditEntry, ControlAction, ControlInput, FleetControls } from './schemas.js';

export const CONTROLS_KEY = 'fleet';
const MAX_ATTEMPTS = 20;

export const NO_CONTROLS: FleetControls = { pausedAll: false, pausedProducts: [], pausedAgents: [], drainingAgents: [] };

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Whatever is stored, as FleetControls (a hand-edited or older value must not break reads). */
export function normalizeControls(value: unknown): FleetControls {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    pausedAll: v.pausedAll === true,
    pausedProducts: list(v.pausedProducts),
    pausedAgents: list(v.pausedAgents),
    drainingAgents: list(v.drainingAgents),
  };
}

const add = (xs: string[], ys: readonly string[]) => [...new Set([...xs, ...ys])].sort();
const remove = (xs: string[], ys: readonly string[]) => xs.filter((x) => !ys.includes(x));

/** The registered agents an action touches, as the reader knows them now. */
export interface Affected {
  /** Agents of the product (scope product) or the agent itself (scope agent); for scope all, every agent. */
  agents: string[];
}

/**
 * The state after an action. Drain marks agents (scope product or all: the product's or every
 * agent registered now); resume undoes everything within its scope, pauses and drains alike.
 */
export function applyControl(before: FleetControls, action: ControlAction, input: ControlInput, affected: Affected): FleetControls {
  const s: FleetControls = { ...before, pausedProducts: [...before.pausedProducts], pausedAgents: [...before.pausedAgents], drainingAgents: [...before.drainingAgents] };
  const name = input.name ?? '';
  switch (action) {
    case 'pause':
      if (input.scope === 'all') s.pausedAll = true;
      else if (input.scope === 'product') s.pausedProducts = add(s.pausedProducts, [name]);
      else {
        s.pausedAgents = add(s.pausedAgents, [name]);
        s.drainingAgents = remove(s.drainingAgents, [name]);
      }
      return s;
    case 'drain': {
      const who = input.scope === 'agent' ? [name] : affected.agents;
      s.drainingAgents = add(s.drainingAgents, who);
      s.pausedAgents = remove(s.pausedAgents, who);
      return s;
    }
    case 'resume':
      if (input.scope === 'all') return { ...NO_CONTROLS };
      if (input.scope === 'product') {
        s.pausedProducts = remove(s.pausedProducts, [name]);
        s.pausedAgents = remove(s.pausedAgents, affected.agents);
        s.drainingAgents = remove(s.drainingAgents, affected.agents);
      } else {
        s.pausedAgents = remove(s.pausedAgents, [name]);
        s.drainingAgents = remove(s.drainingAgents, [name]);
      }
      return s;
  }
}

export function sameControls(a: FleetControls, b: FleetControls): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class FleetControlStore {
  constructor(
    private readonly kv: KeyValue,
    private readonly db: SqlExecutor,
    private readonly now: () => number,
  ) {}

  async read(): Promise<{ controls: FleetControls; revision: number }> {
    const entry = await this.kv.get(CONTROLS_KEY);
    return entry ? { controls: normalizeControls(entry.value), revision: entry.revision } : { controls: { ...NO_CONTROLS }, revision: 0 };
  }

  /**
   * Reads, applies, writes at the read revision; on a conflict (someone else wrote in between)
   * reads again and reapplies, so neither change is lost. Then records the action in the audit log.
   */
  async change(
    action: ControlAction,
    input: ControlInput,
    affected: Affected,
    by: string,
  ): Promise<{ before: FleetControls; after: FleetControls; revision: number; changed: boolean; entry: AuditEntry }> {
    for (let attempt = 1; ; attempt++) {
      const entry = await this.kv.get(CONTROLS_KEY);
      const before = entry ? normalizeControls(entry.value) : { ...NO_CONTROLS };
      const after = applyControl(before, action, input, affected);
      const changed = !sameControls(before, after);
      let revision = entry?.revision ?? 0;
      try {
        if (changed) revision = entry ? await this.kv.update(CONTROLS_KEY, after, entry.revision) : await this.kv.create(CONTROLS_KEY, after);
      } catch (err) {
        if (err instanceof ReefError && err.code === 'conflict' && attempt < MAX_ATTEMPTS) continue;
        throw err;
      }
      const audit = await this.audit({ at: this.now(), by, action, input, affected: affected.agents.length, before, after });
      return { before, after, revision, changed, entry: audit };
    }
  }

  private async audit(e: { at: number; by: string; action: ControlAction; input: ControlInput; affected: number; before: FleetControls; after: FleetControls }): Promise<AuditEntry> {
    const rows = await this.db.query<{ id: unknown }>(
      'INSERT INTO agents_audit (at, by_caller, action, scope, name, affected, before_state, after_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
      [e.at, e.by, e.action, e.input.scope, e.input.name ?? null, e.affected, JSON.stringify(e.before), JSON.stringify(e.after)],
    );
    const entry: AuditEntry = {
      id: Number(rows[0]?.id),
      at: new Date(e.at).toISOString(),
      by: e.by,
      action: e.action,
      scope: e.input.scope,
      affected: e.affected,
      before: e.before,
      after: e.after,
    };
    if (e.input.name !== undefined) entry.name = e.input.name;
    return entry;
  }

  /** Newest first. */
  async auditLog(limit: number): Promise<AuditEntry[]> {
    const rows = await this.db.query(
      'SELECT id, at, by_caller, action, scope, name, affected, before_state, after_state FROM agents_audit ORDER BY id DESC LIMIT ?',
      [limit],
    );
    return rows.map((r) => {
      const entry: AuditEntry = {
        id: Number(r.id),
        at: new Date(Number(r.at)).toISOString(),
        by: String(r.by_caller),
        action: String(r.action) as ControlAction,
        scope: String(r.scope) as ControlInput['scope'],
        affected: Number(r.affected),
        before: normalizeControls(JSON.parse(String(r.before_state))),
        after: normalizeControls(JSON.parse(String(r.after_state))),
      };
      if (r.name != null) entry.name = String(r.name);
      return entry;
    });
  }
}
