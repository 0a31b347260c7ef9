/**
 * The ApprovalStore contract: every operation the approvals service, the expiry sweeper and the
 * metrics use, with the types that cross it. One implementation, SqlApprovalStore
 * (sql-approval-store.ts), runs on SQLite and PostgreSQL; test/conformance/approval-store.ts
 * asserts every operation here on both.
 *
 * Every change is recorded in the audit log (approvals_audit) in the same transaction, so
 * history and state never disagree. Times are epoch ms from the caller's clock (ctx.now).
 */
import { ReefError } from '../../../sdk/index.js';
import type {
  Approval,
  ApprovalKind,
  AuditEntry,
  AuditVerdict,
  Decision,
  Grant,
  GrantScope,
  LedgerEntry,
  ListFilter,
  ListInput,
  PolicyRule,
  PolicyRuleInput,
  RequestInput,
  Risk,
} from './schemas.js';

/** A request as the service hands it to the store: the parsed body, its id, deadline and fingerprint. */
export interface NewApproval {
  id: string;
  input: RequestInput;
  /** expiresAt as given, or now + the kind's default. */
  expiresAt: number;
  /** sha256 of the canonical body: the same idempotency key with another body is refused. */
  bodyHash: string;
  /** Who sent it: `agent:<name>` or `operator:<name>`. */
  requestedBy: string;
}

/** A decision made at request time by a policy or a grant. */
export interface AutoDecision {
  decision: 'approve' | 'reject';
  /** `policy:<id>` or `grant:<id>`. */
  by: string;
}

/** An operator's decision, validated by the service against the request (answers allowed, edits). */
export interface OperatorDecision {
  decision: Decision;
  comment?: string;
  edits?: unknown;
  response?: string;
  /** Only with approve or edit on one approval: also approve what follows from this agent. */
  grant?: { id: string; forMs: number | null; scope: GrantScope };
}

/** A batch decided by filter: the number of pending approvals the operator confirmed. */
export interface BatchExpectation {
  filter: Omit<ListFilter, 'status'>;
  count: number;
}

/** The refusal of a batch whose filter matches another number than the operator confirmed. */
export function countMismatch(count: number, expectCount: number): ReefError {
  return new ReefError(
    'conflict',
    `filter: matches ${count} pending approval${count === 1 ? '' : 's'} now, not the ${expectCount} confirmed; nothing in the batch was decided`,
    { count, expectCount },
  );
}

/** What one expiry did to a pending approval (exactly once, whichever host swept it). */
export interface Expired {
  approval: Approval;
  /** expired (onExpiry reject, or a second expiry), approved (onExpiry approve), escalated (stays pending). */
  outcome: 'expired' | 'approved' | 'escalated';
}

export interface PendingCounts {
  pending: number;
  highRisk: number;
  escalated: number;
  byKindAndRisk: Array<{ kind: ApprovalKind; risk: Risk; count: number }>;
  /**
   * The pending approval that last called for the operator's attention: of those high-risk or
   * escalated, the latest by its escalation, else its request (a tie: the larger id).
   */
  latest?: Approval;
}

export interface DecisionStats {
  /** Decisions since `since` by who made them. */
  bySource: { operator: number; policy: number; grant: number; expiry: number };
  /** Expiries since `since` (an escalation counts once, as does the expiry that ends it). */
  expired: number;
  /** ms from request to decision of the latest operator decisions (at most 1000), oldest first. */
  operatorLatencyMs: number[];
}

export interface ApprovalStore {
  readonly dialect: 'sqlite' | 'postgres';

  /**
   * Stores a request (decided at once when `auto` is given), or answers the existing one for the
   * same agent and idempotency key with the same body (`created` false); another body with that
   * key is `idempotency_mismatch`.
   */
  create(request: NewApproval, auto: AutoDecision | undefined, now: number): Promise<{ approval: Approval; created: boolean }>;
  /** The approval an agent's idempotency key names, if any, with the hash of the body that made it. */
  findByKey(agent: string, idempotencyKey: string): Promise<{ approval: Approval; bodyHash: string } | undefined>;
  get(id: string): Promise<Approval | undefined>;
  /** Those of `ids` that exist, in no particular order. */
  getMany(ids: readonly string[]): Promise<Approval[]>;
  /** Newest first; `nextCursor` when there is more. */
  list(input: ListInput): Promise<{ approvals: Approval[]; nextCursor?: string }>;
  /** The ids of pending approvals a filter matches (at most `max`, oldest first). */
  pendingIds(filter: Omit<ListFilter, 'status'>, max: number): Promise<string[]>;

