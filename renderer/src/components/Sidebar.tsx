// The left rail: one entry per contributed panel, and a warning when plugins failed.
import { useMemo } from 'react';
import { badgeLabel, panelBadges } from '../services/badges.js';
import { contributedPanels } from '../services/contributions.js';
import { useHostStore } from '../stores/host-store.js';
import { useNavigationStore } from '../stores/navigation-store.js';
import { useStatusStore } from '../stores/status-store.js';

export function Sidebar({ activeKey }: { activeKey: string | undefined }) {
  const plugins = useHostStore((s) => s.plugins);
  const problems = useHostStore((s) => s.problems);
  const open = useNavigationStore((s) => s.open);
  const statusValues = useStatusStore((s) => s.values);
  const panels = useMemo(() => contributedPanels(plugins), [plugins]);
  const badges = useMemo(() => panelBadges(plugins, statusValues), [plugins, statusValues]);
  const failed = useMemo(() => plugins.filter((p) => p.state === 'failed'), [plugins]);
  const overview = panels.find((p) => p.pluginId === 'overview');
  return (
    <nav className="sidebar" aria-label="Panels">
      <div className="sidebar__section">Panels</div>
      <ul className="nav">
        {panels.map(({ pluginId, pluginName, panel }, i) => {
          const key = `${pluginId}/${panel.id}`;
          const badge = badges.get(key);
          return (
            <li key={key}>
              <button
                type="button"
                className={`nav__item${key === activeKey ? ' nav__item--active' : ''}`}
                data-testid={`nav-${pluginId}-${panel.id}`}
                aria-current={key === activeKey ? 'page' : undefined}
                title={`${panel.title} — ${pluginName}${badge ? ` — ${badge.text}` : ''}`}
                onClick={() => open(pluginId, panel.id)}
              >
                <span className="nav__icon" aria-hidden="true">
                  {panel.icon ?? panel.title.slice(0, 1)}
                </span>
                <span className="nav__title">{panel.title}</span>
                {badge && (
                  <span className={`nav__badge tone--${badge.tone ?? 'neutral'}`} data-testid={`nav-badge-${pluginId}-${panel.id}`} data-count={badge.count} aria-label={badge.text}>
                    {badgeLabel(badge.count)}
                  </span>
                )}
                {i < 9 && <kbd className="nav__kbd">Alt {i + 1}</kbd>}
              </button>
            </li>
          );
        })}
      </ul>
      {(failed.length > 0 || problems.length > 0) && (
        <button
          type="button"
          className="sidebar__failed"
          data-testid="failed-plugins"
          title={[
            ...failed.map((p) => `${p.displayName}: ${p.error ?? 'failed to start'}`),
            ...problems.map((p) => `${p.file}: ${p.message}`),
          ].join('\n')}
          onClick={() => overview && open(overview.pluginId, overview.panel.id)}
        >
          <span className="dot dot--error" aria-hidden="true" />
          <span>
            {failed.length > 0 && `${failed.length} plugin${failed.length === 1 ? '' : 's'} failed`}
            {failed.length > 0 && problems.length > 0 && ' · '}
            {problems.length > 0 && `${problems.length} manifest problem${problems.length === 1 ? '' : 's'}`}
          </span>
        </button>
      )}
    </nav>
  );
}
