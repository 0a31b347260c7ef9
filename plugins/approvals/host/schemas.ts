/**
 * The approvals' wire contract (PROTOCOL.md "Approvals"): zod schemas for every operation's
 * body, and the views the operations return. The panel imports these types (`import type`).
 */
import { z } from 'zod';
import { instant, jsonValue, MAX_INSTANT_MS, STREAM_SUBJECT_PREFIX, storableText } from '../../../sdk/index.js';
import { editSchemaProblem } from './edit-schema.js';

export const APPROVAL_KINDS = ['deploy', 'spend', 'comms', 'access', 'other'] as const;
export type ApprovalKind = (typeof APPROVAL_KINDS)[number];
export const RISKS = ['low', 'medium', 'high'] as const;
export type Risk = (typeof RISKS)[number];
export const ON_EXPIRY = ['reject', 'approve', 'escalate'] as const;
export type OnExpiry = (typeof ON_EXPIRY)[number];
/** The answers a request may allow; `edit` is approve-with-edits, `respond` an answer in text. */
export const RESPONSES = ['approve', 'reject', 'edit', 'respond'] as const;
export type Decision = (typeof RESPONSES)[number];
/**
 * pending → approved (approve, edit, a policy, a grant, onExpiry approve) | rejected (reject, a
 * policy) | responded (respond) | expired (onExpiry reject, or a second expiry after an
 * escalation). An escalation keeps it pending (escalatedAt set, expiresAt pushed out once).
 */
export const STATUSES = ['pending', 'approved', 'rejected', 'responded', 'expired'] as const;
export type ApprovalStatus = (typeof STATUSES)[number];
export const GRANT_SCOPES = ['agent-kind', 'agent-kind-product'] as const;
export type GrantScope = (typeof GRANT_SCOPES)[number];

/** The same rule as agent token names, so an agent token's name is its agent. */
export const agentName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be 1-64 of letters, digits, ".", "_", "-", starting with a letter or digit');
const approvalId = storableText(1, 64);
const taskId = storableText(1, 64);
const label = storableText(1, 200);
const amount = z.number().min(0).max(1e12);

/** Upper bounds of what one request carries, as JSON. */
export const MAX_DETAILS_BYTES = 64 * 1024;
export const MAX_EDIT_SCHEMA_BYTES = 16 * 1024;
const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');

export { instant, MAX_INSTANT_MS };

const unique = <T>(xs: readonly T[]) => new Set(xs).size === xs.length;

export const RequestSchema = z
  .object({
    kind: z.enum(APPROVAL_KINDS),
    title: label,
    summary: storableText(0, 4000).optional(),
    /** What the agent wants to do, as JSON: what the operator reads, and what edits change. */
    details: jsonValue.refine((v) => jsonBytes(v) <= MAX_DETAILS_BYTES, `must be at most ${MAX_DETAILS_BYTES} bytes as JSON`).optional(),
    agent: agentName,
    product: label.optional(),
    amountUsd: amount.optional(),
    risk: z.enum(RISKS).default('low'),
    expiresAt: instant.optional(),
    onExpiry: z.enum(ON_EXPIRY).default('reject'),
    /** Tasks kept blocked (queue gate `approval:<id>`) until the decision. */
    blocks: z.array(taskId).max(100).refine(unique, 'must not repeat a task').default([]),
    idempotencyKey: storableText(1, 200).optional(),
    /** Which answers the operator may give (LangChain Agent Inbox's allow_*). */
    responses: z.array(z.enum(RESPONSES)).min(1).max(4).refine(unique, 'must not repeat an answer').default(['approve', 'reject']),
    /** A JSON Schema (draft-07) that the operator's `edits` must satisfy. */
    editSchema: z
      .record(z.string(), jsonValue)
      .refine((v) => jsonBytes(v) <= MAX_EDIT_SCHEMA_BYTES, `must be at most ${MAX_EDIT_SCHEMA_BYTES} bytes as JSON`)
      .superRefine((schema, ctx) => {
        const problem = editSchemaProblem(schema);
        if (problem) ctx.addIssue({ code: 'custom', message: `is not a usable JSON Schema: ${problem}` });
      })
      .optional(),
  })
  .strict();