  /**
   * The first decision wins: only a pending approval changes (one atomic UPDATE). Otherwise
   * `conflict` with `details.approval` (the decision that stands), or `not_found`. Updates the
   * ledger (the operator's decisions only), makes the grant, and writes the audit.
   */
  decide(id: string, decision: OperatorDecision, actor: string, now: number): Promise<{ approval: Approval; grant?: Grant }>;
  /**
   * All or nothing, in one transaction: if any id is unknown or no longer pending, nothing
   * changes and the error (`not_found`, `conflict`) names that id in its message and details.
   * With `expect`, the filter must match exactly `count` pending approvals inside that same
   * transaction, else nothing changes and the error is `conflict` with `details.count` (the
   * number it matches) and `details.expectCount`.
   */
  decideMany(ids: readonly string[], decision: OperatorDecision, actor: string, now: number, expect?: BatchExpectation): Promise<Approval[]>;
  /** Marks an approved approval as undone later by the operator (ledger: reverted, streak 0). */
  revert(id: string, actor: string, comment: string | undefined, now: number): Promise<Approval>;
  /**
   * Carries out onExpiry for pending approvals whose expiresAt has passed, in one atomic UPDATE:
   * with several hosts on one database each approval is returned to exactly one of them.
   */
  expireDue(now: number, limit?: number): Promise<Expired[]>;
  /** Decided approvals with `blocks` whose queue gates have not been settled yet (oldest first). */
  gatesUnsettled(limit?: number): Promise<Approval[]>;
  markGatesSettled(id: string): Promise<void>;

  pendingCounts(): Promise<PendingCounts>;
  /** The latest decided approvals (for dry runs), newest first. */
  decidedHistory(limit: number): Promise<Approval[]>;
  decisionStats(since: number): Promise<DecisionStats>;

  /** In their order: the first enabled rule that matches decides. */
  listPolicies(): Promise<PolicyRule[]>;
  /** Creates or replaces (same id) a rule at `position` (default: its place, or last). */
  putPolicy(rule: PolicyRuleInput & { id: string }, position: number | undefined, actor: string, now: number): Promise<PolicyRule>;
  /** Whether there was such a rule. */
  deletePolicy(id: string, actor: string, now: number): Promise<boolean>;

  /** An active grant covering a request from `agent` of `kind` (and `product`) at `risk`, at `now`. */
  findGrant(agent: string, kind: ApprovalKind, product: string | undefined, risk: Risk, now: number): Promise<Grant | undefined>;
  /** Active grants (or, with `all`, every grant), newest first. */
  listGrants(now: number, all: boolean): Promise<Grant[]>;
  /** `not_found`, or `conflict` when already revoked. */
  revokeGrant(id: string, actor: string, now: number): Promise<Grant>;
  /**
   * Marks grants whose time has run out by `now` as ended (`endedAt`, their expiresAt), in one
   * atomic UPDATE, and returns them: with several hosts on one database each grant is returned
   * to exactly one of them, once. Revoked grants and grants until revoked never end here.
   */
  endGrantsDue(now: number, limit?: number): Promise<Grant[]>;

  ledger(): Promise<LedgerEntry[]>;

  /** Walks the hash chain from its anchor; the first entry that was changed, removed or moved. */
  verifyAudit(): Promise<AuditVerdict>;
  /** Entries after `afterSeq` in order; `nextSeq` to continue from when there is more. */
  exportAudit(afterSeq: number, limit: number): Promise<{ entries: AuditEntry[]; nextSeq?: number }>;
  /**
   * Removes entries older than `before`, keeping the chain verifiable: the last removed entry's
   * seq and hash become the anchor the remaining chain starts from. Records the prune itself.
   */
  pruneAudit(before: number, actor: string, now: number): Promise<{ pruned: number }>;
}
