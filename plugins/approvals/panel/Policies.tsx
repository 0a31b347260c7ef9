// Policies: the ordered rules (the first enabled rule that matches decides at once), each editable;
// the editor checks the rule as the host will, and Save waits for a dry run of exactly that rule
// over the stored history (counts and examples).
import { useStore } from 'zustand';
import { EmptyState, StatCard, StatusBadge } from '../../../sdk/panel/index.js';
import type { ApprovalsClient } from './approvals-client.js';
import type { AdminStore } from './admin-store.js';
import { DecidedBy } from './ApprovalDetail.js';
import { errorMessage } from './format.js';
import { describeRule, draftOf, formOf, NEW_FORM, type FormErrors, type PolicyForm } from './policy-draft.js';
import { KINDS, RISK_LEVELS, type PolicyDraft, type PolicyRule } from './types.js';

function Toggles<T extends string>({ testId, label, values, chosen, onChange }: { testId: string; label: string; values: readonly T[]; chosen: readonly T[]; onChange(v: T[]): void }) {
  return (
    <div className="apv-field" role="group" aria-label={label} data-testid={testId}>
      <span className="apv-field__label">{label}</span>
      <span className="reef-ui-filters__chips">
        {values.map((v) => (
          <button
            key={v}
            type="button"
            className="reef-ui-chip reef-ui-chip--accent"
            aria-pressed={chosen.includes(v)}
            data-testid={`${testId}-${v}`}
            onClick={() => onChange(chosen.includes(v) ? chosen.filter((x) => x !== v) : [...chosen, v])}
          >
            {v}
          </button>
        ))}
      </span>
      <span className="apv-dim">{chosen.length ? '' : 'any'}</span>
    </div>
  );
}

function Text({ testId, label, value, error, placeholder, onChange }: { testId: string; label: string; value: string; error?: string | undefined; placeholder?: string; onChange(v: string): void }) {
  return (
    <label className="apv-field">
      <span className="apv-field__label">{label}</span>
      <input className="reef-ui-input" data-testid={testId} value={value} placeholder={placeholder} aria-invalid={error ? true : undefined} onChange={(e) => onChange(e.target.value)} />
      {error && (
        <span className="reef-ui-error" data-testid={`${testId}-error`}>
          {error}
        </span>
      )}
    </label>
  );
}

