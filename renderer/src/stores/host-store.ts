// What the host told us: its info, the plugins with their states, and manifests it refused.
import { create } from 'zustand';
import type { BusLink, HostInfo, ManifestProblem, PluginStatus } from '../../../sdk/contract.js';

export interface HostStore {
  info: HostInfo | null;
  plugins: PluginStatus[];
  problems: ManifestProblem[];
  /** True once hostInfo and listPlugins have both answered at least once. */
  loaded: boolean;
  loadError: string | null;
  setInfo(info: HostInfo): void;
  /** The host's NATS link changed state (an event, between hostInfo calls). */
  setLink(link: BusLink): void;
  setPlugins(plugins: PluginStatus[], problems: ManifestProblem[]): void;
  setLoaded(): void;
  setLoadError(message: string | null): void;
}

export const initialHost = {
  info: null,
  plugins: [] as PluginStatus[],
  problems: [] as ManifestProblem[],
  loaded: false,
  loadError: null,
};

export const useHostStore = create<HostStore>((set) => ({
  ...initialHost,
  setInfo: (info) => set({ info }),
  setLink: (link) => set((s) => (s.info ? { info: { ...s.info, link } } : {})),
  setPlugins: (plugins, problems) => set({ plugins, problems }),
  setLoaded: () => set({ loaded: true, loadError: null }),
  setLoadError: (loadError) => set({ loadError }),
}));
