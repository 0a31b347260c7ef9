/** The open memory: itself, its versions (oldest first), its audit records, and the actions on it in flight. */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AuditRecord, Memory } from './types.js';

export interface DetailState {
  id: string | null;
  status: 'idle' | 'loading' | 'ready' | 'error';
  error: string | null;
  memory: Memory | null;
  history: Memory[];
  audit: AuditRecord[];
  /** Null when the audit could not be read (the reason in `auditError`). */
  auditError: string | null;
  pinBusy: boolean;
  /** The delete confirmation: open, running, its last failure. */
  confirmDelete: { busy: boolean; error: string | null } | null;
  /** The memory was deleted (here or elsewhere) while open. */
  gone: boolean;
  start(id: string | null): void;
  loaded(memory: Memory, history: Memory[]): void;
  setAudit(records: AuditRecord[] | null, error?: string): void;
  fail(message: string): void;
  setPinBusy(on: boolean): void;
  setConfirmDelete(state: { busy: boolean; error: string | null } | null): void;
  markGone(): void;
}

export type DetailStore = StoreApi<DetailState>;

export function createDetailStore(): DetailStore {
  return createStore<DetailState>()((set) => ({
    id: null,
    status: 'idle',
    error: null,
    memory: null,
    history: [],
    audit: [],
    auditError: null,
    pinBusy: false,
    confirmDelete: null,
    gone: false,
    start: (id) =>
      set((s) =>
        id === s.id
          ? { status: s.memory ? s.status : 'loading' }
          : { id, status: id ? 'loading' : 'idle', error: null, memory: null, history: [], audit: [], auditError: null, pinBusy: false, confirmDelete: null, gone: false },
      ),
    loaded: (memory, history) => set({ status: 'ready', error: null, memory, history, gone: false }),
    setAudit: (records, error) => set(records ? { audit: records, auditError: null } : { auditError: error ?? 'unknown error' }),
    fail: (message) => set({ status: 'error', error: message }),
    setPinBusy: (pinBusy) => set({ pinBusy }),
    setConfirmDelete: (confirmDelete) => set({ confirmDelete }),
    markGone: () => set({ gone: true, confirmDelete: null }),
  }));
}