export function PolicyEditor({ client, store }: { client: ApprovalsClient; store: AdminStore }) {
  const form = useStore(store, (s) => s.form) as PolicyForm;
  const dry = useStore(store, (s) => s.dryRun);
  const saving = useStore(store, (s) => s.saving);
  const saveError = useStore(store, (s) => s.saveError);
  const patch = useStore(store, (s) => s.patchForm);
  const { draft, errors } = draftOf(form);
  const key = draft ? JSON.stringify({ match: draft.match, action: draft.action }) : '';
  const current = dry && dry.key === key ? dry : null;
  const e: FormErrors = errors;

  const runDry = (d: PolicyDraft) => {
    store.getState().setDryRun({ key, running: true });
    client.dryRun(d).then(
      (result) => store.getState().dryRun?.key === key && store.getState().setDryRun({ key, result, running: false }),
      (err: unknown) => store.getState().setDryRun({ key, error: errorMessage(err), running: false }),
    );
  };
  const save = (d: PolicyDraft) => {
    store.getState().setSaving(true);
    client.putPolicy(d).then(
      (r) => {
        store.getState().setPolicies(r.policies);
        store.getState().edit(null);
        client.toast(`Rule “${r.policy.name}” saved`, 'success');
      },
      (err: unknown) => store.getState().setSaving(false, errorMessage(err)),
    );
  };

  return (
    <section className="apv-card apv-editor" data-testid="policy-editor" aria-label="Edit rule">
      <h3 className="apv-card__title">{form.id ? `Edit rule ${form.id}` : 'New rule'}</h3>
      <div className="apv-form">
        <Text testId="policy-name" label="Name" value={form.name} error={e.name} onChange={(name) => patch({ name })} />
        <label className="apv-field">
          <span className="apv-field__label">Then</span>
          <select className="reef-ui-input reef-ui-input--select" data-testid="policy-action" value={form.action} onChange={(ev) => patch({ action: ev.target.value as 'approve' | 'reject' })}>
            <option value="approve">approve at once</option>
            <option value="reject">reject at once</option>
          </select>
        </label>
        <label className="apv-field apv-field--inline">
          <input type="checkbox" data-testid="policy-enabled" checked={form.enabled} onChange={(ev) => patch({ enabled: ev.target.checked })} /> enabled
        </label>
        <Toggles testId="policy-kinds" label="Kinds" values={KINDS} chosen={form.kinds} onChange={(kinds) => patch({ kinds })} />
        <Toggles testId="policy-risks" label="Risks" values={RISK_LEVELS} chosen={form.risks} onChange={(risks) => patch({ risks })} />
        <Text testId="policy-agents" label="Agents" placeholder="any; or forge, smith" value={form.agents} error={e.agents} onChange={(agents) => patch({ agents })} />
        <Text testId="policy-products" label="Products" placeholder="any; or acme, globex" value={form.products} error={e.products} onChange={(products) => patch({ products })} />
        <Text testId="policy-min" label="Amount at least ($)" value={form.minAmountUsd} error={e.minAmountUsd} onChange={(minAmountUsd) => patch({ minAmountUsd })} />
        <Text testId="policy-max" label="Amount at most ($)" value={form.maxAmountUsd} error={e.maxAmountUsd} onChange={(maxAmountUsd) => patch({ maxAmountUsd })} />
      </div>
      {e.match && (
        <p className="reef-ui-error" data-testid="policy-match-error">
          {e.match}
        </p>
      )}
      {draft && <p className="apv-dim">{describeRule(draft)}</p>}
      {current?.result && (
        <div className="apv-dryrun" data-testid="policy-dryrun" data-matched={current.result.matched}>
          <div className="apv-stats">
            <StatCard label="Replayed" value={current.result.scanned} />
            <StatCard label="Would match" value={current.result.matched} tone="accent" />
            <StatCard label={`Would ${draft?.action}`} value={draft?.action === 'reject' ? current.result.wouldReject : current.result.wouldApprove} />
            <StatCard label="Agrees with you" value={current.result.agreedWithOperator} tone="ok" />
            <StatCard label="Differs" value={current.result.disagreed} tone={current.result.disagreed ? 'warn' : 'ok'} />
          </div>
          {current.result.examples.length > 0 && (
            <ul className="apv-examples">
              {current.result.examples.map((a) => (
                <li key={a.id}>
                  <StatusBadge tone={a.status === 'approved' ? 'ok' : 'error'}>{a.status}</StatusBadge> {a.title} <span className="apv-dim">· {a.agent}</span> <DecidedBy approval={a} />
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
      {(current?.error ?? saveError) && (
        <p className="reef-ui-error" role="alert" data-testid="policy-error">
          {current?.error ?? saveError}
        </p>
      )}
      <div className="apv-editor__actions">
        <button type="button" className="reef-ui-button" data-testid="policy-cancel" onClick={() => store.getState().edit(null)}>
          Cancel
        </button>
        <button type="button" className="reef-ui-button" data-testid="policy-dry-run" disabled={!draft || current?.running} onClick={() => draft && runDry(draft)}>
          {current?.running ? 'Replaying…' : 'Dry run over history'}
        </button>
        <button
          type="button"
          className="reef-ui-button reef-ui-button--primary"
          data-testid="policy-save"
          disabled={!draft || !current?.result || saving}
          title={current?.result ? 'Save the rule' : 'Run the dry run first: see what this rule would have decided'}
          onClick={() => draft && save(draft)}
        >
          {saving ? 'Saving…' : 'Save rule'}
        </button>
      </div>
    </section>
  );
}

/** A stored rule as policies.put takes it (no updatedAt). */
const asDraft = ({ id, name, enabled, action, match }: PolicyRule, patch: Partial<PolicyDraft>): PolicyDraft => ({ id, name, enabled, action, match, ...patch });

export function Policies({ client, store }: { client: ApprovalsClient; store: AdminStore }) {
  const policies = useStore(store, (s) => s.policies);
  const form = useStore(store, (s) => s.form);
  const edit = useStore(store, (s) => s.edit);

  const put = (p: PolicyDraft) =>
    client.putPolicy(p).then(
      (r) => store.getState().setPolicies(r.policies),
      (err: unknown) => client.toast(`Could not change the rule: ${errorMessage(err)}`, 'error'),
    );
  const remove = (id: string) =>
    client.deletePolicy(id).then(
      (r) => store.getState().setPolicies(r.policies),
      (err: unknown) => client.toast(`Could not delete the rule: ${errorMessage(err)}`, 'error'),
    );

  return (
    <div className="apv-admin" data-testid="approvals-policies">
      <section className="apv-card">
        <h3 className="apv-card__title">
          Rules, in order <span className="apv-dim">— the first enabled rule that matches decides a new request at once; then grants; then you.</span>
          <button type="button" className="reef-ui-button reef-ui-button--primary" data-testid="policy-new" onClick={() => edit({ ...NEW_FORM })}>
            New rule
          </button>
        </h3>
        {policies === null ? (
          <p className="apv-dim">Loading…</p>
        ) : policies.length === 0 ? (
          <EmptyState title="No rules yet: you decide every request." testId="policies-empty">
            <p className="apv-dim">A rule such as “spend · agent forge · ≤ $20 → approve” takes the routine ones off your hands. Try it with a dry run first.</p>
          </EmptyState>
        ) : (
          <ol className="apv-rules">
            {policies.map((p, i) => (
              <li key={p.id} className={`apv-rule${p.enabled ? '' : ' apv-rule--off'}`} data-testid={`policy-${p.id}`}>
                <span className="apv-count">{i + 1}</span>
                <StatusBadge tone={p.action === 'approve' ? 'ok' : 'error'}>{p.action}</StatusBadge>
                <strong>{p.name}</strong>
                <span className="apv-dim apv-ellipsis">{describeRule(p)}</span>
                {!p.enabled && <StatusBadge tone="neutral">off</StatusBadge>}
                <span className="apv-rule__actions">
                  <button type="button" className="reef-ui-button" aria-label="Move up" disabled={i === 0} onClick={() => void put(asDraft(p, { position: i - 1 }))}>
                    ↑
                  </button>
                  <button type="button" className="reef-ui-button" aria-label="Move down" disabled={i === policies.length - 1} onClick={() => void put(asDraft(p, { position: i + 1 }))}>
                    ↓
                  </button>
                  <button type="button" className="reef-ui-button" onClick={() => void put(asDraft(p, { enabled: !p.enabled }))}>
                    {p.enabled ? 'Disable' : 'Enable'}
                  </button>
                  <button type="button" className="reef-ui-button" data-testid={`policy-edit-${p.id}`} onClick={() => edit(formOf(p, i))}>
                    Edit
                  </button>
                  <button type="button" className="reef-ui-button reef-ui-button--danger" onClick={() => void remove(p.id)}>
                    Delete
                  </button>
                </span>
              </li>
            ))}
          </ol>
        )}
      </section>
      {form && <PolicyEditor client={client} store={store} />}
    </div>
  );
}
