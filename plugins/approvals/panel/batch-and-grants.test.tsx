// A batch by filter decides exactly the number confirmed (asked again when the host counts another),
// and an ended grant leaves the Grants view (its event, or its countdown reaching zero).
import * as React from 'react';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReefError } from '../../../sdk/index.js';
import { ui } from '../../../sdk/panel/index.js';
import ApprovalsPanel from './index.js';
import { fakeApi, makeApproval } from './test-fixtures.js';
import type { Grant } from './types.js';

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const grant = (id: string, expiresAt: string | null): Grant => ({
  id,
  agent: 'forge',
  kind: 'spend',
  scope: 'agent-kind',
  maxRisk: 'low',
  createdAt: new Date(Date.now() - 60_000).toISOString(),
  expiresAt,
  createdBy: 'operator:operator',
  approvalId: 'ap_x',
});

describe('the approvals panel', () => {
  it('sends the count its confirmation showed with a batch by filter, and asks again with the count the host found', async () => {
    const pending = [makeApproval(), makeApproval(), makeApproval()];
    let refusals = 1;
    const fake = fakeApi((subject, body) => {
      if (subject === 'reef.v1.approvals.list') return { approvals: pending };
      if (subject === 'reef.v1.approvals.policies.list') return { policies: [] };
      if (subject === 'reef.v1.approvals.grants.list') return { grants: [] };
      if (subject === 'reef.v1.approvals.proposals') return { threshold: 20, proposals: [] };
      if (subject === 'reef.v1.approvals.decideMany') {
        if (refusals-- > 0) throw new ReefError('conflict', 'filter: matches 4 pending approvals now, not the 3 confirmed', { count: 4, expectCount: body.expectCount });
        return { decided: 4, approvals: pending.map((a) => ({ ...a, status: 'approved' })) };
      }
      throw new ReefError('not_found', subject);
    });
    render(<ApprovalsPanel api={fake.api} pluginId="approvals" panelId="inbox" React={React} ui={ui} />);
    await waitFor(() => expect(screen.getByTestId('approvals-inbox').dataset.status).toBe('ready'), { timeout: 10_000 });
    fireEvent.click(screen.getByTestId('approvals-batch-approve'));
    expect(screen.getByTestId('approvals-confirm').dataset.count).toBe('3');
    fireEvent.click(screen.getByTestId('approvals-confirm-ok'));
    await waitFor(() => expect(screen.getByTestId('approvals-confirm').dataset.count).toBe('4'), { timeout: 10_000 });
    expect(screen.getByTestId('approvals-confirm').textContent).toContain('match 4 pending requests now, not 3');
    const batches = () => fake.calls.filter((c) => c.subject === 'reef.v1.approvals.decideMany').map((c) => c.body);
    expect(batches()).toEqual([{ filter: {}, expectCount: 3, decision: 'approve' }]);
    fireEvent.click(screen.getByTestId('approvals-confirm-ok'));
    await waitFor(() => expect(screen.queryByTestId('approvals-confirm')).toBeNull(), { timeout: 10_000 });
    expect(batches()[1]).toEqual({ filter: {}, expectCount: 4, decision: 'approve' });
  });

  it('drops an ended grant from the Grants view: on its event, and when its countdown reaches zero', async () => {
    // Long enough to still be shown after the render, the tab, the event below on a loaded machine.
    const soon = grant('gr_soon', new Date(Date.now() + 5000).toISOString());
    const ends = grant('gr_event', new Date(Date.now() + 3_600_000).toISOString());
    const forever = grant('gr_forever', null);
    let active = [soon, ends, forever];
    const fake = fakeApi((subject) => {
      if (subject === 'reef.v1.approvals.list') return { approvals: [] };
      if (subject === 'reef.v1.approvals.policies.list') return { policies: [] };
      if (subject === 'reef.v1.approvals.grants.list') return { grants: active };
      if (subject === 'reef.v1.approvals.proposals') return { threshold: 20, proposals: [] };
      throw new ReefError('not_found', subject);
    });
    render(<ApprovalsPanel api={fake.api} pluginId="approvals" panelId="inbox" React={React} ui={ui} />);
    fireEvent.click(screen.getByTestId('approvals-tab-grants'));
    await waitFor(() => expect(screen.getByTestId('grant-gr_event')).toBeTruthy(), { timeout: 10_000 });
    // The host announces a grant that ended (another host's sweep, say): it leaves without a reload.
    const calls = fake.calls.length;
    active = [soon, forever];
    act(() => fake.emit('reef.v1.events.approvals.grants', { grant: { ...ends, endedAt: new Date().toISOString() } }));
    await waitFor(() => expect(screen.queryByTestId('grant-gr_event')).toBeNull(), { timeout: 10_000 });
    expect(fake.calls.slice(calls).some((c) => c.subject === 'reef.v1.approvals.grants.list')).toBe(false);
    // Its countdown reaches zero: it leaves on its own, the host not asked.
    expect(screen.getByTestId('grant-gr_soon')).toBeTruthy();
    await waitFor(() => expect(screen.queryByTestId('grant-gr_soon')).toBeNull(), { timeout: 15_000 });
    expect(screen.getByTestId('grant-gr_forever')).toBeTruthy();
    expect(screen.getByTestId('approvals-tab-grants-count').textContent).toBe('1');
  });
});
