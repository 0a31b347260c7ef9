/** The wire shapes the panel reads: the host's own definitions, imported as types only (no host code runs here). */
export type {
  Approval,
  ApprovalKind,
  ApprovalStatus,
  Decision,
  DryRunResult,
  Grant,
  GrantScope,
  LedgerEntry,
  PendingSummary,
  PolicyMatch,
  PolicyRule,
  Risk,
} from '../host/schemas.js';
import type { Approval, ApprovalKind, ApprovalStatus, DryRunResult, LedgerEntry, PolicyMatch, Risk } from '../host/schemas.js';

/** The same lists as the host's (schemas.ts holds code, so the panel keeps its own copy of the values). */
export const KINDS: readonly ApprovalKind[] = ['deploy', 'spend', 'comms', 'access', 'other'];
export const RISK_LEVELS: readonly Risk[] = ['low', 'medium', 'high'];
export const DECIDED: readonly ApprovalStatus[] = ['approved', 'rejected', 'responded', 'expired'];

export interface ApprovalPage {
  approvals: Approval[];
  nextCursor?: string;
}

/** What the operator filters the inbox by; '' and [] are "any". */
export interface InboxFilter {
  q: string;
  kinds: ApprovalKind[];
  risks: Risk[];
  agent: string;
  product: string;
}

export const EMPTY_FILTER: InboxFilter = { q: '', kinds: [], risks: [], agent: '', product: '' };

export type GroupBy = 'none' | 'agent' | 'product' | 'kind';

/** A rule as the policy editor holds it before saving. */
export interface PolicyDraft {
  id?: string;
  name: string;
  enabled: boolean;
  action: 'approve' | 'reject';
  match: PolicyMatch;
  position?: number;
}

export interface Proposal {
  entry: LedgerEntry;
  rule: { name: string; match: PolicyMatch; action: 'approve' | 'reject'; enabled?: boolean; id?: string };
  dryRun: DryRunResult;
}

/** The answers a decision sends (one approval or a batch). */
export interface DecisionBody {
  decision: 'approve' | 'reject' | 'edit' | 'respond';
  comment?: string;
  edits?: unknown;
  response?: string;
}

/** A grant asked with an approval: how long (ms; null until revoked). */
export interface GrantAsk {
  forMs: number | null;
  scope: 'agent-kind' | 'agent-kind-product';
}
