// Whether the app has finished its first load and shown its first panel (the e2e ready marker).
import { create } from 'zustand';

export interface AppStore {
  ready: boolean;
  markReady(): void;
}

export const useAppStore = create<AppStore>((set, get) => ({
  ready: false,
  markReady: () => {
    if (!get().ready) set({ ready: true });
  },
}));
