// The top bar: product, palette launcher, tier, connection state and theme switch.
import { connectionLabel, useConnectionStore } from '../stores/connection-store.js';
import { useHostStore } from '../stores/host-store.js';
import { usePaletteStore } from '../stores/palette-store.js';
import { useThemeStore } from '../stores/theme-store.js';
import { shortcutLabel } from './keyboard.js';

const TIER_LABEL = { 'single-box': 'single box', factory: 'factory', 'control-center': 'control center' } as const;

/** nats://10.0.0.5:4222 → 10.0.0.5:4222: the scheme is in the badge's title. */
function linkHost(server: string): string {
  return server.replace(/^\w+:\/\//, '');
}

export function Header() {
  const state = useConnectionStore((s) => s.state);
  const failures = useConnectionStore((s) => s.failures);
  const tier = useHostStore((s) => s.info?.tier);
  const version = useHostStore((s) => s.info?.version);
  const link = useHostStore((s) => s.info?.link);
  const openPalette = usePaletteStore((s) => s.setOpen);
  const theme = useThemeStore((s) => s.theme);
  const toggleTheme = useThemeStore((s) => s.toggleTheme);
  const label = connectionLabel(state, failures);
  return (
    <header className="header">
      <div className="brand">
        <span className="brand__mark" aria-hidden="true">
          ◈
        </span>
        <span className="brand__name">Reef</span>
        {version && <span className="brand__version">v{version}</span>}
      </div>
      <button type="button" className="palette-launcher" data-testid="open-command-palette" onClick={() => openPalette(true)}>
        <span className="palette-launcher__icon" aria-hidden="true">
          ⌕
        </span>
        <span className="palette-launcher__text">Go to panel or run a command…</span>
        <kbd>{shortcutLabel('K')}</kbd>
      </button>
      <div className="header__right">
        {tier && (
          <span className="badge badge--tier" data-testid="tier" title="Deployment tier of this host">
            {TIER_LABEL[tier]}
          </span>
        )}
        {link && (
          <span
            className={`badge badge--conn badge--link-${link.state}`}
            data-testid="bus-link"
            data-state={link.state}
            role="status"
            title={`NATS ${link.state === 'connected' ? 'connected to' : link.state === 'reconnecting' ? 'lost; reconnecting to' : 'closed; was'} ${link.server}`}
          >
            <span className="dot" aria-hidden="true" />
            NATS {link.state === 'connected' ? linkHost(link.server) : link.state}
          </span>
        )}
        <span className={`badge badge--conn badge--${label}`} data-testid="connection-status" role="status">
          <span className="dot" aria-hidden="true" />
          {label}
        </span>
        <button
          type="button"
          className="icon-button"
          data-testid="theme-toggle"
          onClick={toggleTheme}
          title={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
          aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}
        >
          {theme === 'dark' ? '☾' : '☀'}
        </button>
      </div>
    </header>
  );
}
