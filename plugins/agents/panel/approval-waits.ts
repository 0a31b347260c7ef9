/**
 * Which agents wait on an operator's approval, and since when: the pending approvals read through
 * the approvals plugin's own subjects (nothing of it is imported), read again after its events at
 * most every few seconds. Without the approvals plugin there is simply nothing to show.
 */
import { useEffect, useState } from 'react';
import type { PanelApi } from '../../../sdk/panel/index.js';

export interface ApprovalWait {
  count: number;
  /** When the oldest pending request of the agent was made (ISO). */
  since: string;
  /** That request: the link opens the approvals inbox on it. */
  oldestId: string;
}

interface PendingApproval {
  id: string;
  agent: string;
  createdAt: string;
}

export const WAITS_REFETCH_MS = 2000;

export function waitsByAgent(approvals: readonly PendingApproval[]): Map<string, ApprovalWait> {
  const out = new Map<string, ApprovalWait>();
  for (const a of approvals) {
    const w = out.get(a.agent);
    if (!w) out.set(a.agent, { count: 1, since: a.createdAt, oldestId: a.id });
    else {
      w.count++;
      if (a.createdAt < w.since) Object.assign(w, { since: a.createdAt, oldestId: a.id });
    }
  }
  return out;
}

export function useApprovalWaits(api: PanelApi): ReadonlyMap<string, ApprovalWait> {
  const [waits, setWaits] = useState<ReadonlyMap<string, ApprovalWait>>(() => new Map());
  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fetchWaits = () => {
      timer = undefined;
      api.request<{ approvals: PendingApproval[] }>('reef.v1.approvals.list', { status: ['pending'], limit: 1000 }).then(
        (r) => live && setWaits(waitsByAgent(r.approvals)),
        () => undefined,
      );
    };
    fetchWaits();
    const stop = api.subscribe('reef.v1.events.approval.>', () => {
      timer ??= setTimeout(fetchWaits, WAITS_REFETCH_MS);
    });
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
      stop();
    };
  }, [api]);
  return waits;
}
