// The inbox: pending requests, most urgent first (or grouped), driven by the keyboard; the active
// one in full beside the table; decisions one by one, through the inline prompt, or in batches.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { ConfirmDialog, DataTable, EmptyState, FilterBar, KeyHints, type FilterField } from '../../../sdk/panel/index.js';
import type { ApprovalsClient } from './approvals-client.js';
import { ApprovalDetail } from './ApprovalDetail.js';
import { HIDDEN_WITH_DETAIL, inboxColumns } from './columns.js';
import { DecisionPrompt } from './DecisionPrompt.js';
import { plural } from './format.js';
import { isFiltered, type InboxRow, type InboxStore } from './inbox-store.js';
import { allows, inboxCommand, INBOX_KEYS, promptAllowed, SHORT_KEYS, type InboxCommand } from './keys.js';
import { EMPTY_FILTER, KINDS, RISK_LEVELS, type GroupBy } from './types.js';
import { useDecisions } from './use-decisions.js';

const rowId = (r: InboxRow) => r.id;
const rowTestId = (r: InboxRow) => (r.type === 'item' ? `approvals-row-${r.id}` : `approvals-group-${r.label}`);
const rowClassName = (r: InboxRow) => (r.type === 'group' ? 'apv-row--group' : `apv-row--${r.approval.risk}${r.approval.escalatedAt ? ' apv-row--escalated' : ''}`);
const rowData = (r: InboxRow) => (r.type === 'item' ? { risk: r.approval.risk, escalated: r.approval.escalatedAt !== undefined || undefined } : { group: r.label });

function isTyping(target: EventTarget | null): boolean {
  const el = target as HTMLElement | null;
  return !!el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable);
}

function Filters({ store, onBatch }: { store: InboxStore; onBatch(decision: 'approve' | 'reject'): void }) {
  const filter = useStore(store, (s) => s.filter);
  const groupBy = useStore(store, (s) => s.groupBy);
  const byId = useStore(store, (s) => s.byId);
  const matching = useStore(store, (s) => s.order.length);
  const selected = useStore(store, (s) => s.selected.size);
  const setFilter = useStore(store, (s) => s.setFilter);
  const setGroupBy = useStore(store, (s) => s.setGroupBy);
  const { agents, products } = useMemo(() => {
    const a = new Set<string>();
    const p = new Set<string>();
    for (const x of byId.values()) {
      a.add(x.agent);
      if (x.product) p.add(x.product);
    }
    return { agents: [...a].sort(), products: [...p].sort() };
  }, [byId]);
  const fields: FilterField[] = [
    { kind: 'chips', testId: 'approvals-filter-kind', label: 'Kind', options: KINDS.map((k) => ({ value: k, label: k })), selected: filter.kinds, onChange: (kinds) => setFilter({ kinds: kinds as typeof filter.kinds }) },
    {
      kind: 'chips',
      testId: 'approvals-filter-risk',
      label: 'Risk',
      options: RISK_LEVELS.map((r) => ({ value: r, label: r, tone: r === 'high' ? 'error' : r === 'medium' ? 'warn' : 'neutral' })),
      selected: filter.risks,
      onChange: (risks) => setFilter({ risks: risks as typeof filter.risks }),
    },
    { kind: 'text', testId: 'approvals-filter-agent', label: 'Agent', placeholder: 'agent', value: filter.agent, suggestions: agents, onChange: (agent) => setFilter({ agent }) },
    { kind: 'text', testId: 'approvals-filter-product', label: 'Product', placeholder: 'product', value: filter.product, suggestions: products, onChange: (product) => setFilter({ product }) },
    {
      kind: 'select',
      testId: 'approvals-group',
      label: 'Group by',
      allLabel: 'No grouping',
      value: groupBy === 'none' ? '' : groupBy,
      options: [
        { value: 'agent', label: 'Group by agent' },
        { value: 'product', label: 'Group by product' },
        { value: 'kind', label: 'Group by kind' },
      ],
      onChange: (v) => setGroupBy((v || 'none') as GroupBy),
    },
    { kind: 'text', testId: 'approvals-filter-q', label: 'Search', placeholder: 'Search title, summary, agent, product  ( / )', wide: true, value: filter.q, onChange: (q) => setFilter({ q }) },
  ];
  const which = selected ? `${selected} selected` : isFiltered(filter) ? `${matching} matching` : `all ${matching}`;
  return (
    <FilterBar testId="approvals-filter" fields={fields} onClear={isFiltered(filter) ? () => setFilter(EMPTY_FILTER) : undefined}>
      <button type="button" className="reef-ui-button" data-testid="approvals-batch-approve" disabled={matching === 0} onClick={() => onBatch('approve')} title="Approve the selection, or every request the filters match (A)">
        ✓ Approve {which}…
      </button>
      <button type="button" className="reef-ui-button reef-ui-button--danger" data-testid="approvals-batch-reject" disabled={matching === 0} onClick={() => onBatch('reject')} title="Reject the selection, or every request the filters match (R)">
        ✕ Reject {which}…
      </button>
    </FilterBar>
  );
}

