/**
 * The policy editor's form: text fields as typed, turned into a rule (PolicyDraft) with the same
 * checks the host makes (schemas.ts), so the operator sees what is wrong before sending it.
 */
import type { Approval, PolicyDraft, PolicyMatch, PolicyRule, Proposal } from './types.js';
import type { ApprovalKind, Risk } from './types.js';
import { matchCovers } from '../shared/match.js';

export { matchCovers };

const AGENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const MAX_AMOUNT = 1e12;

export interface PolicyForm {
  id?: string;
  name: string;
  enabled: boolean;
  action: 'approve' | 'reject';
  kinds: ApprovalKind[];
  risks: Risk[];
  /** Comma- or space-separated. */
  agents: string;
  products: string;
  minAmountUsd: string;
  maxAmountUsd: string;
  position?: number;
  /** Where the rule came from, shown above the form (a proposal says why it was proposed). */
  note?: string;
}

export const NEW_FORM: PolicyForm = { name: '', enabled: true, action: 'approve', kinds: [], risks: [], agents: '', products: '', minAmountUsd: '', maxAmountUsd: '' };

const list = (s: string, sep: RegExp) =>
  s
    .split(sep)
    .map((x) => x.trim())
    .filter(Boolean);

export function formOf(rule: Pick<PolicyRule, 'name' | 'match' | 'action'> & { id?: string; enabled?: boolean }, position?: number): PolicyForm {
  const m = rule.match;
  return {
    ...(rule.id !== undefined ? { id: rule.id } : {}),
    name: rule.name,
    enabled: rule.enabled ?? true,
    action: rule.action,
    kinds: [...(m.kinds ?? [])],
    risks: [...(m.risks ?? [])],
    agents: (m.agents ?? []).join(', '),
    products: (m.products ?? []).join(', '),
    minAmountUsd: m.minAmountUsd === undefined ? '' : String(m.minAmountUsd),
    maxAmountUsd: m.maxAmountUsd === undefined ? '' : String(m.maxAmountUsd),
    ...(position !== undefined ? { position } : {}),
  };
}

/** A proposal becomes a form to review: never saved until the operator saves it. */
export function formOfProposal(p: Proposal): PolicyForm {
  const e = p.entry;
  return {
    ...formOf({ name: p.rule.name, match: p.rule.match, action: p.rule.action, enabled: true }),
    note: `Proposed: ${e.agent}'s ${e.kind} requests were approved unchanged ${e.streak} times in a row. Review it; nothing is saved until you save it.`,
  };
}

export type FormField = 'name' | 'agents' | 'products' | 'minAmountUsd' | 'maxAmountUsd' | 'match';
export type FormErrors = Partial<Record<FormField, string>>;
/** The fields in the order the editor shows them: the first one wrong takes the focus. */
export const FORM_FIELDS: readonly FormField[] = ['name', 'match', 'agents', 'products', 'minAmountUsd', 'maxAmountUsd'];

/** Dollars as typed: "20", "19.99", "$20", "1,000" (a thousands separator, never a decimal comma). */
export function parseAmount(text: string): number | undefined | 'bad' {
  let t = text.trim().replace(/^\$\s*/, '');
  if (t === '') return text.trim() === '' ? undefined : 'bad';
  if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(t)) t = t.replace(/,/g, '');
  if (!/^(\d+\.?\d*|\.\d+)$/.test(t)) return 'bad';
  const n = Number(t);
  return Number.isFinite(n) && n >= 0 && n <= MAX_AMOUNT ? n : 'bad';
}

