/** The wire types the panel reads, taken from the host's contract (types only: no code crosses over). */
export type { AgentView, AuditEntry, ControlAction, ControlState, FleetControls, Liveness } from '../host/schemas.js';
import type { FleetControls } from '../host/schemas.js';

export type ControlScope = 'all' | 'product' | 'agent';

/** Controls as `reef.v1.agents.controls` and the controls event carry them. */
export type ControlsWithRevision = FleetControls & { revision: number };

export interface FleetFilter {
  liveness: '' | 'online' | 'stale' | 'offline';
  product: string;
  text: string;
}

export const EMPTY_FILTER: FleetFilter = { liveness: '', product: '', text: '' };
