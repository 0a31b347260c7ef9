// Which panel is open, and what it was opened on. The address hash mirrors it so a reload lands on the same panel.
import { create } from 'zustand';

export interface PanelRef {
  pluginId: string;
  panelId: string;
  /** What the panel was opened on (an approval id, a task id): `PanelProps.target`. */
  target?: string;
}

export interface NavigationStore {
  active: PanelRef | null;
  open(pluginId: string, panelId: string, target?: string): void;
}

export const panelKey = (ref: PanelRef): string => `${ref.pluginId}/${ref.panelId}`;

/** `#/<plugin>/<panel>` or `#/<plugin>/<panel>/<target>` (the target URI-encoded). */
export function panelFromHash(hash: string): PanelRef | null {
  const match = /^#\/([a-z][a-z0-9-]*)\/([a-z][a-z0-9-.]*)(?:\/([^/]{1,200}))?$/.exec(hash);
  if (!match?.[1] || !match[2]) return null;
  let target: string | undefined;
  try {
    target = match[3] === undefined ? undefined : decodeURIComponent(match[3]);
  } catch {
    return null;
  }
  return { pluginId: match[1], panelId: match[2], ...(target ? { target } : {}) };
}

export function hashOf(ref: PanelRef | null): string {
  return ref ? `#/${ref.pluginId}/${ref.panelId}${ref.target ? `/${encodeURIComponent(ref.target)}` : ''}` : '';
}

export const useNavigationStore = create<NavigationStore>((set) => ({
  active: null,
  open: (pluginId, panelId, target) => set({ active: { pluginId, panelId, ...(target ? { target } : {}) } }),
}));