/** The rule a valid form makes, or what is wrong with each field. */
export function draftOf(form: PolicyForm): { draft?: PolicyDraft; errors: FormErrors } {
  const errors: FormErrors = {};
  const name = form.name.trim();
  if (!name) errors.name = 'Give the rule a name.';
  else if (name.length > 200) errors.name = 'At most 200 characters.';
  const agents = list(form.agents, /[\s,]+/);
  const badAgent = agents.find((a) => !AGENT.test(a));
  if (badAgent) errors.agents = `“${badAgent}” is not an agent name (letters, digits, ".", "_", "-").`;
  else if (agents.length > 200) errors.agents = 'At most 200 agents.';
  const products = list(form.products, /,/);
  if (products.some((p) => p.length > 200)) errors.products = 'A product name is at most 200 characters.';
  const min = parseAmount(form.minAmountUsd);
  const max = parseAmount(form.maxAmountUsd);
  if (min === 'bad') errors.minAmountUsd = 'A number of dollars, 0 or more (such as 20 or 19.99).';
  if (max === 'bad') errors.maxAmountUsd = 'A number of dollars, 0 or more (such as 20 or 19.99).';
  if (typeof min === 'number' && typeof max === 'number' && min > max) errors.minAmountUsd = `Must not be over the maximum ($${max}).`;
  const match: PolicyMatch = {};
  if (form.kinds.length) match.kinds = [...form.kinds];
  if (agents.length) match.agents = [...new Set(agents)];
  if (products.length) match.products = [...new Set(products)];
  if (form.risks.length) match.risks = [...form.risks];
  if (typeof min === 'number') match.minAmountUsd = min;
  if (typeof max === 'number') match.maxAmountUsd = max;
  if (Object.keys(match).length === 0 && form.action === 'approve') errors.match = 'An approve rule with no condition would approve everything: choose a kind, a risk, agents, products or an amount.';
  if (Object.keys(errors).length) return { errors };
  return {
    errors,
    draft: { ...(form.id ? { id: form.id } : {}), name, enabled: form.enabled, action: form.action, match, ...(form.position !== undefined ? { position: form.position } : {}) },
  };
}

/** The rule in a line: "spend · agents forge, smith · ≤ $20 → approve". */
export function describeRule(r: { match: PolicyMatch; action: string }): string {
  const m = r.match;
  const parts: string[] = [];
  if (m.kinds) parts.push(m.kinds.join('|'));
  if (m.agents) parts.push(`agent ${m.agents.join(', ')}`);
  if (m.products) parts.push(`product ${m.products.join(', ')}`);
  if (m.risks) parts.push(`risk ${m.risks.join('|')}`);
  if (m.minAmountUsd !== undefined) parts.push(`≥ $${m.minAmountUsd}`);
  if (m.maxAmountUsd !== undefined) parts.push(`≤ $${m.maxAmountUsd}`);
  return `${parts.length ? parts.join(' · ') : 'anything'} → ${r.action}`;
}

/**
 * What the dry run is tied to: the rule's conditions and action (not its name or whether it is
 * enabled). A result is shown, and Save offered, only while the form still makes the same key.
 */
export function dryRunKey(draft: Pick<PolicyDraft, 'match' | 'action'>): string {
  return JSON.stringify({ match: draft.match, action: draft.action });
}

/**
 * The errors the editor shows: a field's once the operator has typed in it (touched), and all of
 * them once a dry run was asked for, so a new form does not open covered in red. Never on
 * leaving a field: an error appearing on blur moves the buttons under a click on its way.
 */
export function shownErrors(errors: FormErrors, touched: ReadonlySet<FormField>, tried: boolean): FormErrors {
  if (tried) return errors;
  const shown: FormErrors = {};
  for (const f of FORM_FIELDS) if (errors[f] !== undefined && touched.has(f)) shown[f] = errors[f];
  return shown;
}

/**
 * How an example of the dry run compares with what happened, as the host counts it: an operator's
 * decision the rule agrees with (an approval left unchanged and not reverted, or a rejection),
 * one it differs from, or one no operator made (a rule, a grant, the expiry).
 */
export function exampleVerdict(action: 'approve' | 'reject', a: Pick<Approval, 'decidedBy' | 'decision' | 'revertedAt'>): 'agrees' | 'differs' | 'automatic' {
  const by = a.decidedBy;
  if (by === undefined || by === 'expiry' || by.startsWith('policy:') || by.startsWith('grant:')) return 'automatic';
  const agrees = action === 'approve' ? a.decision === 'approve' && a.revertedAt === undefined : a.decision === 'reject';
  return agrees ? 'agrees' : 'differs';
}

/**
 * The proposals still open: one whose rule an enabled rule with the same action already covers
 * (it was adopted, perhaps renamed) is not proposed again. The host answers the same way; this
 * drops an adopted proposal at once, before the list is read again.
 */
export function openProposals(proposals: readonly Proposal[] | null, policies: readonly PolicyRule[] | null): Proposal[] {
  if (!proposals) return [];
  return proposals.filter((p) => !(policies ?? []).some((r) => r.enabled && r.action === p.rule.action && matchCovers(r.match, p.rule.match)));
}
