/**
 * Policies, grants and proposals, and the policy editor's form with its dry run. The dry run is
 * tied to the rule it ran on: change the rule and it must run again before Save.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { PolicyForm } from './policy-draft.js';
import type { DryRunResult, Grant, PolicyRule, Proposal } from './types.js';

export interface DryRunState {
  /** The rule it ran on, as JSON: Save is offered only while the form still makes this rule. */
  key: string;
  result?: DryRunResult;
  error?: string;
  running: boolean;
}

export interface AdminState {
  policies: PolicyRule[] | null;
  grants: Grant[] | null;
  proposals: Proposal[] | null;
  threshold: number | null;
  error: string | null;
  form: PolicyForm | null;
  dryRun: DryRunState | null;
  saveError: string | null;
  saving: boolean;

  setPolicies(policies: PolicyRule[]): void;
  setGrants(grants: Grant[]): void;
  /** Grants that ended (their time ran out, or revoked) leave the active ones. */
  dropGrants(ended: (g: Grant) => boolean): void;
  setProposals(proposals: Proposal[], threshold: number): void;
  setError(message: string | null): void;
  edit(form: PolicyForm | null): void;
  patchForm(patch: Partial<PolicyForm>): void;
  setDryRun(dryRun: DryRunState | null): void;
  setSaving(saving: boolean, error?: string | null): void;
}

export type AdminStore = StoreApi<AdminState>;

export function createAdminStore(): AdminStore {
  return createStore<AdminState>()((set) => ({
    policies: null,
    grants: null,
    proposals: null,
    threshold: null,
    error: null,
    form: null,
    dryRun: null,
    saveError: null,
    saving: false,
    setPolicies: (policies) => set({ policies }),
    setGrants: (grants) => set({ grants }),
    dropGrants: (ended) => set((s) => (s.grants?.some(ended) ? { grants: s.grants.filter((g) => !ended(g)) } : {})),
    setProposals: (proposals, threshold) => set({ proposals, threshold }),
    setError: (error) => set({ error }),
    edit: (form) => set({ form, dryRun: null, saveError: null, saving: false }),
    patchForm: (patch) => set((s) => (s.form ? { form: { ...s.form, ...patch }, saveError: null } : {})),
    setDryRun: (dryRun) => set({ dryRun }),
    setSaving: (saving, error = null) => set({ saving, saveError: error }),
  }));
}
