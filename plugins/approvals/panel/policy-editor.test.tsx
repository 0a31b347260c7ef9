// The rule editor: amounts as people type them, errors shown only once there is something to say,
// the dry run's examples compared as the host compares them, and a proposal adopted into the
// editor with its dry run and saved only by Save.
import * as React from 'react';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ReefError } from '../../../sdk/index.js';
import { ui } from '../../../sdk/panel/index.js';
import { DecidedBy } from './ApprovalDetail.js';
import ApprovalsPanel from './index.js';
import { PolicyNames } from './policy-names.js';
import { draftOf, dryRunKey, exampleVerdict, matchCovers, NEW_FORM, openProposals, parseAmount, shownErrors } from './policy-draft.js';
import { fakeApi, makeApproval } from './test-fixtures.js';
import type { DryRunResult, PolicyRule, Proposal } from './types.js';

afterEach(cleanup);

describe('the policy form', () => {
  it('reads dollars as people type them, and refuses what is not an amount', () => {
    expect(parseAmount('')).toBeUndefined();
    expect(parseAmount(' 20 ')).toBe(20);
    expect(parseAmount('$20')).toBe(20);
    expect(parseAmount('$ 19.99')).toBe(19.99);
    expect(parseAmount('1,000')).toBe(1000);
    expect(parseAmount('.5')).toBe(0.5);
    for (const bad of ['$', 'twenty', '-5', '1e3', '1,5', '20$', '2e12', 'Infinity']) expect(parseAmount(bad), bad).toBe('bad');
  });

  it('says when the minimum is over the maximum, naming the maximum', () => {
    expect(draftOf({ ...NEW_FORM, name: 'r', kinds: ['spend'], minAmountUsd: '50', maxAmountUsd: '$20' }).errors.minAmountUsd).toBe('Must not be over the maximum ($20).');
    expect(draftOf({ ...NEW_FORM, name: 'r', kinds: ['spend'], maxAmountUsd: '$20' }).draft?.match).toEqual({ kinds: ['spend'], maxAmountUsd: 20 });
  });

  it('shows a field’s error once it was typed in, and every error once a dry run was asked for', () => {
    const { errors } = draftOf({ ...NEW_FORM, kinds: ['spend'], maxAmountUsd: 'x' });
    expect(Object.keys(errors).sort()).toEqual(['maxAmountUsd', 'name']);
    expect(shownErrors(errors, new Set(), false)).toEqual({});
    expect(shownErrors(errors, new Set(['maxAmountUsd']), false)).toEqual({ maxAmountUsd: errors.maxAmountUsd });
    expect(shownErrors(errors, new Set(), true)).toEqual(errors);
  });

  it('ties the dry run to the conditions and the action, not to the name or the switch', () => {
    const a = draftOf({ ...NEW_FORM, name: 'one', kinds: ['spend'] }).draft!;
    const b = draftOf({ ...NEW_FORM, name: 'two', enabled: false, kinds: ['spend'] }).draft!;
    expect(dryRunKey(a)).toBe(dryRunKey(b));
    expect(dryRunKey(a)).not.toBe(dryRunKey({ ...a, action: 'reject' }));
  });

  it('compares an example with the decision as the host does: approved unchanged and not reverted, or rejected', () => {
    const op = { decidedBy: 'operator:alice' };
    expect(exampleVerdict('approve', { ...op, decision: 'approve' })).toBe('agrees');
    expect(exampleVerdict('approve', { ...op, decision: 'edit' })).toBe('differs');
    expect(exampleVerdict('approve', { ...op, decision: 'approve', revertedAt: '2025-01-01T00:00:00Z' })).toBe('differs');
    expect(exampleVerdict('reject', { ...op, decision: 'reject' })).toBe('agrees');
    expect(exampleVerdict('approve', { decidedBy: 'policy:po_1', decision: 'approve' })).toBe('automatic');
    expect(exampleVerdict('reject', { decidedBy: 'expiry', decision: 'reject' })).toBe('automatic');
  });
});

