/** The agents' wire contract (PROTOCOL.md "Agents"): zod schemas for every operation's body, and the views it returns. */
import { z } from 'zod';
import { storableText } from '../../../sdk/index.js';

/** The same rule as token names, so an agent token's name can be its agentId. */
export const AGENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const agentId = z.string().regex(AGENT_ID, 'must be 1-64 of letters, digits, ".", "_", "-", starting with a letter or digit');

export const AGENT_STATUSES = ['idle', 'busy', 'error'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export const LIVENESS = ['online', 'stale', 'offline'] as const;
export type Liveness = (typeof LIVENESS)[number];

export const CONTROL_STATES = ['running', 'paused', 'draining'] as const;
export type ControlState = (typeof CONTROL_STATES)[number];

export const DEFAULT_INTERVAL_MS = 10_000;
/** `meta` is for a few labels (host, version, pid), not a payload: it is rewritten on every heartbeat. */
export const MAX_META_BYTES = 2048;

const label = storableText(1, 200);

export const HeartbeatSchema = z
  .object({
    agentId,
    status: z.enum(AGENT_STATUSES),
    taskId: storableText(1, 128).optional(),
    model: label.optional(),
    product: label.optional(),
    intervalMs: z.number().int().min(1000).max(600_000).default(DEFAULT_INTERVAL_MS),
    meta: z
      .record(z.string(), z.unknown())
      .refine((m) => JSON.stringify(m).length <= MAX_META_BYTES, `must be at most ${MAX_META_BYTES} bytes as JSON`)
      .optional(),
  })
  .strict();
export type HeartbeatInput = z.output<typeof HeartbeatSchema>;

export const ListSchema = z
  .object({
    liveness: z.enum(LIVENESS).optional(),
    product: label.optional(),
    /** Substring of the id, model, product or task, any case. */
    q: storableText(0, 200).optional(),
  })
  .strict();
export type ListInput = z.output<typeof ListSchema>;

/** Who a control action is about: the whole fleet, one product's agents, or one agent. */
export const ControlSchema = z
  .object({
    scope: z.enum(['all', 'product', 'agent']),
    name: storableText(1, 200).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.scope === 'all' && c.name !== undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: 'must be left out when scope is "all"' });
    if (c.scope !== 'all' && c.name === undefined) ctx.addIssue({ code: 'custom', path: ['name'], message: `is required when scope is "${c.scope}"` });
    if (c.scope === 'agent' && c.name !== undefined && !AGENT_ID.test(c.name)) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'must be an agent id: 1-64 of letters, digits, ".", "_", "-"' });
    }
  });
export type ControlInput = z.output<typeof ControlSchema>;

export const AuditListSchema = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(50),
  })
  .strict();

export const ForgetSchema = z.object({ agentId }).strict();

export const EmptySchema = z.object({}).strict();

/** An agent as `reef.v1.agents.list` returns it. Times are ISO 8601. */
export interface AgentView {
  id: string;
  liveness: Liveness;
  lastSeenAt: string;
  firstSeenAt: string;
  status: AgentStatus;
  taskId?: string;
  model?: string;
  product?: string;
  intervalMs: number;
  meta?: Record<string, unknown>;
  control: ControlState;
}

/** The fleet controls as stored in ctx.kv under `fleet`. */
export interface FleetControls {
  pausedAll: boolean;
  pausedProducts: string[];
  pausedAgents: string[];
  drainingAgents: string[];
}

export type ControlAction = 'pause' | 'drain' | 'resume';

/** One control action in the audit log. */
export interface AuditEntry {
  id: number;
  at: string;
  /** "kind:id" of the caller, e.g. "operator:operator". */
  by: string;
  action: ControlAction;
  scope: ControlInput['scope'];
  name?: string;
  /** How many registered agents the action applied to (for scope all: all of them). */
  affected: number;
  before: FleetControls;
  after: FleetControls;
}

/** What `reef.v1.agents.<agentId>.control` (and `reef.v1.agents.all.control`) carries. */
export interface ControlMessage {
  action: ControlAction;
  scope: ControlInput['scope'];
  name?: string;
  by: string;
  at: string;
}