export type RequestInput = z.output<typeof RequestSchema>;

/** The longest an agent's request-and-wait waits: its reply still fits the host's 10-minute ceiling on one call. */
export const MAX_REQUEST_WAIT_MS = 540_000;

/**
 * Request and wait for the decision (the MCP tool request_approval): a request, plus how long
 * to wait and where to report progress while waiting (`streamTo`, set by the host).
 */
export const RequestAndWaitSchema = RequestSchema.extend({
  waitMs: z.number().int().min(0).max(MAX_REQUEST_WAIT_MS).default(300_000),
  streamTo: z.string().max(200).refine((v) => v.startsWith(STREAM_SUBJECT_PREFIX), 'set by the host').optional(),
}).strict();

export const GetSchema = z
  .object({
    id: approvalId,
    /** Long poll: wait up to this long for a decision or an expiry (HTTP query strings are text). */
    waitMs: z.coerce.number().int().min(0).max(60_000).default(0),
  })
  .strict();

export const GrantInputSchema = z
  .object({
    /** How long the grant lasts (1 s .. 30 days); null: until revoked. Left out: one hour. */
    forMs: z.number().int().min(1000).max(30 * 86_400_000).nullable().default(3_600_000),
    scope: z.enum(GRANT_SCOPES).default('agent-kind-product'),
  })
  .strict();
export type GrantInput = z.output<typeof GrantInputSchema>;

const decisionFields = {
  decision: z.enum(RESPONSES),
  comment: storableText(0, 4000).optional(),
  /** With `edit`: the changed details, checked against the request's editSchema. */
  edits: jsonValue.refine((v) => jsonBytes(v) <= MAX_DETAILS_BYTES, `must be at most ${MAX_DETAILS_BYTES} bytes as JSON`).optional(),
  /** With `respond`: the operator's answer. */
  response: storableText(1, 10_000).optional(),
};

type DecisionShape = { decision: Decision; edits?: unknown; response?: string | undefined };
function checkDecision(d: DecisionShape, ctx: z.RefinementCtx): void {
  if (d.decision === 'edit' && d.edits === undefined) ctx.addIssue({ code: 'custom', path: ['edits'], message: 'is required when decision is "edit"' });
  if (d.decision !== 'edit' && d.edits !== undefined) ctx.addIssue({ code: 'custom', path: ['edits'], message: 'goes only with decision "edit"' });
  if (d.decision === 'respond' && d.response === undefined) ctx.addIssue({ code: 'custom', path: ['response'], message: 'is required when decision is "respond"' });
  if (d.decision !== 'respond' && d.response !== undefined) ctx.addIssue({ code: 'custom', path: ['response'], message: 'goes only with decision "respond"' });
}

export const DecideSchema = z
  .object({ id: approvalId, ...decisionFields, grant: GrantInputSchema.optional() })
  .strict()
  .superRefine((d, ctx) => {
    checkDecision(d, ctx);
    if (d.grant && d.decision !== 'approve' && d.decision !== 'edit') ctx.addIssue({ code: 'custom', path: ['grant'], message: 'goes only with decision "approve" or "edit"' });
  });
export type DecideInput = z.output<typeof DecideSchema>;

/** A list given as an array (bus) or as "a,b" (HTTP query string). */
const listOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',').filter(Boolean) : v), z.array(z.enum(values)).max(values.length));

export const ListFilterSchema = z
  .object({
    status: listOf(STATUSES).optional(),
    agent: agentName.optional(),
    product: label.optional(),
    kind: listOf(APPROVAL_KINDS).optional(),
    risk: listOf(RISKS).optional(),
    /** Substring of the title, summary, agent or product, any case. */
    q: storableText(0, 200).optional(),
  })
  .strict();