describe('open proposals', () => {
  const proposed = { kinds: ['comms' as const], agents: ['scout'], risks: ['low' as const] };
  it('a rule covers another when each of its conditions is at least as wide', () => {
    expect(matchCovers(proposed, proposed)).toBe(true);
    expect(matchCovers({ kinds: ['comms', 'spend'], risks: ['low', 'medium'] }, proposed)).toBe(true);
    expect(matchCovers({ kinds: ['comms'], agents: ['forge'] }, proposed)).toBe(false);
    expect(matchCovers({ kinds: ['comms'], products: ['acme'] }, proposed)).toBe(false);
    expect(matchCovers({ kinds: ['comms'], maxAmountUsd: 20 }, proposed)).toBe(false);
    expect(matchCovers({ maxAmountUsd: 20 }, { maxAmountUsd: 10 })).toBe(true);
    expect(matchCovers({ minAmountUsd: 5 }, { minAmountUsd: 1, maxAmountUsd: 10 })).toBe(false);
  });

  it('an adopted proposal (renamed, say) is no longer proposed; a disabled or reject rule leaves it open', () => {
    const p: Proposal = {
      entry: { agent: 'scout', kind: 'comms', streak: 20, approved: 20, edited: 0, rejected: 0, responded: 0, reverted: 0, updatedAt: '2025-01-01T00:00:00.000Z' },
      rule: { name: 'Approve comms from scout', match: proposed, action: 'approve' },
      dryRun: { scanned: 20, matched: 20, wouldApprove: 20, wouldReject: 0, agreedWithOperator: 20, disagreed: 0, examples: [] },
    };
    const rule = (over: Partial<PolicyRule>): PolicyRule => ({ id: 'po_1', name: 'Scout digests', enabled: true, action: 'approve', match: proposed, updatedAt: '2025-01-01T00:00:00.000Z', ...over });
    expect(openProposals([p], [rule({})])).toEqual([]);
    expect(openProposals([p], [rule({ enabled: false })])).toEqual([p]);
    expect(openProposals([p], [rule({ action: 'reject' })])).toEqual([p]);
    expect(openProposals([p], null)).toEqual([p]);
    expect(openProposals(null, [])).toEqual([]);
  });
});

