// Which panel is open. The address hash mirrors it so a reload lands on the same panel.
import { create } from 'zustand';

export interface PanelRef {
  pluginId: string;
  panelId: string;
}

export interface NavigationStore {
  active: PanelRef | null;
  open(pluginId: string, panelId: string): void;
}

export const panelKey = (ref: PanelRef): string => `${ref.pluginId}/${ref.panelId}`;

export function panelFromHash(hash: string): PanelRef | null {
  const match = /^#\/([a-z][a-z0-9-]*)\/([a-z][a-z0-9-.]*)$/.exec(hash);
  return match?.[1] && match[2] ? { pluginId: match[1], panelId: match[2] } : null;
}

export const useNavigationStore = create<NavigationStore>((set) => ({
  active: null,
  open: (pluginId, panelId) => set({ active: { pluginId, panelId } }),
}));
