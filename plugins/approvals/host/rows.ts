/** Rows of the approvals' tables to and from the wire shapes; ids. */
import { sortableId, type Row } from '../../../sdk/index.js';
import type { Approval, ApprovalKind, ApprovalStatus, Decision, Grant, GrantScope, LedgerEntry, OnExpiry, PolicyMatch, PolicyRule, Risk } from './schemas.js';

/** Sortable ids (`ap_`, `gr_`, `po_`): the order they were made is the list's cursor order. */
export function newId(prefix: string, now: number = Date.now()): string {
  return sortableId(prefix, now);
}

const iso = (ms: unknown) => new Date(Number(ms)).toISOString();
const present = (v: unknown) => v !== null && v !== undefined;
const parse = (v: unknown): unknown => (present(v) ? (JSON.parse(String(v)) as unknown) : undefined);
export const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

export function approvalFromRow(r: Row): Approval {
  const a: Approval = {
    id: String(r.id),
    kind: r.kind as ApprovalKind,
    title: String(r.title),
    agent: String(r.agent),
    risk: r.risk as Risk,
    status: r.status as ApprovalStatus,
    responses: parse(r.responses) as Decision[],
    expiresAt: iso(r.expires_at),
    onExpiry: r.on_expiry as OnExpiry,
    blocks: parse(r.blocks) as string[],
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
  if (present(r.summary)) a.summary = String(r.summary);
  if (present(r.details)) a.details = parse(r.details);
  if (present(r.product)) a.product = String(r.product);
  if (present(r.amount_usd)) a.amountUsd = Number(r.amount_usd);
  if (present(r.edit_schema)) a.editSchema = parse(r.edit_schema) as Record<string, unknown>;
  if (present(r.escalated_at)) a.escalatedAt = iso(r.escalated_at);
  if (present(r.idempotency_key)) a.idempotencyKey = String(r.idempotency_key);
  if (present(r.decision)) a.decision = r.decision as Decision;
  if (present(r.decided_by)) a.decidedBy = String(r.decided_by);
  if (present(r.decided_at)) a.decidedAt = iso(r.decided_at);
  if (present(r.comment)) a.comment = String(r.comment);
  if (present(r.edits)) a.edits = parse(r.edits);
  if (present(r.response)) a.response = String(r.response);
  if (present(r.grant_id)) a.grantId = String(r.grant_id);
  if (present(r.reverted_at)) a.revertedAt = iso(r.reverted_at);
  if (present(r.reverted_by)) a.revertedBy = String(r.reverted_by);
  return a;
}

export function grantFromRow(r: Row): Grant {
  const g: Grant = {
    id: String(r.id),
    agent: String(r.agent),
    kind: r.kind as ApprovalKind,
    scope: r.scope as GrantScope,
    maxRisk: r.max_risk as Risk,
    createdAt: iso(r.created_at),
    expiresAt: present(r.expires_at) ? iso(r.expires_at) : null,
    createdBy: String(r.created_by),
    approvalId: String(r.approval_id),
  };
  if (present(r.product)) g.product = String(r.product);
  if (present(r.revoked_at)) g.revokedAt = iso(r.revoked_at);
  if (present(r.revoked_by)) g.revokedBy = String(r.revoked_by);
  if (present(r.ended_at)) g.endedAt = iso(r.ended_at);
  return g;
}

export function policyFromRow(r: Row): PolicyRule {
  const rule = parse(r.rule) as { name: string; enabled: boolean; match: PolicyMatch; action: 'approve' | 'reject' };
  return { id: String(r.id), name: rule.name, enabled: rule.enabled, match: rule.match, action: rule.action, updatedAt: iso(r.updated_at) };
}

export function ledgerFromRow(r: Row): LedgerEntry {
  return {
    agent: String(r.agent),
    kind: r.kind as ApprovalKind,
    streak: Number(r.streak),
    approved: Number(r.approved),
    edited: Number(r.edited),
    rejected: Number(r.rejected),
    responded: Number(r.responded),
    reverted: Number(r.reverted),
    updatedAt: iso(r.updated_at),
  };
}

/** The status an approval takes from a decision. */
export function statusOf(decision: Decision): ApprovalStatus {
  return decision === 'reject' ? 'rejected' : decision === 'respond' ? 'responded' : 'approved';
}

export const RISK_ORDER: Record<Risk, number> = { low: 0, medium: 1, high: 2 };