export function Inbox({ client, store, focusId, reload, onOpenTask }: { client: ApprovalsClient; store: InboxStore; focusId: string | undefined; reload(): void; onOpenTask(taskId: string): void }) {
  const d = useDecisions(client, store);
  const rows = useStore(store, (s) => s.rows);
  const status = useStore(store, (s) => s.status);
  const error = useStore(store, (s) => s.error);
  const activeId = useStore(store, (s) => s.activeId);
  const selected = useStore(store, (s) => s.selected);
  const filtered = useStore(store, (s) => isFiltered(s.filter));
  const active = useStore(store, (s) => (s.activeId ? s.byId.get(s.activeId) : undefined));
  const [help, setHelp] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const columns = useMemo(() => inboxColumns(selected), [selected]);

  // A link from elsewhere (a task blocked by this approval) lands on it.
  useEffect(() => {
    if (focusId && store.getState().byId.has(focusId)) store.getState().setActive(focusId);
  }, [focusId, store, rows]);

  const approve = useCallback(() => {
    const a = store.getState().activeId ? store.getState().byId.get(store.getState().activeId as string) : undefined;
    if (a && allows(a, 'approve')) void d.decide(a, { decision: 'approve' });
  }, [store, d]);

  const run = useCallback(
    (cmd: InboxCommand): boolean => {
      const s = store.getState();
      const a = s.activeId ? s.byId.get(s.activeId) : undefined;
      switch (cmd.type) {
        case 'move':
          s.move(cmd.delta);
          return true;
        case 'approve':
          approve();
          return true;
        case 'prompt':
          if (a && promptAllowed(a, cmd.prompt)) d.openPrompt(cmd.prompt, a.id);
          else if (a) client.toast(`“${a.title}” allows only: ${a.responses.join(', ')}`, 'info');
          return true;
        case 'toggle':
          if (s.activeId) s.toggle(s.activeId);
          return true;
        case 'batch':
          d.startBatch(cmd.decision);
          return true;
        case 'search':
          root.current?.querySelector<HTMLInputElement>('[data-testid="approvals-filter-q"]')?.focus();
          return true;
        case 'help':
          setHelp((h) => !h);
          return true;
        case 'escape':
          if (help) setHelp(false);
          else s.clearSelection();
          return true;
        default:
          return false;
      }
    },
    [store, approve, d, client, help],
  );

  // The keys work wherever the focus is in the page, except in a field, the prompt or a dialog.
  const blocked = d.prompt !== null || d.batch !== null;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || blocked || !root.current?.isConnected) return;
      if (e.key === 'Escape' && (e.target as HTMLElement | null)?.dataset?.testid === 'approvals-filter-q') {
        (e.target as HTMLElement).blur();
        return;
      }
      if (isTyping(e.target)) return;
      const cmd = inboxCommand(e);
      if (cmd && run(cmd)) e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [blocked, run]);

  // j/k inside the table land on group headers too: step over them in the same direction.
  const onActiveChange = useCallback(
    (id: string) => {
      const s = store.getState();
      if (s.byId.has(id)) return s.setActive(id);
      const from = s.rows.findIndex((r) => r.id === s.activeId);
      const to = s.rows.findIndex((r) => r.id === id);
      s.move(to < from ? -1 : 1);
    },
    [store],
  );
  const onOpen = useCallback((id: string) => store.getState().byId.has(id) && store.getState().setActive(id), [store]);
  const onToggle = useCallback((id: string) => store.getState().toggle(id), [store]);

  const batchPromptCount = d.prompt?.batch ? ('ids' in d.prompt.batch ? d.prompt.batch.ids.length : store.getState().order.length) : undefined;
  const b = d.batch;
  return (
    <div className="apv-inbox" ref={root} data-testid="approvals-inbox" data-status={status}>
      <KeyHints testId="approvals-keys" lead={help ? 'Keys:' : 'Live from the host.'} hints={help ? INBOX_KEYS : SHORT_KEYS} />
      <Filters store={store} onBatch={d.startBatch} />
      {d.prompt && (
        <DecisionPrompt
          key={`${d.prompt.kind}:${d.prompt.id}`}
          prompt={d.prompt}
          approval={d.prompt.batch ? undefined : store.getState().byId.get(d.prompt.id)}
          {...(batchPromptCount !== undefined ? { batchCount: batchPromptCount } : {})}
          onSubmit={(v) => void d.submitPrompt(v)}
          onCancel={d.closePrompt}
        />
      )}
      {status === 'error' && error && (
        <div className="apv-alert" role="alert" data-testid="approvals-error">
          <span>Could not load the approvals: {error}</span>
          <button type="button" className="reef-ui-button" onClick={reload}>
            Try again
          </button>
        </div>
      )}
      <div className={`apv-main${active ? ' apv-main--detail' : ''}`}>
        <DataTable<InboxRow>
          testId="approvals-table"
          label="Pending approvals"
          rows={rows}
          rowId={rowId}
          rowTestId={rowTestId}
          columns={columns}
          hiddenColumns={active ? HIDDEN_WITH_DETAIL : undefined}
          rowHeight={34}
          status={status === 'loading' && rows.length === 0 ? 'loading' : status === 'error' ? 'error' : 'ready'}
          activeId={activeId}
          onActiveChange={onActiveChange}
          onOpen={onOpen}
          selectedIds={selected}
          onToggleSelected={onToggle}
          rowClassName={rowClassName}
          rowData={rowData}
          empty={
            <EmptyState testId="approvals-empty" title={filtered ? 'No pending request matches these filters.' : 'Inbox zero: nothing waits for you.'}>
              <p className="apv-dim">New requests appear here the moment an agent asks (POST /v1/approvals); rules and grants answer the routine ones.</p>
            </EmptyState>
          }
        />
        {active && <ApprovalDetail key={active.id} approval={active} busy={d.prompt?.busy ?? false} onApprove={approve} onPrompt={(kind) => d.openPrompt(kind, active.id)} onOpenTask={onOpenTask} />}
      </div>
      {b && (
        <ConfirmDialog
          testId="approvals-confirm"
          title={`${b.decision === 'approve' ? 'Approve' : 'Reject'} ${'ids' in b.target ? 'the selection' : filtered ? 'all matching' : 'the whole inbox'}?`}
          count={b.count}
          noun="request"
          confirmLabel={`${b.decision === 'approve' ? 'Approve' : 'Reject'} ${b.count}`}
          tone={b.decision === 'approve' ? 'primary' : 'danger'}
          busy={b.busy}
          error={b.error}
          onConfirm={() => void d.confirmBatch()}
          onCancel={d.cancelBatch}
          data={{ decision: b.decision, failed: b.failedId }}
        >
          <p>
            All or nothing: if any one of them cannot be {b.decision === 'approve' ? 'approved' : 'rejected'} (decided meanwhile, or not an answer it allows), none is, and this says which.
            {b.comment ? ` Comment: “${b.comment}”.` : ''}
          </p>
          {!('ids' in b.target) && <p className="apv-dim">Every pending request that matches the filters when you confirm, {plural(b.count, 'request')} now.</p>}
        </ConfirmDialog>
      )}
    </div>
  );
}
