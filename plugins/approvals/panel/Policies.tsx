// Policies: the ordered rules (the first enabled rule that matches decides at once), each editable;
// the editor checks the rule as the host will, and Save waits for a dry run of exactly that rule
// over the stored history (counts and examples).
import { useEffect, useRef, useState, type KeyboardEvent, type RefObject } from 'react';
import { useStore } from 'zustand';
import { ConfirmDialog, EmptyState, StatCard, StatusBadge } from '../../../sdk/panel/index.js';
import type { ApprovalsClient } from './approvals-client.js';
import type { AdminStore } from './admin-store.js';
import { DecidedBy } from './ApprovalDetail.js';
import { errorMessage, formatUsd, plural, STATUS_TONE } from './format.js';
import { describeRule, draftOf, dryRunKey, exampleVerdict, FORM_FIELDS, formOf, NEW_FORM, shownErrors, type FormField, type PolicyForm } from './policy-draft.js';
import { KINDS, RISK_LEVELS, type DryRunResult, type PolicyDraft, type PolicyRule } from './types.js';

function Toggles<T extends string>({
  testId,
  label,
  values,
  chosen,
  groupRef,
  onChange,
}: {
  testId: string;
  label: string;
  values: readonly T[];
  chosen: readonly T[];
  groupRef?: RefObject<HTMLDivElement | null>;
  onChange(v: T[]): void;
}) {
  return (
    <div ref={groupRef} className="apv-field" role="group" aria-label={label} data-testid={testId}>
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

function Text({
  testId,
  label,
  value,
  error,
  placeholder,
  inputRef,
  decimal,
  onChange,
}: {
  testId: string;
  label: string;
  value: string;
  error?: string | undefined;
  placeholder?: string;
  inputRef?: RefObject<HTMLInputElement | null>;
  decimal?: boolean;
  onChange(v: string): void;
}) {
  return (
    <label className="apv-field">
      <span className="apv-field__label">{label}</span>
      <input
        ref={inputRef}
        className="reef-ui-input"
        data-testid={testId}
        value={value}
        placeholder={placeholder}
        inputMode={decimal ? 'decimal' : undefined}
        aria-invalid={error ? true : undefined}
        onChange={(e) => onChange(e.target.value)}
      />
      {error && (
        <span className="reef-ui-error" data-testid={`${testId}-error`}>
          {error}
        </span>
      )}
    </label>
  );
}

/** Runs the dry run of `draft` and keeps its result under the rule it ran on (a later change of the rule drops it). */
export function startDryRun(client: ApprovalsClient, store: AdminStore, draft: PolicyDraft): void {
  const key = dryRunKey(draft);
  store.getState().setDryRun({ key, running: true });
  const stillAsked = () => store.getState().dryRun?.key === key;
  client.dryRun(draft).then(
    (result) => stillAsked() && store.getState().setDryRun({ key, result, running: false }),
    (err: unknown) => stillAsked() && store.getState().setDryRun({ key, error: errorMessage(err), running: false }),
  );
}

function DryRun({ result, action }: { result: DryRunResult; action: 'approve' | 'reject' }) {
  return (
    <div className="apv-dryrun" data-testid="policy-dryrun" data-scanned={result.scanned} data-matched={result.matched} data-agreed={result.agreedWithOperator} data-disagreed={result.disagreed}>
      <p className="apv-dim">
        Replayed over the {plural(result.scanned, 'latest decided request')}: what this rule would have decided, beside what was decided.
      </p>
      <div className="apv-stats">
        <StatCard label="Replayed" value={result.scanned} />
        <StatCard label="Would match" value={result.matched} tone="accent" />
        <StatCard label={`Would ${action}`} value={action === 'reject' ? result.wouldReject : result.wouldApprove} />
        <StatCard label="Agrees with you" value={result.agreedWithOperator} tone="ok" />
        <StatCard label="Differs from you" value={result.disagreed} tone={result.disagreed ? 'warn' : 'ok'} />
      </div>
      {result.examples.length > 0 ? (
        <ul className="apv-examples" aria-label="Examples, where it differs from you first">
          {result.examples.map((a) => {
            const verdict = exampleVerdict(action, a);
            return (
              <li key={a.id} data-testid={`policy-example-${a.id}`} data-verdict={verdict}>
                {verdict === 'differs' && <StatusBadge tone="warn">differs</StatusBadge>} <StatusBadge tone={STATUS_TONE[a.status]}>{a.decision === 'edit' ? 'edited' : a.status}</StatusBadge>{' '}
                {a.title}{' '}
                <span className="apv-dim">
                  · {a.agent} · {a.kind} · {a.risk} risk{a.amountUsd !== undefined ? ` · ${formatUsd(a.amountUsd)}` : ''}
                </span>{' '}
                <DecidedBy approval={a} />
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="apv-dim" data-testid="policy-dryrun-none">
          It would have matched nothing decided so far.
        </p>
      )}
    </div>
  );
}

export function PolicyEditor({ client, store }: { client: ApprovalsClient; store: AdminStore }) {
  const form = useStore(store, (s) => s.form) as PolicyForm;
  const dry = useStore(store, (s) => s.dryRun);
  const saving = useStore(store, (s) => s.saving);
  const saveError = useStore(store, (s) => s.saveError);
  const patch = useStore(store, (s) => s.patchForm);
  const [touched, setTouched] = useState<ReadonlySet<FormField>>(() => new Set());
  const [tried, setTried] = useState(false);
  const root = useRef<HTMLElement>(null);
  const refs = {
    name: useRef<HTMLInputElement>(null),
    agents: useRef<HTMLInputElement>(null),
    products: useRef<HTMLInputElement>(null),
    minAmountUsd: useRef<HTMLInputElement>(null),
    maxAmountUsd: useRef<HTMLInputElement>(null),
  };
  const kindsGroup = useRef<HTMLDivElement>(null);
  const { draft, errors } = draftOf(form);
  const key = draft ? dryRunKey(draft) : '';
  const current = dry && dry.key === key ? dry : null;
  const e = shownErrors(errors, touched, tried);
  const touch = (f: FormField) => setTouched((t) => (t.has(f) ? t : new Set(t).add(f)));

  // Opened (New rule, Edit, Adopt from Proposals): in view, the name ready to type.
  useEffect(() => {
    root.current?.scrollIntoView?.({ block: 'nearest' });
    refs.name.current?.focus();
    // Once: the editor is keyed by the rule it opened on.
  }, []);

  const runDry = () => {
    if (draft) return startDryRun(client, store, draft);
    // Invalid: say what is wrong everywhere, and go to the first wrong field.
    setTried(true);
    const first = FORM_FIELDS.find((f) => errors[f] !== undefined);
    if (first === 'match') kindsGroup.current?.querySelector('button')?.focus();
    else if (first) refs[first].current?.focus();
  };
  const save = (d: PolicyDraft) => {
    store.getState().setSaving(true);
    client.putPolicy(d).then(
      (r) => {
        store.getState().setPolicies(r.policies);
        store.getState().edit(null);
        client.toast(`Rule “${r.policy.name}” saved${r.policy.enabled ? ': it decides new requests from now on' : ' (off)'}`, 'success');
      },
      (err: unknown) => store.getState().setSaving(false, errorMessage(err)),
    );
  };
  const onKeyDown = (ev: KeyboardEvent) => {
    if (ev.key === 'Escape') {
      ev.preventDefault();
      store.getState().edit(null);
    } else if (ev.key === 'Enter' && ev.target instanceof HTMLInputElement && ev.target.type !== 'checkbox' && !current?.running) {
      // Enter in a field replays the rule; saving stays a deliberate click.
      ev.preventDefault();
      runDry();
    }
  };
  const text = (field: Exclude<FormField, 'match'>, testId: string, label: string, extra: { placeholder?: string; decimal?: boolean } = {}) => (
    <Text
      testId={testId}
      label={label}
      value={form[field]}
      error={e[field]}
      inputRef={refs[field]}
      onChange={(v) => {
        touch(field);
        patch({ [field]: v });
      }}
      {...extra}
    />
  );

  return (
    <section ref={root} className="apv-card apv-editor" data-testid="policy-editor" aria-label={form.id ? `Edit rule ${form.name}` : 'New rule'} onKeyDown={onKeyDown}>
      <h3 className="apv-card__title">
        {form.id ? (
          <>
            Edit rule <span className="apv-mono apv-dim">{form.id}</span>
          </>
        ) : (
          'New rule'
        )}
      </h3>
      {form.note && (
        <p className="apv-dim" data-testid="policy-note">
          {form.note}
        </p>
      )}
      <div className="apv-form">
        {text('name', 'policy-name', 'Name', { placeholder: 'such as Small spend' })}
        <label className="apv-field">
          <span className="apv-field__label">Then</span>
          <select className="reef-ui-input reef-ui-input--select" data-testid="policy-action" value={form.action} onChange={(ev) => patch({ action: ev.target.value as 'approve' | 'reject' })}>
            <option value="approve">approve at once</option>
            <option value="reject">reject at once</option>
          </select>
        </label>
        <label className="apv-field apv-field--inline">
          <input type="checkbox" data-testid="policy-enabled" checked={form.enabled} onChange={(ev) => patch({ enabled: ev.target.checked })} /> enabled (off: kept, decides nothing)
        </label>
      </div>
      <div className="apv-section">
        <h4>When a new request matches all of these (left empty: any)</h4>
        <div className="apv-form">
          <Toggles testId="policy-kinds" label="Kinds" groupRef={kindsGroup} values={KINDS} chosen={form.kinds} onChange={(kinds) => patch({ kinds })} />
          <Toggles testId="policy-risks" label="Risks" values={RISK_LEVELS} chosen={form.risks} onChange={(risks) => patch({ risks })} />
          {text('agents', 'policy-agents', 'Agents', { placeholder: 'any; or forge, smith' })}
          {text('products', 'policy-products', 'Products', { placeholder: 'any; or acme, globex' })}
          {text('minAmountUsd', 'policy-min', 'Amount at least ($)', { placeholder: 'no minimum', decimal: true })}
          {text('maxAmountUsd', 'policy-max', 'Amount at most ($)', { placeholder: 'no maximum', decimal: true })}
        </div>
      </div>
      {e.match && (
        <p className="reef-ui-error" data-testid="policy-match-error">
          {e.match}
        </p>
      )}
      {draft && (
        <p className="apv-dim" data-testid="policy-summary">
          {describeRule(draft)}
        </p>
      )}
      {current?.result && <DryRun result={current.result} action={draft?.action ?? 'approve'} />}
      {(current?.error ?? saveError) && (
        <p className="reef-ui-error" role="alert" data-testid="policy-error">
          {current?.error ?? saveError}
        </p>
      )}
      <div className="apv-editor__actions">
        {!current?.result && draft && <span className="apv-dim">Run the dry run to see what this rule would have decided; then save it.</span>}
        <button type="button" className="reef-ui-button" data-testid="policy-cancel" onClick={() => store.getState().edit(null)}>
          Cancel <kbd>Esc</kbd>
        </button>
        <button type="button" className={`reef-ui-button${current?.result ? '' : ' reef-ui-button--primary'}`} data-testid="policy-dry-run" disabled={current?.running} onClick={runDry}>
          {current?.running ? 'Replaying…' : current?.result ? 'Run again' : 'Dry run over history'} <kbd>Enter</kbd>
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
const asDraft = ({ id, name, enabled, action, match }: PolicyRule, patch: Partial<PolicyDraft>): PolicyDraft & { id: string } => ({ id, name, enabled, action, match, ...patch });

export function Policies({ client, store }: { client: ApprovalsClient; store: AdminStore }) {
  const policies = useStore(store, (s) => s.policies);
  const error = useStore(store, (s) => s.error);
  const form = useStore(store, (s) => s.form);
  const edit = useStore(store, (s) => s.edit);
  /** The rule a change is on its way for: its buttons wait. */
  const [busyId, setBusyId] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<{ rule: PolicyRule; busy: boolean; error: string | null } | null>(null);

  const put = (p: PolicyDraft & { id: string }) => {
    setBusyId(p.id);
    client
      .putPolicy(p)
      .then(
        (r) => store.getState().setPolicies(r.policies),
        (err: unknown) => client.toast(`Could not change the rule: ${errorMessage(err)}`, 'error'),
      )
      .finally(() => setBusyId(null));
  };
  const remove = (rule: PolicyRule) => {
    setDeleting({ rule, busy: true, error: null });
    client.deletePolicy(rule.id).then(
      (r) => {
        store.getState().setPolicies(r.policies);
        if (store.getState().form?.id === rule.id) store.getState().edit(null);
        setDeleting(null);
        client.toast(`Rule “${rule.name}” deleted`, 'success');
      },
      (err: unknown) => setDeleting({ rule, busy: false, error: errorMessage(err) }),
    );
  };

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
          error ? (
            <p className="reef-ui-error" role="alert" data-testid="policies-error">
              Could not load the rules: {error}
            </p>
          ) : (
            <p className="apv-dim">Loading…</p>
          )
        ) : policies.length === 0 ? (
          <EmptyState title="No rules yet: you decide every request." testId="policies-empty">
            <p className="apv-dim">A rule such as “spend · agent forge · ≤ $20 → approve” takes the routine ones off your hands. Try it with a dry run first.</p>
          </EmptyState>
        ) : (
          <ol className="apv-rules">
            {policies.map((p, i) => {
              const busy = busyId === p.id;
              return (
                <li key={p.id} className={`apv-rule${p.enabled ? '' : ' apv-rule--off'}`} data-testid={`policy-${p.id}`} data-position={i} data-enabled={p.enabled}>
                  <span className="apv-count">{i + 1}</span>
                  <StatusBadge tone={p.action === 'approve' ? 'ok' : 'error'}>{p.action}</StatusBadge>
                  <strong title={`Decides as policy:${p.id}`}>{p.name}</strong>
                  <span className="apv-dim apv-ellipsis" title={`${describeRule(p)} (decides as policy:${p.id})`}>
                    {describeRule(p)}
                  </span>
                  {!p.enabled && <StatusBadge tone="neutral">off</StatusBadge>}
                  <span className="apv-rule__actions">
                    <button type="button" className="reef-ui-button" aria-label={`Move “${p.name}” up`} data-testid={`policy-up-${p.id}`} disabled={busy || i === 0} onClick={() => put(asDraft(p, { position: i - 1 }))}>
                      ↑
                    </button>
                    <button
                      type="button"
                      className="reef-ui-button"
                      aria-label={`Move “${p.name}” down`}
                      data-testid={`policy-down-${p.id}`}
                      disabled={busy || i === policies.length - 1}
                      onClick={() => put(asDraft(p, { position: i + 1 }))}
                    >
                      ↓
                    </button>
                    <button type="button" className="reef-ui-button" data-testid={`policy-toggle-${p.id}`} disabled={busy} onClick={() => put(asDraft(p, { enabled: !p.enabled }))}>
                      {p.enabled ? 'Disable' : 'Enable'}
                    </button>
                    <button type="button" className="reef-ui-button" data-testid={`policy-edit-${p.id}`} onClick={() => edit(formOf(p))}>
                      Edit
                    </button>
                    <button type="button" className="reef-ui-button reef-ui-button--danger" data-testid={`policy-delete-${p.id}`} disabled={busy} onClick={() => setDeleting({ rule: p, busy: false, error: null })}>
                      Delete
                    </button>
                  </span>
                </li>
              );
            })}
          </ol>
        )}
      </section>
      {form && <PolicyEditor key={form.id ?? 'new'} client={client} store={store} />}
      {deleting && (
        <ConfirmDialog
          testId="policy-delete-confirm"
          title={`Delete the rule “${deleting.rule.name}”?`}
          count={1}
          noun="rule"
          confirmLabel="Delete rule"
          busy={deleting.busy}
          error={deleting.error}
          onConfirm={() => remove(deleting.rule)}
          onCancel={() => setDeleting(null)}
        >
          <p className="apv-dim">
            {describeRule(deleting.rule)}. New requests it would have decided go to the next rule, a grant, or you. What it decided stays in History and the audit log.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