export type ListFilter = z.output<typeof ListFilterSchema>;

export const ListSchema = ListFilterSchema.extend({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: storableText(0, 64).optional(),
}).strict();
export type ListInput = z.output<typeof ListSchema>;

/** The most approvals one batch decides (all in one transaction). */
export const MAX_BATCH = 5000;

export const DecideManySchema = z
  .object({
    ids: z.array(approvalId).min(1).max(MAX_BATCH).refine(unique, 'must not repeat an id').optional(),
    /** Every pending approval the filter matches (status is pending whatever it says). */
    filter: ListFilterSchema.omit({ status: true }).optional(),
    /**
     * With `filter`: how many pending approvals the operator confirmed. When the filter matches
     * another number at the time of the decision, nothing is decided (409, `details.count`).
     */
    expectCount: z.number().int().min(0).max(MAX_BATCH).optional(),
    ...decisionFields,
  })
  .strict()
  .superRefine((d, ctx) => {
    checkDecision(d, ctx);
    if ((d.ids === undefined) === (d.filter === undefined)) ctx.addIssue({ code: 'custom', path: ['ids'], message: 'give exactly one of "ids" or "filter"' });
    if (d.expectCount !== undefined && d.filter === undefined) ctx.addIssue({ code: 'custom', path: ['expectCount'], message: 'goes only with "filter"' });
  });
export type DecideManyInput = z.output<typeof DecideManySchema>;

export const IdSchema = z.object({ id: approvalId }).strict();
export const RevertSchema = z.object({ id: approvalId, comment: storableText(0, 4000).optional() }).strict();
export const EmptySchema = z.object({}).strict();

export const POLICY_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const PolicyMatchSchema = z
  .object({
    kinds: z.array(z.enum(APPROVAL_KINDS)).min(1).max(APPROVAL_KINDS.length).optional(),
    agents: z.array(agentName).min(1).max(200).optional(),
    products: z.array(label).min(1).max(200).optional(),
    risks: z.array(z.enum(RISKS)).min(1).max(RISKS.length).optional(),
    /** The request's amountUsd is at most this (a request without an amount does not match). */
    maxAmountUsd: amount.optional(),
    /** The request's amountUsd is at least this (a request without an amount does not match). */
    minAmountUsd: amount.optional(),
  })
  .strict()
  .refine((m) => m.maxAmountUsd === undefined || m.minAmountUsd === undefined || m.minAmountUsd <= m.maxAmountUsd, {
    path: ['minAmountUsd'],
    message: 'must not be over maxAmountUsd',
  });
export type PolicyMatch = z.output<typeof PolicyMatchSchema>;

export const PolicyRuleSchema = z
  .object({
    /** Left out on a new rule: one is made. The same id replaces that rule. */
    id: z.string().regex(POLICY_ID, 'must be 1-64 of letters, digits, ".", "_", "-"').optional(),
    name: label,
    enabled: z.boolean().default(true),
    match: PolicyMatchSchema,
    action: z.enum(['approve', 'reject']),
  })
  .strict();
export type PolicyRuleInput = z.output<typeof PolicyRuleSchema>;

export const PolicyPutSchema = PolicyRuleSchema.extend({
  /** 0-based place in the order (first matching enabled rule decides); left out: where it was, or last. */
  position: z.number().int().min(0).max(10_000).optional(),
}).strict();

export const PolicyDryRunSchema = z
  .object({
    rule: PolicyRuleSchema,
    /** How many of the latest decided approvals to replay. */
    limit: z.number().int().min(1).max(100_000).default(10_000),
  })
  .strict();

/** `all`: revoked and expired grants too (a query string says "true"). */
export const GrantListSchema = z.object({ all: z.preprocess((v) => (v === 'true' ? true : v === 'false' ? false : v), z.boolean()).default(false) }).strict();

