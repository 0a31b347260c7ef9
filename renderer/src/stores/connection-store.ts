// Connection to the host: the transport's state and how many attempts failed since it was last open.
import { create } from 'zustand';
import type { ConnectionState } from '../../../sdk/contract.js';

export interface ConnectionStore {
  state: ConnectionState;
  /** Failed attempts since the connection was last open; >0 means "reconnecting", not "connecting". */
  failures: number;
  setConnection(state: ConnectionState): void;
}

export const initialConnection = { state: 'connecting' as ConnectionState, failures: 0 };

export const useConnectionStore = create<ConnectionStore>((set) => ({
  ...initialConnection,
  setConnection: (state) =>
    set((s) => ({
      state,
      failures: state === 'open' ? 0 : state === 'closed' || state === 'unauthorized' ? s.failures + 1 : s.failures,
    })),
}));

/** What the header badge says. Never "disconnected": tests and people look for "connected". */
export function connectionLabel(state: ConnectionState, failures: number): string {
  if (state === 'open') return 'connected';
  if (state === 'unauthorized') return 'unauthorized';
  return failures > 0 ? 'reconnecting' : 'connecting';
}

/** The host is gone: the connection dropped or never came up after a try. */
export function isUnreachable(state: ConnectionState, failures: number): boolean {
  return state === 'closed' || (state === 'connecting' && failures > 0);
}
