/** Loads policies, grants and proposals, and follows their events (another operator's changes too). */
import { useCallback, useEffect } from 'react';
import type { AdminStore } from './admin-store.js';
import type { ApprovalsClient } from './approvals-client.js';
import { errorMessage } from './format.js';
import type { Grant, PolicyRule } from './types.js';

export function useAdmin(client: ApprovalsClient, store: AdminStore) {
  const fail = useCallback((err: unknown) => store.getState().setError(errorMessage(err)), [store]);
  const loadGrants = useCallback(() => client.grants().then((r) => store.getState().setGrants(r.grants), fail), [client, store, fail]);
  const loadProposals = useCallback(() => client.proposals().then((r) => store.getState().setProposals(r.proposals, r.threshold), fail), [client, store, fail]);

  useEffect(() => {
    client.policies().then((r) => store.getState().setPolicies(r.policies), fail);
    void loadGrants();
    void loadProposals();
    return client.onAdmin((what, body) => {
      const policies = (body as { policies?: PolicyRule[] } | null)?.policies;
      if (what === 'policies' && Array.isArray(policies)) store.getState().setPolicies(policies);
      else if (what === 'grants') {
        // One that ended (ran out or was revoked) leaves here; a new one is read with the rest.
        const g = (body as { grant?: Grant } | null)?.grant;
        if (g && typeof g.id === 'string' && (g.endedAt !== undefined || g.revokedAt !== undefined)) store.getState().dropGrants((x) => x.id === g.id);
        else void loadGrants();
      }
    });
  }, [client, store, fail, loadGrants, loadProposals]);

  return { loadGrants, loadProposals };
}
