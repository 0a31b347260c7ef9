/**
 * What follows a change of approvals, whoever made it (an operator, a policy, a grant, the
 * expiry): the events, the wake of long polls (here and, through NOTIFY, on other hosts), the
 * queue gates of the tasks an approval blocks, and the pending-count status.
 */
import { ReefError } from '../../../sdk/index.js';
import type { Approval, Grant, PendingNotice, PendingSummary } from './schemas.js';
import type { ApprovalStore, Expired } from './store.js';
import type { ApprovalWaiters } from './waiters.js';

/** The queue's gate named after an approval: tasks in `blocks` wait on it. */
export const gateName = (approvalId: string) => `approval:${approvalId}`;

/** The queue's gate operations, reached over the bus (reef.v1.gates.*) with the plugin's own authority. */
export interface QueueGates {
  hold(gate: string, taskIds: readonly string[]): Promise<void>;
  open(gate: string): Promise<void>;
  fail(gate: string, error: string): Promise<void>;
}

export function busGates(request: (subject: string, body: unknown) => Promise<unknown>): QueueGates {
  return {
    hold: async (name, taskIds) => void (await request('reef.v1.gates.hold', { name, taskIds })),
    open: async (name) => void (await request('reef.v1.gates.open', { name })),
    fail: async (name, error) => void (await request('reef.v1.gates.fail', { name, error })),
  };
}

/** Why the tasks of a rejected or expired approval failed: their last error. */
export function failureMessage(a: Approval): string {
  if (a.status === 'expired') return `approval ${a.id} expired without a decision`;
  return `approval ${a.id} rejected by ${a.decidedBy ?? 'someone'}${a.comment ? `: ${a.comment}` : ''}`;
}

/** What a notification says of the latest high-risk or escalated request, and where it links. */
export function pendingNotice(a: Approval): PendingNotice {
  const escalated = a.escalatedAt !== undefined;
  const what = escalated ? (a.risk === 'high' ? 'Escalated high-risk approval' : 'Escalated approval') : 'High-risk approval';
  const notice: PendingNotice = { id: a.id, title: a.title, agent: a.agent, kind: a.kind, risk: a.risk, escalated, at: a.escalatedAt ?? a.createdAt, text: `${what}: ${a.title} (${a.agent})` };
  if (a.product !== undefined) notice.product = a.product;
  return notice;
}

export function pendingSummary(counts: { pending: number; highRisk: number; escalated: number; latest?: Approval | undefined }): PendingSummary {
  const { pending, highRisk, escalated } = counts;
  const text = pending === 0 ? 'No approvals pending' : `${pending} approval${pending === 1 ? '' : 's'} pending${highRisk ? ` (${highRisk} high risk)` : ''}`;
  const tone = pending === 0 ? 'ok' : highRisk > 0 || escalated > 0 ? 'error' : 'warn';
  const summary: PendingSummary = { pending, highRisk, escalated, text, tone };
  if (counts.latest) summary.latest = pendingNotice(counts.latest);
  return summary;
}

export interface EffectsDeps {
  store: ApprovalStore;
  publish: (subject: string, body: unknown) => Promise<void>;
  gates: QueueGates;
  waiters: ApprovalWaiters;
  /** Tells the other hosts on the database (PostgreSQL NOTIFY) that these approvals changed. */
  notifyOthers?: (ids: readonly string[]) => Promise<void>;
  warn: (msg: string, fields?: Record<string, unknown>) => void;
}

export class Effects {
  private lastPending = '';

  constructor(private readonly deps: EffectsDeps) {}

  async requested(a: Approval): Promise<void> {
    await this.deps.publish('reef.v1.events.approval.requested', { approval: a });
    if (a.status !== 'pending') await this.decided([a]);
    else await this.refreshPending();
  }

  /** Decided approvals: long polls first (the agents resume), then events, gates and the count. */
  async decided(approvals: readonly Approval[]): Promise<void> {
    await this.wake(approvals);
    for (const a of approvals) await this.deps.publish('reef.v1.events.approval.decided', { approval: a });
    for (const a of approvals) await this.settle(a);
    await this.refreshPending();
  }

  async expired(results: readonly Expired[]): Promise<void> {
    if (results.length === 0) return;
    await this.wake(results.filter((r) => r.outcome !== 'escalated').map((r) => r.approval));
    for (const { approval, outcome } of results) {
      const event = outcome === 'approved' ? 'decided' : outcome;
      await this.deps.publish(`reef.v1.events.approval.${event}`, { approval });
    }
    for (const r of results) if (r.outcome !== 'escalated') await this.settle(r.approval);
    await this.refreshPending();
  }

  /** Grants whose time ran out: announced on the grants event, marked ended, so panels drop them. */
  async grantsEnded(grants: readonly Grant[]): Promise<void> {
    for (const grant of grants) await this.deps.publish('reef.v1.events.approvals.grants', { grant });
  }

  private async wake(approvals: readonly Approval[]): Promise<void> {
    if (approvals.length === 0) return;
    for (const a of approvals) this.deps.waiters.wake(a.id);
    await this.deps.notifyOthers?.(approvals.map((a) => a.id)).catch((err: unknown) => this.deps.warn('NOTIFY failed', { err: String(err) }));
  }

  /**
   * Opens the gate of an approved (or answered) approval, or fails the tasks of a rejected or
   * expired one. A failure is logged and left for the next `settleUnsettled` (the approval stays
   * marked), so a queue that was briefly unreachable does not leave tasks blocked for good.
   */
  async settle(a: Approval): Promise<boolean> {
    if (a.blocks.length === 0 || a.status === 'pending') return true;
    try {
      if (a.status === 'approved' || a.status === 'responded') await this.deps.gates.open(gateName(a.id));
      else await this.deps.gates.fail(gateName(a.id), failureMessage(a));
      await this.deps.store.markGatesSettled(a.id);
      return true;
    } catch (err) {
      this.deps.warn('settling the gate of an approval failed; will retry', { approval: a.id, err: ReefError.from(err).message });
      return false;
    }
  }

  /** Settles what earlier attempts (or a host that stopped in between) left unsettled. */
  async settleUnsettled(): Promise<number> {
    let settled = 0;
    for (const a of await this.deps.store.gatesUnsettled()) if (await this.settle(a)) settled++;
    return settled;
  }

  /** Publishes the pending count when it changed (the host keeps the last one for windows that open later). */
  async refreshPending(): Promise<PendingSummary> {
    const summary = pendingSummary(await this.deps.store.pendingCounts());
    const key = JSON.stringify(summary);
    if (key !== this.lastPending) {
      this.lastPending = key;
      await this.deps.publish('reef.v1.events.approvals.pending', summary);
    }
    return summary;
  }
}
