// Graduated autonomy: where an agent's record of approvals unchanged has crossed the threshold,
// the rule Reef proposes, with its dry run. Adopt opens the editor with it (and that dry run, of
// exactly this rule); nothing is saved until the operator saves it there.
import { useStore } from 'zustand';
import { EmptyState, StatCard } from '../../../sdk/panel/index.js';
import type { AdminStore } from './admin-store.js';
import { describeRule, draftOf, dryRunKey, formOfProposal, openProposals } from './policy-draft.js';
import type { Proposal } from './types.js';

/** The editor opened on the proposed rule, its dry run already there: the operator reviews, changes or saves it. */
export function adopt(store: AdminStore, p: Proposal): void {
  const form = formOfProposal(p);
  store.getState().edit(form);
  const { draft } = draftOf(form);
  if (draft) store.getState().setDryRun({ key: dryRunKey(draft), result: p.dryRun, running: false });
}

export function Proposals({ store, onAdopt }: { store: AdminStore; onAdopt(): void }) {
  const loaded = useStore(store, (s) => s.proposals);
  const policies = useStore(store, (s) => s.policies);
  const proposals = loaded && openProposals(loaded, policies);
  const threshold = useStore(store, (s) => s.threshold);
  const error = useStore(store, (s) => s.error);
  return (
    <section className="apv-card" data-testid="approvals-proposals">
      <h3 className="apv-card__title">
        Proposed rules <span className="apv-dim">— from agents with {threshold ?? 'many'} approvals in a row that you did not change. Reef never adopts one by itself.</span>
      </h3>
      {proposals === null ? (
        error ? (
          <p className="reef-ui-error" role="alert" data-testid="proposals-error">
            Could not load the proposals: {error}
          </p>
        ) : (
          <p className="apv-dim">Loading…</p>
        )
      ) : proposals.length === 0 ? (
        <EmptyState title="No proposals yet." testId="proposals-empty">
          <p className="apv-dim">When an agent's requests of one kind keep being approved unchanged, a rule to approve them appears here with its dry run.</p>
        </EmptyState>
      ) : (
        <ul className="apv-proposals">
          {proposals.map((p) => {
            const id = `${p.entry.agent}-${p.entry.kind}`;
            return (
              <li
                key={id}
                className="apv-proposal"
                data-testid={`proposal-${id}`}
                data-matched={p.dryRun.matched}
                data-agreed={p.dryRun.agreedWithOperator}
                data-disagreed={p.dryRun.disagreed}
              >
                <div>
                  <strong>{p.rule.name}</strong>
                  <div className="apv-dim" data-testid={`proposal-rule-${id}`}>
                    {describeRule(p.rule)}
                  </div>
                  <div className="apv-dim">
                    {p.entry.agent} · {p.entry.kind}: {p.entry.streak} approved unchanged in a row; {p.entry.edited} edited, {p.entry.rejected} rejected, {p.entry.reverted} reverted in all
                  </div>
                </div>
                <div className="apv-stats" aria-label={`Dry run over the ${p.dryRun.scanned} latest decided requests`}>
                  <StatCard label="Would match" value={p.dryRun.matched} tone="accent" />
                  <StatCard label="Agrees with you" value={p.dryRun.agreedWithOperator} tone="ok" />
                  <StatCard label="Differs from you" value={p.dryRun.disagreed} tone={p.dryRun.disagreed ? 'warn' : 'ok'} />
                </div>
                <button
                  type="button"
                  className="reef-ui-button reef-ui-button--primary"
                  data-testid={`proposal-adopt-${id}`}
                  title="Open it in the rule editor, to review and save (nothing is saved before)"
                  onClick={() => {
                    adopt(store, p);
                    onAdopt();
                  }}
                >
                  Adopt…
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