export const ProposalsSchema = z.object({ threshold: z.coerce.number().int().min(1).max(10_000).optional() }).strict();

export const AuditExportSchema = z
  .object({
    afterSeq: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).default(0),
    limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .strict();

/** An approval request as everyone sees it. Times are ISO 8601. */
export interface Approval {
  id: string;
  kind: ApprovalKind;
  title: string;
  summary?: string;
  details?: unknown;
  agent: string;
  product?: string;
  amountUsd?: number;
  risk: Risk;
  status: ApprovalStatus;
  responses: Decision[];
  editSchema?: Record<string, unknown>;
  expiresAt: string;
  onExpiry: OnExpiry;
  escalatedAt?: string;
  blocks: string[];
  idempotencyKey?: string;
  createdAt: string;
  updatedAt: string;
  /** Set once decided: the answer given (an expiry that rejects is `reject`). */
  decision?: Decision;
  /** Who decided: `operator:<token name>`, `policy:<id>`, `grant:<id>` or `expiry`. */
  decidedBy?: string;
  decidedAt?: string;
  comment?: string;
  edits?: unknown;
  response?: string;
  /** The grant this decision made (decide with `grant`). */
  grantId?: string;
  /** The operator later undid what was approved (ledger: reverted). */
  revertedAt?: string;
  revertedBy?: string;
}

export interface PolicyRule {
  id: string;
  name: string;
  enabled: boolean;
  match: PolicyMatch;
  action: 'approve' | 'reject';
  updatedAt: string;
}

export interface Grant {
  id: string;
  agent: string;
  kind: ApprovalKind;
  /** Set when the scope is agent-kind-product. */
  product?: string;
  scope: GrantScope;
  /** Covers requests up to this risk: the risk of the approval it was given on. */
  maxRisk: Risk;
  createdAt: string;
  /** null: until revoked. */
  expiresAt: string | null;
  createdBy: string;
  approvalId: string;
  revokedAt?: string;
  revokedBy?: string;
  /** Set once its time ran out and the host announced it (its expiresAt). */
  endedAt?: string;
}

/** Outcomes of the operator's decisions per (agent, kind): the record graduated autonomy reads. */
export interface LedgerEntry {
  agent: string;
  kind: ApprovalKind;
  /** Approvals in a row approved unchanged; reset by an edit, a rejection or a revert. */
  streak: number;
  approved: number;
  edited: number;
  rejected: number;
  responded: number;
  reverted: number;
  updatedAt: string;
}

export interface DryRunResult {
  /** Decided approvals replayed. */
  scanned: number;
  matched: number;
  wouldApprove: number;
  wouldReject: number;
  /** Of those matched that an operator decided: where the rule's action is what they did (an edit is not an approval unchanged). */
  agreedWithOperator: number;
  disagreed: number;
  /** Up to 10 matched approvals, disagreements first. */
  examples: Approval[];
}

export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  data: unknown;
  prevHash: string;
  hash: string;
}

export interface AuditVerdict {
  ok: boolean;
  checked: number;
  firstBroken?: { seq: number; reason: string };
}

/** The request a desktop notification names: the latest pending one that is high-risk or escalated. */
export interface PendingNotice {
  id: string;
  title: string;
  agent: string;
  product?: string;
  kind: ApprovalKind;
  risk: Risk;
  /** It was escalated (its first expiry passed without a decision). */
  escalated: boolean;
  /** When it called for attention: its escalation, else its request. */
  at: string;
  /** What the notification says: "High-risk approval: Deploy api to prod (forge)", "Escalated approval: …". */
  text: string;
}

/** The status event and summary: what the sidebar, the title and the tray show. */
export interface PendingSummary {
  pending: number;
  highRisk: number;
  escalated: number;
  text: string;
  tone: 'ok' | 'warn' | 'error';
  /** Set while any pending request is high-risk or escalated: the latest of them. */
  latest?: PendingNotice;
}
