/**
 * The Agents panel's state, one store per panel instance: agents by id (a `seen` event replaces
 * one in place), the fleet controls, the audit log and the filter.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { EMPTY_FILTER, type AgentView, type AuditEntry, type ControlsWithRevision, type FleetFilter, type Liveness } from './types.js';

const AUDIT_KEEP = 50;

export const NO_CONTROLS: ControlsWithRevision = { pausedAll: false, pausedProducts: [], pausedAgents: [], drainingAgents: [], revision: 0 };

export interface FleetState {
  agents: Map<string, AgentView>;
  status: 'loading' | 'ready' | 'error';
  error: string | null;
  controls: ControlsWithRevision;
  audit: AuditEntry[];
  filter: FleetFilter;

  listLoaded(agents: readonly AgentView[]): void;
  listFailed(message: string): void;
  /** Heartbeats arrive in batches (the hook gathers a fleet's worth per flush): one new map per batch. */
  agentsSeen(agents: readonly AgentView[]): void;
  livenessChanged(id: string, liveness: Liveness): void;
  agentForgotten(id: string): void;
  setControls(controls: ControlsWithRevision): void;
  setAudit(entries: readonly AuditEntry[]): void;
  auditAdded(entry: AuditEntry): void;
  setFilter(patch: Partial<FleetFilter>): void;
}

export type FleetStore = StoreApi<FleetState>;

/** A pause wins over a drain, as on the host. */
export function controlOf(controls: ControlsWithRevision, agent: { id: string; product?: string }): AgentView['control'] {
  if (controls.pausedAll || controls.pausedAgents.includes(agent.id)) return 'paused';
  if (agent.product !== undefined && controls.pausedProducts.includes(agent.product)) return 'paused';
  if (controls.drainingAgents.includes(agent.id)) return 'draining';
  return 'running';
}

function withControls(agents: Map<string, AgentView>, controls: ControlsWithRevision): Map<string, AgentView> {
  const out = new Map<string, AgentView>();
  for (const [id, a] of agents) {
    const control = controlOf(controls, a);
    out.set(id, control === a.control ? a : { ...a, control });
  }
  return out;
}

export function createFleetStore(): FleetStore {
  return createStore<FleetState>()((set) => ({
    agents: new Map(),
    status: 'loading',
    error: null,
    controls: NO_CONTROLS,
    audit: [],
    filter: EMPTY_FILTER,

    listLoaded: (agents) => set({ agents: new Map(agents.map((a) => [a.id, a])), status: 'ready', error: null }),
    listFailed: (message) => set((s) => ({ status: s.agents.size ? s.status : 'error', error: message })),
    agentsSeen: (seen) =>
      set((s) => {
        const agents = new Map(s.agents);
        // The host's view was made with its cached controls; the panel's are at least as new.
        for (const agent of seen) agents.set(agent.id, { ...agent, control: controlOf(s.controls, agent) });
        return { agents };
      }),
    livenessChanged: (id, liveness) =>
      set((s) => {
        const a = s.agents.get(id);
        if (!a || a.liveness === liveness) return {};
        const agents = new Map(s.agents);
        agents.set(id, { ...a, liveness });
        return { agents };
      }),
    agentForgotten: (id) =>
      set((s) => {
        if (!s.agents.has(id)) return {};
        const agents = new Map(s.agents);
        agents.delete(id);
        return { agents };
      }),
    setControls: (controls) =>
      set((s) => (controls.revision < s.controls.revision ? {} : { controls, agents: withControls(s.agents, controls) })),
    setAudit: (entries) => set({ audit: entries.slice(0, AUDIT_KEEP) }),
    auditAdded: (entry) => set((s) => (s.audit.some((e) => e.id === entry.id) ? {} : { audit: [entry, ...s.audit].slice(0, AUDIT_KEEP) })),
    setFilter: (patch) => set((s) => ({ filter: { ...s.filter, ...patch } })),
  }));
}

export function matchesFilter(a: AgentView, f: FleetFilter): boolean {
  if (f.liveness && a.liveness !== f.liveness) return false;
  if (f.product && a.product !== f.product) return false;
  if (f.text) {
    const q = f.text.toLowerCase();
    return [a.id, a.model, a.product, a.taskId, a.status].some((s) => s?.toLowerCase().includes(q));
  }
  return true;
}
