// The app shell: header, sidebar, the open panel, status bar, palette and toasts.
import { lazy, Suspense, useEffect, useMemo } from 'react';
import { contributedPanels } from '../services/contributions.js';
import { connectionLabel, isUnreachable, useConnectionStore } from '../stores/connection-store.js';
import { useHostStore } from '../stores/host-store.js';
import { useNavigationStore } from '../stores/navigation-store.js';
import { usePaletteStore } from '../stores/palette-store.js';
import { Header } from './Header.js';
import { ConnectingScreen, HostUnreachableScreen, LoadFailedScreen, UnauthorizedScreen } from './HostScreens.js';
import { isPaletteShortcut, panelShortcutIndex } from './keyboard.js';
import { Sidebar } from './Sidebar.js';
import { StatusBar } from './StatusBar.js';
import { Toasts } from './Toasts.js';
import { Workspace } from './Workspace.js';

/** Loaded on first use (and prefetched when idle): the first page does not pay for cmdk. */
export const loadCommandPalette = () => import('./CommandPalette.js');
const CommandPalette = lazy(() => loadCommandPalette().then((m) => ({ default: m.CommandPalette })));

export function App({ onRetryLoad }: { onRetryLoad: () => void }) {
  const state = useConnectionStore((s) => s.state);
  const failures = useConnectionStore((s) => s.failures);
  const loaded = useHostStore((s) => s.loaded);
  const loadError = useHostStore((s) => s.loadError);
  const plugins = useHostStore((s) => s.plugins);
  const requested = useNavigationStore((s) => s.active);
  const open = useNavigationStore((s) => s.open);
  const paletteOpen = usePaletteStore((s) => s.open);
  const togglePalette = usePaletteStore((s) => s.toggle);

  const panels = useMemo(() => contributedPanels(plugins), [plugins]);
  const shown = requested
    ? panels.find((p) => p.pluginId === requested.pluginId && p.panel.id === requested.panelId)
    : panels[0];

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isPaletteShortcut(e)) {
        e.preventDefault();
        togglePalette();
        return;
      }
      const index = panelShortcutIndex(e);
      const target = index === undefined ? undefined : panels[index];
      if (target) {
        e.preventDefault();
        open(target.pluginId, target.panel.id);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [panels, open, togglePalette]);

  let body;
  if (state === 'unauthorized') body = <UnauthorizedScreen />;
  else if (isUnreachable(state, failures)) body = <HostUnreachableScreen />;
  else if (!loaded && loadError && state === 'open') body = <LoadFailedScreen message={loadError} onRetry={onRetryLoad} />;
  else if (!loaded) body = <ConnectingScreen />;

  const activeKey = shown ? `${shown.pluginId}/${shown.panel.id}` : undefined;
  return (
    <div className="shell" data-connection={connectionLabel(state, failures)}>
      <Header />
      <div className="shell__body">
        {loaded && <Sidebar activeKey={activeKey} />}
        <main className="workspace">{loaded && <Workspace shown={shown} requested={requested} panels={panels} />}</main>
        {/* Over the panels, not instead of them: they keep their state and come back as they were. */}
        {body && <div className="shell__overlay">{body}</div>}
      </div>
      <StatusBar />
      <Toasts />
      {paletteOpen && (
        <Suspense fallback={null}>
          <CommandPalette panels={panels} />
        </Suspense>
      )}
    </div>
  );
}
