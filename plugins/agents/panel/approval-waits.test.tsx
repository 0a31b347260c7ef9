// The agents an approval holds up: counted per agent from the approvals' own subject, shown on the card, linking to the oldest.
import * as React from 'react';
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReefError } from '../../../sdk/index.js';
import { ui } from '../../../sdk/panel/index.js';
import { waitsByAgent } from './approval-waits.js';
import AgentsPanel from './index.js';
import { fakeApi, makeAgent, noControls } from './test-fixtures.js';

afterEach(cleanup);

const pending = [
  { id: 'ap_2', agent: 'forge', createdAt: '2025-01-01T12:05:00.000Z' },
  { id: 'ap_1', agent: 'forge', createdAt: '2025-01-01T12:00:00.000Z' },
  { id: 'ap_3', agent: 'smith', createdAt: '2025-01-01T12:07:00.000Z' },
];

describe('approval waits', () => {
  it('count per agent and keep the oldest', () => {
    expect(waitsByAgent(pending).get('forge')).toEqual({ count: 2, since: '2025-01-01T12:00:00.000Z', oldestId: 'ap_1' });
    expect(waitsByAgent(pending).get('smith')?.count).toBe(1);
  });

  it('show on the card of a waiting agent and open the approvals inbox on the oldest', async () => {
    const fake = fakeApi((subject) => {
      if (subject === 'reef.v1.agents.list') return { agents: [makeAgent('forge'), makeAgent('idle')] };
      if (subject === 'reef.v1.agents.controls') return noControls();
      if (subject === 'reef.v1.agents.audit') return { entries: [] };
      if (subject === 'reef.v1.approvals.list') return { approvals: pending };
      throw new ReefError('not_found', subject);
    });
    const open = vi.spyOn(fake.api, 'openPanel');
    render(<AgentsPanel api={fake.api} pluginId="agents" panelId="fleet" React={React} ui={ui} />);
    await waitFor(() => expect(screen.getByTestId('agent-waiting-forge').textContent).toContain('waiting on 2 approvals'));
    expect(screen.queryByTestId('agent-waiting-idle')).toBeNull();
    expect(fake.calls.find((c) => c.subject === 'reef.v1.approvals.list')?.body).toEqual({ status: ['pending'], limit: 1000 });
    fireEvent.click(screen.getByTestId('agent-waiting-forge'));
    expect(open).toHaveBeenCalledWith('approvals', 'inbox', 'ap_1');
  });
});
