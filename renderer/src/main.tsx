// Entry point: picks the transport, wires services to stores, and renders the shell.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, loadCommandPalette } from './components/App.js';
import { prefetchPanels } from './panels/panel-modules.js';
import { contributedPanels } from './services/contributions.js';
import { startAttention } from './services/attention.js';
import { BusSubscriptions } from './services/bus-subscriptions.js';
import { loadHost, startHostSync } from './services/host-sync.js';
import { createServices, ServicesContext } from './services/services.js';
import { useAppStore } from './stores/app-store.js';
import { useHostStore } from './stores/host-store.js';
import { hashOf, panelFromHash, useNavigationStore } from './stores/navigation-store.js';
import { useThemeStore } from './stores/theme-store.js';
import { selectTransport } from './transport/select-transport.js';
import './styles.css';

const rootElement = document.getElementById('root');
if (!rootElement) throw new Error('index.html has no #root element');

// Before the first render, so a light-theme user never sees a dark frame.
const applyTheme = (theme: string) => {
  document.documentElement.dataset.theme = theme;
};
applyTheme(useThemeStore.getState().theme);
useThemeStore.subscribe((s) => applyTheme(s.theme));

// The address hash names the open panel: reloads and links land on it.
const fromHash = panelFromHash(location.hash);
if (fromHash) useNavigationStore.getState().open(fromHash.pluginId, fromHash.panelId, fromHash.target);
useNavigationStore.subscribe((s) => {
  const hash = hashOf(s.active);
  if (hash !== location.hash) history.replaceState(null, '', `${location.pathname}${location.search}${hash}`);
});
window.addEventListener('hashchange', () => {
  const ref = panelFromHash(location.hash);
  if (ref) useNavigationStore.getState().open(ref.pluginId, ref.panelId, ref.target);
});

const setAppState = (state: string) => {
  document.documentElement.dataset.appState = state;
  rootElement.dataset.appState = state;
};
setAppState('loading');
useAppStore.subscribe((s, prev) => {
  if (!s.ready || prev.ready) return;
  setAppState('ready');
  // Once the first panel is up, warm what the next keystrokes will need.
  const idle = window.requestIdleCallback ?? ((fn: () => void) => setTimeout(fn, 200));
  idle(() => {
    void loadCommandPalette();
    prefetchPanels(
      contributedPanels(useHostStore.getState().plugins).map(({ pluginId, panel }) => ({
        pluginId,
        module: panel.module,
        export: panel.export,
      })),
    );
  });
});

const transport = selectTransport();
const subscriptions = new BusSubscriptions(transport);
const services = createServices(transport, subscriptions);
startHostSync(transport, subscriptions);
startAttention(transport);

createRoot(rootElement).render(
  <StrictMode>
    <ServicesContext.Provider value={services}>
      <App onRetryLoad={() => void loadHost(transport)} />
    </ServicesContext.Provider>
  </StrictMode>,
);
