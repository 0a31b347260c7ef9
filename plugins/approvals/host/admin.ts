/**
 * The operator's operations around the inbox: policies (list, put, delete, dry run), grants
 * (list, revoke), the ledger and the policies it proposes, the audit log (verify, export),
 * the pending summary and the metrics. All operator-only except the summary.
 */
import { ReefError, parseBody, requireOperator, type RequestInfo } from '../../../sdk/index.js';
import type { Effects } from './effects.js';
import { metricsOf } from './metrics.js';
import { covered, dryRun, proposeRule } from './policy.js';
import { matchCovers } from '../shared/match.js';
import { newId } from './rows.js';
import { AuditExportSchema, EmptySchema, GrantListSchema, IdSchema, PolicyDryRunSchema, PolicyPutSchema, ProposalsSchema } from './schemas.js';
import { actorOf } from './service.js';
import type { ApprovalStore } from './store.js';

export const DEFAULT_PROPOSAL_STREAK = 20;
/** Decided approvals a proposal's dry run replays. */
const PROPOSAL_HISTORY = 10_000;

export interface ApprovalsAdminDeps {
  store: ApprovalStore;
  effects: Effects;
  publish: (subject: string, body: unknown) => Promise<void>;
  now: () => number;
  /** Approvals unchanged in a row before a policy is proposed (setting `proposal-streak`). */
  proposalStreak: number;
}

export class ApprovalsAdmin {
  constructor(private readonly deps: ApprovalsAdminDeps) {}

  private async policiesChanged() {
    const policies = await this.deps.store.listPolicies();
    await this.deps.publish('reef.v1.events.approvals.policies', { policies });
    return policies;
  }

  listPolicies = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'reading policies');
    parseBody(EmptySchema, body);
    return { policies: await this.deps.store.listPolicies() };
  };

  putPolicy = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'changing policies');
    const { position, ...rule } = parseBody(PolicyPutSchema, body);
    const policy = await this.deps.store.putPolicy({ ...rule, id: rule.id ?? newId('po', this.deps.now()) }, position, actorOf(info), this.deps.now());
    return { policy, policies: await this.policiesChanged() };
  };

  deletePolicy = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'changing policies');
    const { id } = parseBody(IdSchema, body);
    if (!(await this.deps.store.deletePolicy(id, actorOf(info), this.deps.now()))) throw new ReefError('not_found', `no policy ${id}`);
    return { deleted: id, policies: await this.policiesChanged() };
  };

  dryRun = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'dry runs of policies');
    const { rule, limit } = parseBody(PolicyDryRunSchema, body);
    return dryRun(rule, await this.deps.store.decidedHistory(limit));
  };

  listGrants = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'reading grants');
    const { all } = parseBody(GrantListSchema, body);
    return { grants: await this.deps.store.listGrants(this.deps.now(), all) };
  };

  revokeGrant = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'revoking grants');
    const { id } = parseBody(IdSchema, body);
    const grant = await this.deps.store.revokeGrant(id, actorOf(info), this.deps.now());
    await this.deps.publish('reef.v1.events.approvals.grants', { grant });
    return { grant };
  };

  ledger = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'reading the ledger');
    parseBody(EmptySchema, body);
    return { ledger: await this.deps.store.ledger() };
  };

  /**
   * (agent, kind) pairs with at least `threshold` approvals unchanged in a row and no approve
   * rule covering them yet, each with the rule Reef proposes and its dry run. Nothing is saved:
   * the operator saves a proposal (policies.put) or not.
   */
  proposals = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'reading proposals');
    const threshold = parseBody(ProposalsSchema, body).threshold ?? this.deps.proposalStreak;
    const [ledger, policies] = await Promise.all([this.deps.store.ledger(), this.deps.store.listPolicies()]);
    const due = ledger.filter((e) => e.streak >= threshold && !covered(policies, e.agent, e.kind));
    if (due.length === 0) return { threshold, proposals: [] };
    const history = await this.deps.store.decidedHistory(PROPOSAL_HISTORY);
    const proposals = due
      .map((entry) => ({ entry, rule: proposeRule(entry, history) }))
      // Adopted (perhaps renamed or widened): an enabled approve rule covers the proposed one.
      .filter(({ rule }) => !policies.some((r) => r.enabled && r.action === 'approve' && matchCovers(r.match, rule.match)))
      .map(({ entry, rule }) => ({ entry, rule, dryRun: dryRun(rule, history) }));
    return { threshold, proposals };
  };

  verifyAudit = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'verifying the audit log');
    parseBody(EmptySchema, body);
    return this.deps.store.verifyAudit();
  };

  exportAudit = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'exporting the audit log');
    const { afterSeq, limit } = parseBody(AuditExportSchema, body);
    return this.deps.store.exportAudit(afterSeq, limit);
  };

  /** The pending count (sidebar, title, tray): agents may read it too, without `latest` (another agent's request). */
  summary = async (body: unknown, info: RequestInfo) => {
    parseBody(EmptySchema, body);
    const summary = await this.deps.effects.refreshPending();
    if (info.caller.kind !== 'agent' || !summary.latest) return summary;
    const { latest: _latest, ...counts } = summary;
    return counts;
  };

  metrics = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'reading metrics');
    parseBody(EmptySchema, body);
    const [pending, stats] = await Promise.all([this.deps.store.pendingCounts(), this.deps.store.decisionStats(0)]);
    return metricsOf(pending, stats);
  };
}
