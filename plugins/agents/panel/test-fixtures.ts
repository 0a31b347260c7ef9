/** Agents and a fake PanelApi (the panel's boundary) for the panel's jsdom tests. */
import type { AgentView, AuditEntry, ControlsWithRevision } from './types.js';

export function makeAgent(id: string, patch: Partial<AgentView> = {}): AgentView {
  const at = new Date(Date.now() - 3000).toISOString();
  return { id, liveness: 'online', lastSeenAt: at, firstSeenAt: at, status: 'idle', intervalMs: 10_000, control: 'running', ...patch };
}

export const noControls = (patch: Partial<ControlsWithRevision> = {}): ControlsWithRevision => ({
  pausedAll: false,
  pausedProducts: [],
  pausedAgents: [],
  drainingAgents: [],
  revision: 1,
  ...patch,
});

let auditSeq = 0;
export function makeAuditEntry(patch: Partial<AuditEntry> = {}): AuditEntry {
  auditSeq++;
  return {
    id: auditSeq,
    at: new Date().toISOString(),
    by: 'operator:operator',
    action: 'pause',
    scope: 'product',
    name: 'acme',
    affected: 2,
    before: noControls(),
    after: noControls({ pausedProducts: ['acme'] }),
    ...patch,
  };
}

/** Answers by subject; records every request; lets a test emit bus events. */
export { fakePanelApi as fakeApi } from '../../../sdk/testing.js';
