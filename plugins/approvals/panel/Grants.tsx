// Active grants ("approve the same kind from this agent for a while"): what each covers, the time
// left, and a revoke button. Grants are made from the inbox (g, or "Approve & allow…").
import { useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { ConfirmDialog, EmptyState, StatusBadge } from '../../../sdk/panel/index.js';
import type { AdminStore } from './admin-store.js';
import type { ApprovalsClient } from './approvals-client.js';
import { Countdown } from './Countdown.js';
import { errorMessage, RISK_TONE } from './format.js';
import { useSecond } from './ticker.js';
import type { Grant } from './types.js';

export function Grants({ client, store }: { client: ApprovalsClient; store: AdminStore }) {
  const grants = useStore(store, (s) => s.grants);
  // A grant whose countdown reaches zero has ended: it leaves at once (the host announces it too).
  const now = useSecond();
  useEffect(() => store.getState().dropGrants((g) => g.expiresAt !== null && Date.parse(g.expiresAt) <= now), [store, now]);
  // Revoke asks first: what the grant covers comes back to the operator at once.
  const [revoking, setRevoking] = useState<{ grant: Grant; busy: boolean; error: string | null } | null>(null);
  const revoke = (grant: Grant) => {
    setRevoking({ grant, busy: true, error: null });
    client.revokeGrant(grant.id).then(
      () => {
        store.getState().dropGrants((g) => g.id === grant.id);
        setRevoking(null);
        client.toast(`Grant ${grant.id} revoked: ${grant.agent}'s ${grant.kind} requests come to you again`, 'success');
      },
      (err: unknown) => setRevoking({ grant, busy: false, error: errorMessage(err) }),
    );
  };
  return (
    <section className="apv-card" data-testid="approvals-grants">
      <h3 className="apv-card__title">
        Active grants <span className="apv-dim">— each approves, at once, new requests of its kind from its agent (and product) up to its risk.</span>
      </h3>
      {grants === null ? (
        <p className="apv-dim">Loading…</p>
      ) : grants.length === 0 ? (
        <EmptyState title="No active grants." testId="grants-empty">
          <p className="apv-dim">In the inbox, g (or “Approve &amp; allow…”) approves a request and allows the same for 30 min, 1 h or until revoked.</p>
        </EmptyState>
      ) : (
        <ul className="apv-rules">
          {grants.map((g) => (
            <li key={g.id} className="apv-rule" data-testid={`grant-${g.id}`}>
              <strong>{g.agent}</strong>
              <span>{g.kind}</span>
              {g.product && <span className="apv-dim">· {g.product}</span>}
              <StatusBadge tone={RISK_TONE[g.maxRisk]}>up to {g.maxRisk} risk</StatusBadge>
              <span className="apv-dim">by {g.createdBy.replace(/^operator:/, '')}</span>
              <span className="apv-rule__actions">
                {g.expiresAt ? <Countdown to={g.expiresAt} prefix="ends in " testId={`grant-left-${g.id}`} /> : <StatusBadge tone="warn">until revoked</StatusBadge>}
                <button type="button" className="reef-ui-button reef-ui-button--danger" data-testid={`grant-revoke-${g.id}`} onClick={() => setRevoking({ grant: g, busy: false, error: null })}>
                  Revoke
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      {revoking && (
        <ConfirmDialog
          testId="grant-revoke-confirm"
          title={`Revoke the grant for ${revoking.grant.agent}'s ${revoking.grant.kind} requests${revoking.grant.product ? ` for ${revoking.grant.product}` : ''}?`}
          count={1}
          noun="grant"
          confirmLabel="Revoke"
          busy={revoking.busy}
          error={revoking.error}
          onConfirm={() => revoke(revoking.grant)}
          onCancel={() => setRevoking(null)}
        >
          <p className="apv-dim">New requests it would approve come to you again. What it approved stays approved.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
