/**
 * The operator's decisions: one approval (approve at once; reject, answer, edit and grant through
 * the inline prompt), and batches on the selection or the filter behind a confirmation that
 * states the count. All or nothing: when the host refuses a batch, the dialog says which item and why.
 */
import { useCallback, useState } from 'react';
import { ReefError } from '../../../sdk/panel/index.js';
import type { ApprovalsClient } from './approvals-client.js';
import { errorMessage, plural } from './format.js';
import type { InboxStore } from './inbox-store.js';
import type { Approval, DecisionBody, GrantAsk, InboxFilter } from './types.js';

export type PromptKind = 'reject' | 'respond' | 'edit' | 'grant';

export interface PromptState {
  kind: PromptKind;
  /** One approval, or (reject only) the batch about to be confirmed. */
  id: string;
  batch?: BatchTarget;
  busy: boolean;
  error: string | null;
}

export type BatchTarget = { ids: string[] } | { filter: InboxFilter };

export interface BatchState {
  decision: 'approve' | 'reject';
  target: BatchTarget;
  count: number;
  comment?: string;
  busy: boolean;
  error: string | null;
  /** The item the host named when it refused the batch. */
  failedId?: string;
}

const DONE: Record<DecisionBody['decision'], string> = { approve: 'Approved', reject: 'Rejected', edit: 'Approved with edits', respond: 'Answered' };

/** The host's refusal, with the title of the item it names (its details carry the id). */
function refusal(err: unknown, store: InboxStore): { message: string; id?: string } {
  const e = ReefError.from(err);
  const id = (e.details as { id?: unknown } | undefined)?.id;
  if (typeof id !== 'string') return { message: e.message };
  const a = store.getState().byId.get(id) ?? (e.details as { approval?: Approval }).approval;
  return { message: a ? `“${a.title}” — ${e.message}` : e.message, id };
}

/** The number a batch by filter matches now, when the host refused it for matching another than confirmed. */
function countNow(err: unknown): number | undefined {
  const e = ReefError.from(err);
  const d = e.details as { count?: unknown; expectCount?: unknown } | undefined;
  return e.code === 'conflict' && typeof d?.count === 'number' && typeof d.expectCount === 'number' ? d.count : undefined;
}

export function useDecisions(client: ApprovalsClient, store: InboxStore) {
  const [prompt, setPrompt] = useState<PromptState | null>(null);
  const [batch, setBatch] = useState<BatchState | null>(null);

  /** One decision; the approval leaves the inbox at once (its event follows). Resolves to the error, if any. */
  const decide = useCallback(
    async (a: Approval, body: DecisionBody, grant?: GrantAsk): Promise<string | null> => {
      try {
        const r = await client.decide(a.id, body, grant);
        store.getState().apply([r.approval]);
        client.toast(`${DONE[body.decision]}: ${a.title}${r.grant ? ` (and allowed ${r.grant.expiresAt ? 'until ' + new Date(r.grant.expiresAt).toLocaleTimeString([], { hour12: false }) : 'until revoked'})` : ''}`, 'success');
        return null;
      } catch (err) {
        const e = ReefError.from(err);
        // Someone (or a rule) decided first: show what stands.
        const standing = (e.details as { approval?: Approval } | undefined)?.approval;
        if (e.code === 'conflict' && standing) {
          store.getState().apply([standing]);
          client.toast(`${a.title}: already ${standing.status} by ${standing.decidedBy ?? 'someone'}`, 'info');
          return null;
        }
        return errorMessage(err);
      }
    },
    [client, store],
  );

  const openPrompt = useCallback((kind: PromptKind, id: string, batchTarget?: BatchTarget) => setPrompt({ kind, id, ...(batchTarget ? { batch: batchTarget } : {}), busy: false, error: null }), []);
  const closePrompt = useCallback(() => setPrompt(null), []);

  /** The prompt's answer: a comment, an answer, edited details, or a grant's length. */
  const submitPrompt = useCallback(
    async (value: { text?: string; edits?: unknown; grant?: GrantAsk }) => {
      const p = prompt;
      if (!p || p.busy) return;
      if (p.batch) {
        // A batch rejection: the comment first, then the count to confirm.
        const count = 'ids' in p.batch ? p.batch.ids.length : store.getState().order.length;
        setPrompt(null);
        setBatch({ decision: 'reject', target: p.batch, count, ...(value.text ? { comment: value.text } : {}), busy: false, error: null });
        return;
      }
      const a = store.getState().byId.get(p.id);
      if (!a) return setPrompt(null);
      let body: DecisionBody;
      if (p.kind === 'reject') body = { decision: 'reject', ...(value.text ? { comment: value.text } : {}) };
      else if (p.kind === 'respond') {
        if (!value.text) return setPrompt({ ...p, error: 'Write the answer first.' });
        body = { decision: 'respond', response: value.text };
      } else if (p.kind === 'edit') body = { decision: 'edit', edits: value.edits };
      else body = { decision: 'approve' };
      setPrompt({ ...p, busy: true, error: null });
      const error = await decide(a, body, p.kind === 'grant' ? value.grant : undefined);
      setPrompt((cur) => (cur?.id !== p.id ? cur : error ? { ...p, busy: false, error } : null));
    },
    [prompt, decide, store],
  );

  const startBatch = useCallback(
    (decision: 'approve' | 'reject') => {
      const s = store.getState();
      const target: BatchTarget = s.selected.size ? { ids: s.order.filter((id) => s.selected.has(id)) } : { filter: s.filter };
      const count = 'ids' in target ? target.ids.length : s.order.length;
      if (count === 0) return;
      if (decision === 'reject') openPrompt('reject', '', target);
      else setBatch({ decision, target, count, busy: false, error: null });
    },
    [store, openPrompt],
  );

  const confirmBatch = useCallback(async () => {
    const b = batch;
    if (!b || b.busy) return;
    setBatch({ ...b, busy: true, error: null });
    try {
      const body: DecisionBody = b.decision === 'reject' ? { decision: 'reject', ...(b.comment ? { comment: b.comment } : {}) } : { decision: 'approve' };
      // By filter: exactly the number the dialog showed, or nothing (the host counts again).
      const r = await client.decideMany(b.target, body, 'ids' in b.target ? undefined : b.count);
      store.getState().apply(r.approvals);
      store.getState().clearSelection();
      setBatch(null);
      client.toast(`${b.decision === 'approve' ? 'Approved' : 'Rejected'} ${plural(r.decided, 'request')}`, 'success');
    } catch (err) {
      const count = countNow(err);
      if (count !== undefined) {
        // The filter matches another number now: ask again with that number; confirming sends it.
        if (count === 0) {
          setBatch(null);
          client.toast(`Nothing was decided: no pending request matches the filters any more`, 'info');
        } else setBatch({ ...b, count, busy: false, error: `Nothing was decided: the filters match ${plural(count, 'pending request')} now, not ${b.count}. Confirm again to ${b.decision} ${count}.` });
        return;
      }
      const { message, id } = refusal(err, store);
      setBatch({ ...b, busy: false, error: `Nothing was decided: ${message}`, ...(id ? { failedId: id } : {}) });
    }
  }, [batch, client, store]);

  const cancelBatch = useCallback(() => setBatch(null), []);

  return { prompt, openPrompt, closePrompt, submitPrompt, decide, batch, startBatch, confirmBatch, cancelBatch };
}
