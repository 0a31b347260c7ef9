/**
 * The policy editor's form: text fields as typed, turned into a rule (PolicyDraft) with the same
 * checks the host makes (schemas.ts), so the operator sees what is wrong before sending it.
 */
import type { PolicyDraft, PolicyMatch, PolicyRule, Proposal } from './types.js';
import type { ApprovalKind, Risk } from './types.js';

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
  return formOf({ name: p.rule.name, match: p.rule.match, action: p.rule.action, enabled: true });
}

export type FormErrors = Partial<Record<'name' | 'agents' | 'products' | 'minAmountUsd' | 'maxAmountUsd' | 'match', string>>;

function amount(text: string): number | undefined | 'bad' {
  if (text.trim() === '') return undefined;
  const n = Number(text);
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
  const min = amount(form.minAmountUsd);
  const max = amount(form.maxAmountUsd);
  if (min === 'bad') errors.minAmountUsd = 'A number of dollars, 0 or more.';
  if (max === 'bad') errors.maxAmountUsd = 'A number of dollars, 0 or more.';
  if (typeof min === 'number' && typeof max === 'number' && min > max) errors.minAmountUsd = 'Must not be over the maximum.';
  const match: PolicyMatch = {};
  if (form.kinds.length) match.kinds = [...form.kinds];
  if (agents.length) match.agents = [...new Set(agents)];
  if (products.length) match.products = [...new Set(products)];
  if (form.risks.length) match.risks = [...form.risks];
  if (typeof min === 'number') match.minAmountUsd = min;
  if (typeof max === 'number') match.maxAmountUsd = max;
  if (Object.keys(match).length === 0 && form.action === 'approve') errors.match = 'An approve rule with no condition would approve everything: add at least one.';
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
