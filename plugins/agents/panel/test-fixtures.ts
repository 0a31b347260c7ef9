/** Agents and a fake PanelApi (the panel's boundary) for the panel's jsdom tests. */
import type { PanelApi } from '../../../sdk/index.js';
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

export interface Call {
  subject: string;
  body: Record<string, unknown>;
}

/** Answers by subject; records every request; lets a test emit bus events. */
export function fakeApi(answer: (subject: string, body: Record<string, unknown>) => unknown) {
  const calls: Call[] = [];
  const toasts: Array<{ message: string; tone?: string }> = [];
  const listeners = new Map<string, (body: unknown, subject: string) => void>();
  const api: PanelApi = {
    request: async <T,>(subject: string, body?: unknown) => {
      const b = (body ?? {}) as Record<string, unknown>;
      calls.push({ subject, body: b });
      return (await answer(subject, b)) as T;
    },
    subscribe: (pattern, onMessage) => {
      listeners.set(pattern, onMessage);
      return () => listeners.delete(pattern);
    },
    toast: (message, tone) => {
      toasts.push(tone === undefined ? { message } : { message, tone });
    },
    openPanel: () => undefined,
    hostInfo: async () => {
      throw new Error('not used by the agents panel');
    },
    plugins: async () => [],
    manifestProblems: async () => [],
    onPluginsChanged: () => () => undefined,
  };
  const emit = (subject: string, body: unknown) => {
    for (const [pattern, listener] of listeners) {
      if (subject.startsWith(pattern.replace(/>$/, ''))) listener(body, subject);
    }
  };
  return { api, calls, toasts, emit, listeners };
}
