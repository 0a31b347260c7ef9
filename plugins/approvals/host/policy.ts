/**
 * Policies, pure: whether a rule matches a request, which rule decides one, what a rule would
 * have decided over the stored history (the dry run), and the rule graduated autonomy proposes
 * for an (agent, kind) with a long record of approvals unchanged. No I/O here.
 */
import { RISKS, type Approval, type ApprovalKind, type DryRunResult, type LedgerEntry, type PolicyMatch, type PolicyRule, type PolicyRuleInput, type Risk } from './schemas.js';

/** What a rule looks at in a request. */
export interface Matchable {
  kind: ApprovalKind;
  agent: string;
  product?: string | undefined;
  risk: Risk;
  amountUsd?: number | undefined;
}

/**
 * Every condition given must hold: kind, agent, product and risk among those listed; an amount
 * bound needs the request to carry amountUsd (inclusive bounds).
 */
export function matches(match: PolicyMatch, a: Matchable): boolean {
  if (match.kinds && !match.kinds.includes(a.kind)) return false;
  if (match.agents && !match.agents.includes(a.agent)) return false;
  if (match.products && (a.product === undefined || !match.products.includes(a.product))) return false;
  if (match.risks && !match.risks.includes(a.risk)) return false;
  if (match.maxAmountUsd !== undefined && (a.amountUsd === undefined || a.amountUsd > match.maxAmountUsd)) return false;
  if (match.minAmountUsd !== undefined && (a.amountUsd === undefined || a.amountUsd < match.minAmountUsd)) return false;
  return true;
}

/** The first enabled rule, in order, that matches: it decides the request. */
export function firstMatch(rules: readonly PolicyRule[], a: Matchable): PolicyRule | undefined {
  return rules.find((r) => r.enabled && matches(r.match, a));
}

/** Decided by a person (an operator token, or a caller acting for one), not by a policy, a grant or an expiry. */
export function decidedByOperator(a: Approval): boolean {
  const by = a.decidedBy;
  return by !== undefined && by !== 'expiry' && !by.startsWith('policy:') && !by.startsWith('grant:');
}

/**
 * Whether the operator's decision is what `action` would have done: approve agrees with an
 * approval left unchanged and not reverted later; reject agrees with a rejection.
 */
export function agrees(action: 'approve' | 'reject', a: Approval): boolean {
  if (action === 'approve') return a.decision === 'approve' && a.revertedAt === undefined;
  return a.decision === 'reject';
}

export const MAX_EXAMPLES = 10;

/** Replays `rule` over decided approvals (newest first): counts, and examples with the disagreements first. */
export function dryRun(rule: Pick<PolicyRuleInput, 'match' | 'action'>, history: readonly Approval[]): DryRunResult {
  const out: DryRunResult = { scanned: history.length, matched: 0, wouldApprove: 0, wouldReject: 0, agreedWithOperator: 0, disagreed: 0, examples: [] };
  const disagreements: Approval[] = [];
  const others: Approval[] = [];
  for (const a of history) {
    if (!matches(rule.match, a)) continue;
    out.matched++;
    if (rule.action === 'approve') out.wouldApprove++;
    else out.wouldReject++;
    if (!decidedByOperator(a)) {
      if (others.length < MAX_EXAMPLES) others.push(a);
      continue;
    }
    if (agrees(rule.action, a)) {
      out.agreedWithOperator++;
      if (others.length < MAX_EXAMPLES) others.push(a);
    } else {
      out.disagreed++;
      if (disagreements.length < MAX_EXAMPLES) disagreements.push(a);
    }
  }
  out.examples = [...disagreements, ...others].slice(0, MAX_EXAMPLES);
  return out;
}

/** Whether an enabled approve rule already covers every request of this agent and kind (then nothing is proposed). */
export function covered(rules: readonly PolicyRule[], agent: string, kind: ApprovalKind): boolean {
  return rules.some(
    (r) =>
      r.enabled &&
      r.action === 'approve' &&
      (!r.match.kinds || r.match.kinds.includes(kind)) &&
      (!r.match.agents || r.match.agents.includes(agent)) &&
      !r.match.products &&
      !r.match.risks &&
      r.match.maxAmountUsd === undefined &&
      r.match.minAmountUsd === undefined,
  );
}

/**
 * The rule proposed for a record of approvals unchanged: this agent, this kind, no riskier than
 * and (for amounts) no larger than what the operator approved unchanged in `history`.
 */
export function proposeRule(entry: LedgerEntry, history: readonly Approval[]): PolicyRuleInput & { id: string } {
  const approved = history.filter((a) => a.agent === entry.agent && a.kind === entry.kind && decidedByOperator(a) && agrees('approve', a));
  const maxRisk = approved.reduce((m, a) => Math.max(m, RISKS.indexOf(a.risk)), 0);
  const amounts = approved.map((a) => a.amountUsd).filter((n): n is number => n !== undefined);
  const match: PolicyMatch = { kinds: [entry.kind], agents: [entry.agent], risks: RISKS.slice(0, maxRisk + 1) };
  if (amounts.length) match.maxAmountUsd = Math.max(...amounts);
  const id = `auto-${entry.agent}-${entry.kind}`.slice(0, 64);
  return { id, name: `Approve ${entry.kind} from ${entry.agent}`, enabled: true, match, action: 'approve' };
}
