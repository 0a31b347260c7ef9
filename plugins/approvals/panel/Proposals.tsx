// Graduated autonomy: where an agent's record of approvals unchanged has crossed the threshold,
// the rule Reef proposes, with its dry run. Adopt opens the editor with it; nothing is saved until
// the operator saves it there.
import { useStore } from 'zustand';
import { EmptyState, StatCard } from '../../../sdk/panel/index.js';
import type { AdminStore } from './admin-store.js';
import { describeRule, formOfProposal } from './policy-draft.js';

export function Proposals({ store, onAdopt }: { store: AdminStore; onAdopt(): void }) {
  const proposals = useStore(store, (s) => s.proposals);
  const threshold = useStore(store, (s) => s.threshold);
  return (
    <section className="apv-card" data-testid="approvals-proposals">
      <h3 className="apv-card__title">
        Proposed rules <span className="apv-dim">— from agents with {threshold ?? 'many'} approvals in a row that you did not change. Reef never adopts one by itself.</span>
      </h3>
      {proposals === null ? (
        <p className="apv-dim">Loading…</p>
      ) : proposals.length === 0 ? (
        <EmptyState title="No proposals yet." testId="proposals-empty">
          <p className="apv-dim">When an agent's requests of one kind keep being approved unchanged, a rule to approve them appears here with its dry run.</p>
        </EmptyState>
      ) : (
        <ul className="apv-proposals">
          {proposals.map((p) => (
            <li key={`${p.entry.agent}/${p.entry.kind}`} className="apv-proposal" data-testid={`proposal-${p.entry.agent}-${p.entry.kind}`}>
              <div>
                <strong>{p.rule.name}</strong>
                <div className="apv-dim">{describeRule(p.rule)}</div>
                <div className="apv-dim">
                  {p.entry.agent} · {p.entry.kind}: {p.entry.streak} approved unchanged in a row; {p.entry.edited} edited, {p.entry.rejected} rejected, {p.entry.reverted} reverted in all
                </div>
              </div>
              <div className="apv-stats">
                <StatCard label="Would match" value={p.dryRun.matched} tone="accent" />
                <StatCard label="Agrees with you" value={p.dryRun.agreedWithOperator} tone="ok" />
                <StatCard label="Differs" value={p.dryRun.disagreed} tone={p.dryRun.disagreed ? 'warn' : 'ok'} />
              </div>
              <button
                type="button"
                className="reef-ui-button reef-ui-button--primary"
                data-testid={`proposal-adopt-${p.entry.agent}-${p.entry.kind}`}
                onClick={() => {
                  store.getState().edit(formOfProposal(p));
                  onAdopt();
                }}
              >
                Adopt…
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
