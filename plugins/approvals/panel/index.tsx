// Approvals panel: the inbox (keyboard triage, batches), the history of decisions, policies with their
// dry runs, active grants, and the rules Reef proposes. Opened on an approval id (a link from a
// blocked task), it lands on that request.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useStore } from 'zustand';
import { Tabs, type PanelProps } from '../../../sdk/panel/index.js';
import { createAdminStore } from './admin-store.js';
import { ApprovalsClient } from './approvals-client.js';
import { Grants } from './Grants.js';
import { History } from './History.js';
import { createHistoryStore } from './history-store.js';
import { Inbox } from './Inbox.js';
import { createInboxStore } from './inbox-store.js';
import { NotifyAsk } from './NotifyAsk.js';
import { Policies } from './Policies.js';
import { openProposals } from './policy-draft.js';
import { PolicyNames } from './policy-names.js';
import { Proposals } from './Proposals.js';
import { useAdmin } from './use-admin.js';
import { useInbox } from './use-inbox.js';
import './approvals.css';

export type Tab = 'inbox' | 'history' | 'policies' | 'grants' | 'proposals';
const TABS: Array<{ id: Tab; label: string }> = [
  { id: 'inbox', label: 'Inbox' },
  { id: 'history', label: 'History' },
  { id: 'policies', label: 'Policies' },
  { id: 'grants', label: 'Grants' },
  { id: 'proposals', label: 'Proposals' },
];

export default function ApprovalsPanel({ api, target }: PanelProps) {
  const [client] = useState(() => new ApprovalsClient(api));
  const [inbox] = useState(() => createInboxStore());
  const [history] = useState(() => createHistoryStore());
  const [admin] = useState(() => createAdminStore());
  const [tab, setTab] = useState<Tab>('inbox');
  const { loadGrants, loadProposals } = useAdmin(client, admin);
  // The inbox stays live while another view is shown: its count in the tab stays true.
  const { reload } = useInbox(client, inbox);
  const pending = useStore(inbox, (s) => s.order.length);
  const complete = useStore(inbox, (s) => s.complete || s.status !== 'loading');
  const grants = useStore(admin, (s) => s.grants?.length ?? 0);
  const policies = useStore(admin, (s) => s.policies);
  const proposals = useStore(admin, (s) => s.proposals);
  const openCount = useMemo(() => openProposals(proposals, policies).length, [proposals, policies]);
  const policyNames = useMemo(() => new Map((policies ?? []).map((p) => [p.id, p.name])), [policies]);

  // A link to an approval opens the inbox on it.
  useEffect(() => {
    if (target) setTab('inbox');
  }, [target]);
  const show = (t: Tab) => {
    setTab(t);
    if (t === 'grants') void loadGrants();
    if (t === 'proposals') void loadProposals();
  };
  const openTask = useCallback((taskId: string) => client.openPanel('queue', 'tasks', taskId), [client]);
  const count: Partial<Record<Tab, number>> = { inbox: complete ? pending : undefined, grants, proposals: openCount };

  return (
    <PolicyNames.Provider value={policyNames}>
      <div className="apv" data-testid="approvals-panel">
        <header className="apv-head">
          <h2 className="apv-head__title">Approvals</h2>
          <Tabs label="Approvals views" testId="approvals-tab" tabs={TABS.map((t) => ({ ...t, count: count[t.id] }))} active={tab} onChange={show} />
        </header>
        <NotifyAsk />
        {tab === 'inbox' && <Inbox client={client} store={inbox} focusId={target} reload={reload} onOpenTask={openTask} />}
        {tab === 'history' && <History client={client} store={history} onOpenTask={openTask} />}
        {tab === 'policies' && <Policies client={client} store={admin} />}
        {tab === 'grants' && <Grants client={client} store={admin} />}
        {tab === 'proposals' && <Proposals store={admin} onAdopt={() => setTab('policies')} />}
      </div>
    </PolicyNames.Provider>
  );
}
