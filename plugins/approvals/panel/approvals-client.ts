/** The panel's client for the approvals' bus operations: typed requests and event subscriptions, nothing else. */
import type { PanelApi } from '../../../sdk/panel/index.js';
import type { Approval, ApprovalPage, ApprovalStatus, DecisionBody, DryRunResult, Grant, GrantAsk, InboxFilter, PendingSummary, PolicyDraft, PolicyRule, Proposal } from './types.js';

/** requested, decided, expired, escalated, reverted: each with the approval as it is now. */
export const APPROVAL_EVENTS = 'reef.v1.events.approval.>';
/** pending (the count), policies, grants. */
export const APPROVALS_EVENTS = 'reef.v1.events.approvals.>';

export type ApprovalEventKind = 'requested' | 'decided' | 'expired' | 'escalated' | 'reverted';

function approvalOf(body: unknown): Approval | undefined {
  const a = (body as { approval?: Partial<Approval> } | null)?.approval;
  return a && typeof a.id === 'string' && typeof a.status === 'string' && typeof a.agent === 'string' ? (a as Approval) : undefined;
}

/** The list body for a filter: only what is set (the host reads arrays on the bus). */
export function toListBody(filter: Partial<InboxFilter>, status: readonly ApprovalStatus[] | undefined): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (status?.length) body.status = [...status];
  if (filter.q) body.q = filter.q;
  if (filter.kinds?.length) body.kind = [...filter.kinds];
  if (filter.risks?.length) body.risk = [...filter.risks];
  if (filter.agent) body.agent = filter.agent;
  if (filter.product) body.product = filter.product;
  return body;
}

export class ApprovalsClient {
  constructor(private readonly api: PanelApi) {}

  list(filter: Partial<InboxFilter>, status: readonly ApprovalStatus[] | undefined, page: { limit: number; cursor?: string | undefined }): Promise<ApprovalPage> {
    return this.api.request<ApprovalPage>('reef.v1.approvals.list', { ...toListBody(filter, status), limit: page.limit, ...(page.cursor ? { cursor: page.cursor } : {}) });
  }

  decide(id: string, decision: DecisionBody, grant?: GrantAsk): Promise<{ approval: Approval; grant?: Grant }> {
    return this.api.request('reef.v1.approvals.decide', { id, ...decision, ...(grant ? { grant } : {}) });
  }

  /**
   * All or nothing: `ids`, or every pending approval the filter matches, which must be
   * `expectCount` of them (the number the operator confirmed) when it is given.
   */
  decideMany(target: { ids: string[] } | { filter: Partial<InboxFilter> }, decision: DecisionBody, expectCount?: number): Promise<{ decided: number; approvals: Approval[] }> {
    const which = 'ids' in target ? { ids: target.ids } : { filter: toListBody(target.filter, undefined), ...(expectCount !== undefined ? { expectCount } : {}) };
    return this.api.request('reef.v1.approvals.decideMany', { ...which, ...decision }, { timeoutMs: 120_000 });
  }

  summary(): Promise<PendingSummary> {
    return this.api.request<PendingSummary>('reef.v1.approvals.summary', {});
  }

  policies(): Promise<{ policies: PolicyRule[] }> {
    return this.api.request('reef.v1.approvals.policies.list', {});
  }

  putPolicy(draft: PolicyDraft): Promise<{ policy: PolicyRule; policies: PolicyRule[] }> {
    return this.api.request('reef.v1.approvals.policies.put', draft);
  }

  deletePolicy(id: string): Promise<{ deleted: string; policies: PolicyRule[] }> {
    return this.api.request('reef.v1.approvals.policies.delete', { id });
  }

  dryRun(draft: PolicyDraft): Promise<DryRunResult> {
    const { name, enabled, action, match } = draft;
    return this.api.request('reef.v1.approvals.policies.dryRun', { rule: { name, enabled, action, match } }, { timeoutMs: 60_000 });
  }

  grants(): Promise<{ grants: Grant[] }> {
    return this.api.request('reef.v1.approvals.grants.list', {});
  }

  revokeGrant(id: string): Promise<{ grant: Grant }> {
    return this.api.request('reef.v1.approvals.grants.revoke', { id });
  }

  proposals(): Promise<{ threshold: number; proposals: Proposal[] }> {
    return this.api.request('reef.v1.approvals.proposals', {}, { timeoutMs: 60_000 });
  }

  /** Every change of an approval, with what happened to it. */
  onApproval(listener: (kind: ApprovalEventKind, approval: Approval) => void): () => void {
    return this.api.subscribe(APPROVAL_EVENTS, (body, subject) => {
      const approval = approvalOf(body);
      if (approval) listener(subject.slice(subject.lastIndexOf('.') + 1) as ApprovalEventKind, approval);
    });
  }

  /** Policies and grants changed (by this operator or another). */
  onAdmin(listener: (what: 'policies' | 'grants', body: unknown) => void): () => void {
    return this.api.subscribe(APPROVALS_EVENTS, (body, subject) => {
      const what = subject.slice(subject.lastIndexOf('.') + 1);
      if (what === 'policies' || what === 'grants') listener(what, body);
    });
  }

  toast(message: string, tone?: 'info' | 'success' | 'error'): void {
    this.api.toast(message, tone);
  }

  openPanel(pluginId: string, panelId: string, target?: string): void {
    this.api.openPanel(pluginId, panelId, target);
  }
}
