/** Loads the fleet and keeps it live: events move cards, a slow re-fetch covers anything missed (no per-second polling). */
import { useCallback, useEffect, useRef } from 'react';
import type { PanelApi } from '../../../sdk/panel/index.js';
import type { FleetStore } from './fleet-store.js';
import type { AgentView, AuditEntry, ControlAction, ControlScope, ControlsWithRevision, Liveness } from './types.js';

/** The whole list is fetched again this often, and on demand at most this often. */
export const RESYNC_MS = 15_000;
export const MIN_REFETCH_MS = 3_000;
/** `seen` events are applied together this often: a thousand agents beating each second make four renders, not a thousand. */
export const SEEN_FLUSH_MS = 250;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function useFleet(api: PanelApi, store: FleetStore) {
  const lastFetch = useRef(0);
  const queued = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const seen = useRef(new Map<string, AgentView>());
  const seenFlush = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const fetchList = useCallback(() => {
    lastFetch.current = Date.now();
    api.request<{ agents: AgentView[] }>('reef.v1.agents.list', {}).then(
      (r) => store.getState().listLoaded(r.agents),
      (err: unknown) => store.getState().listFailed(message(err)),
    );
  }, [api, store]);

  /** A re-fetch soon, but never more than one per MIN_REFETCH_MS however many events ask. */
  const refetchSoon = useCallback(() => {
    if (queued.current) return;
    const wait = Math.max(0, lastFetch.current + MIN_REFETCH_MS - Date.now());
    queued.current = setTimeout(() => {
      queued.current = undefined;
      fetchList();
    }, wait);
  }, [fetchList]);

  useEffect(() => {
    fetchList();
    api.request<ControlsWithRevision>('reef.v1.agents.controls', {}).then((c) => store.getState().setControls(c), () => undefined);
    api.request<{ entries: AuditEntry[] }>('reef.v1.agents.audit', { limit: 50 }).then((r) => store.getState().setAudit(r.entries), () => undefined);
    const resync = setInterval(fetchList, RESYNC_MS);
    const stopAgent = api.subscribe('reef.v1.events.agent.>', (body, subject) => {
      if (!isObject(body)) return;
      const s = store.getState();
      if (subject.endsWith('.seen') && isObject(body.agent)) {
        const agent = body.agent as unknown as AgentView;
        seen.current.set(agent.id, agent);
        seenFlush.current ??= setTimeout(() => {
          seenFlush.current = undefined;
          const batch = [...seen.current.values()];
          seen.current.clear();
          store.getState().agentsSeen(batch);
        }, SEEN_FLUSH_MS);
      } else if (subject.endsWith('.liveness') && typeof body.id === 'string') {
        if (s.agents.has(body.id)) s.livenessChanged(body.id, body.liveness as Liveness);
        else refetchSoon();
      } else if (subject.endsWith('.forgotten') && typeof body.id === 'string') s.agentForgotten(body.id);
    });
    const stopFleet = api.subscribe('reef.v1.events.agents.>', (body, subject) => {
      if (!isObject(body) || !subject.endsWith('.controls')) return;
      const s = store.getState();
      if (isObject(body.controls)) s.setControls(body.controls as unknown as ControlsWithRevision);
      if (isObject(body.entry)) s.auditAdded(body.entry as unknown as AuditEntry);
    });
    return () => {
      clearInterval(resync);
      if (queued.current) clearTimeout(queued.current);
      if (seenFlush.current) clearTimeout(seenFlush.current);
      queued.current = undefined;
      seenFlush.current = undefined;
      stopAgent();
      stopFleet();
    };
  }, [api, store, fetchList, refetchSoon]);

  const runControl = useCallback(
    async (action: ControlAction, scope: ControlScope, name?: string) => {
      const reply = await api.request<{ controls: ControlsWithRevision; entry: AuditEntry; affected: number }>(`reef.v1.agents.${action}`, name === undefined ? { scope } : { scope, name });
      const s = store.getState();
      s.setControls(reply.controls);
      s.auditAdded(reply.entry);
      return reply;
    },
    [api, store],
  );

  return { retry: fetchList, runControl };
}