describe('the Policies and Proposals views', () => {
  const dry = (over: Partial<DryRunResult> = {}): DryRunResult => ({ scanned: 25, matched: 21, wouldApprove: 21, wouldReject: 0, agreedWithOperator: 20, disagreed: 1, examples: [], ...over });

  function mount(proposals: Proposal[]) {
    const policies: PolicyRule[] = [];
    const fake = fakeApi((subject, body) => {
      if (subject === 'reef.v1.approvals.list') return { approvals: [] };
      if (subject === 'reef.v1.approvals.policies.list') return { policies };
      if (subject === 'reef.v1.approvals.grants.list') return { grants: [] };
      if (subject === 'reef.v1.approvals.proposals') return { threshold: 20, proposals };
      if (subject === 'reef.v1.approvals.policies.dryRun') return dry({ matched: 2, wouldApprove: 2, agreedWithOperator: 1, disagreed: 1 });
      if (subject === 'reef.v1.approvals.policies.put') {
        const policy = { ...(body as Omit<PolicyRule, 'id' | 'updatedAt'>), id: 'po_1', updatedAt: '2025-01-01T00:00:00.000Z' };
        policies.push(policy);
        return { policy, policies };
      }
      throw new ReefError('not_found', subject);
    });
    render(<ApprovalsPanel api={fake.api} pluginId="approvals" panelId="inbox" React={React} ui={ui} />);
    const sent = (subject: string) => fake.calls.filter((c) => c.subject === subject).map((c) => c.body);
    return { fake, sent };
  }

  it('adopting a proposal opens the editor on it with its dry run; only Save stores it', async () => {
    const proposal: Proposal = {
      entry: { agent: 'scout', kind: 'comms', streak: 20, approved: 20, edited: 0, rejected: 0, responded: 0, reverted: 0, updatedAt: '2025-01-01T00:00:00.000Z' },
      rule: { id: 'auto-scout-comms', name: 'Approve comms from scout', enabled: true, match: { kinds: ['comms'], agents: ['scout'], risks: ['low'] }, action: 'approve' },
      dryRun: dry(),
    };
    const { sent } = mount([proposal]);
    fireEvent.click(screen.getByTestId('approvals-tab-proposals'));
    fireEvent.click(await screen.findByTestId('proposal-adopt-scout-comms'));
    const editor = await screen.findByTestId('policy-editor');
    expect((screen.getByTestId('policy-name') as HTMLInputElement).value).toBe('Approve comms from scout');
    expect((screen.getByTestId('policy-agents') as HTMLInputElement).value).toBe('scout');
    expect(screen.getByTestId('policy-kinds-comms').getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('policy-note').textContent).toContain('approved unchanged 20 times in a row');
    expect(screen.getByTestId('policy-dryrun').dataset.matched).toBe('21');
    expect(editor.contains(document.activeElement)).toBe(true);
    expect(sent('reef.v1.approvals.policies.put')).toEqual([]);
    expect(sent('reef.v1.approvals.policies.dryRun')).toEqual([]);
    fireEvent.click(screen.getByTestId('policy-save'));
    await waitFor(() => expect(screen.queryByTestId('policy-editor')).toBeNull());
    expect(sent('reef.v1.approvals.policies.put')).toEqual([{ name: 'Approve comms from scout', enabled: true, action: 'approve', match: { kinds: ['comms'], agents: ['scout'], risks: ['low'] } }]);
  });

  it('a dry run asked on a wrong form shows every error and sends nothing; a changed rule needs another before Save', async () => {
    const { sent } = mount([]);
    fireEvent.click(screen.getByTestId('approvals-tab-policies'));
    fireEvent.click(await screen.findByTestId('policy-new'));
    expect(screen.queryByTestId('policy-name-error')).toBeNull();
    fireEvent.click(screen.getByTestId('policy-dry-run'));
    expect(screen.getByTestId('policy-name-error').textContent).toBe('Give the rule a name.');
    expect(screen.getByTestId('policy-match-error')).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByTestId('policy-name'));
    fireEvent.change(screen.getByTestId('policy-name'), { target: { value: 'Small spend' } });
    fireEvent.click(screen.getByTestId('policy-kinds-spend'));
    fireEvent.change(screen.getByTestId('policy-max'), { target: { value: '20' } });
    fireEvent.keyDown(screen.getByTestId('policy-max'), { key: 'Enter' });
    await screen.findByTestId('policy-dryrun');
    expect(sent('reef.v1.approvals.policies.dryRun')).toEqual([{ rule: { name: 'Small spend', enabled: true, action: 'approve', match: { kinds: ['spend'], maxAmountUsd: 20 } } }]);
    expect((screen.getByTestId('policy-save') as HTMLButtonElement).disabled).toBe(false);
    fireEvent.change(screen.getByTestId('policy-max'), { target: { value: '25' } });
    expect(screen.queryByTestId('policy-dryrun')).toBeNull();
    expect((screen.getByTestId('policy-save') as HTMLButtonElement).disabled).toBe(true);
    act(() => {
      fireEvent.keyDown(screen.getByTestId('policy-max'), { key: 'Escape' });
    });
    expect(screen.queryByTestId('policy-editor')).toBeNull();
    expect(sent('reef.v1.approvals.policies.put')).toEqual([]);
  });

  it('marks the examples where the rule differs from the operator', async () => {
    const rejected = makeApproval({ status: 'rejected', decision: 'reject', decidedBy: 'operator:operator' });
    const approved = makeApproval({ status: 'approved', decision: 'approve', decidedBy: 'operator:operator' });
    const fake = fakeApi((subject) => {
      if (subject === 'reef.v1.approvals.list') return { approvals: [] };
      if (subject === 'reef.v1.approvals.policies.list') return { policies: [] };
      if (subject === 'reef.v1.approvals.grants.list') return { grants: [] };
      if (subject === 'reef.v1.approvals.proposals') return { threshold: 20, proposals: [] };
      if (subject === 'reef.v1.approvals.policies.dryRun') return dry({ matched: 2, examples: [rejected, approved] });
      throw new ReefError('not_found', subject);
    });
    render(<ApprovalsPanel api={fake.api} pluginId="approvals" panelId="inbox" React={React} ui={ui} />);
    fireEvent.click(screen.getByTestId('approvals-tab-policies'));
    fireEvent.click(await screen.findByTestId('policy-new'));
    fireEvent.change(screen.getByTestId('policy-name'), { target: { value: 'r' } });
    fireEvent.click(screen.getByTestId('policy-kinds-spend'));
    fireEvent.click(screen.getByTestId('policy-dry-run'));
    expect((await screen.findByTestId(`policy-example-${rejected.id}`)).dataset.verdict).toBe('differs');
    expect(screen.getByTestId(`policy-example-${approved.id}`).dataset.verdict).toBe('agrees');
  });
});

describe('who decided', () => {
  it('names the rule while it exists, and keeps its id once it is gone', () => {
    const a = makeApproval({ status: 'approved', decision: 'approve', decidedBy: 'policy:po_1' });
    render(
      <PolicyNames.Provider value={new Map([['po_1', 'Small spend']])}>
        <span data-testid="named">
          <DecidedBy approval={a} />
        </span>
      </PolicyNames.Provider>,
    );
    render(
      <span data-testid="gone">
        <DecidedBy approval={a} />
      </span>,
    );
    expect(screen.getByTestId('named').textContent).toContain('rule “Small spend”');
    expect(screen.getByTestId('gone').textContent).toContain('rule po_1');
  });
});
