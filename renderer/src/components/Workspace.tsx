// The main area: the open panel, or an empty state that says what to do.
import type { ReactNode } from 'react';
import type { ContributedPanel } from '../services/contributions.js';
import { useHostStore } from '../stores/host-store.js';
import { useNavigationStore, type PanelRef } from '../stores/navigation-store.js';
import { RenderedMarker } from './PanelErrorBoundary.js';
import { PanelSlot } from './PanelSlot.js';

function Empty({ title, children, testId }: { title: string; children: ReactNode; testId: string }) {
  return (
    <div className="empty" data-testid={testId}>
      <h2 className="empty__title">{title}</h2>
      <div className="empty__body">{children}</div>
      <RenderedMarker />
    </div>
  );
}

export function Workspace({ shown, requested, panels }: { shown: ContributedPanel | undefined; requested: PanelRef | null; panels: ContributedPanel[] }) {
  const plugins = useHostStore((s) => s.plugins);
  const open = useNavigationStore((s) => s.open);
  const first = panels[0];
  if (requested && !shown) {
    const plugin = plugins.find((p) => p.id === requested.pluginId);
    const why = !plugin
      ? `No plugin "${requested.pluginId}" is installed on this host.`
      : plugin.state !== 'active'
        ? `${plugin.displayName} is ${plugin.state}${plugin.error ? `: ${plugin.error}` : ''}.`
        : `${plugin.displayName} has no panel "${requested.panelId}".`;
    return (
      <Empty testId="panel-missing" title="That panel is not available">
        <p>{why}</p>
        {first && (
          <button type="button" className="button button--primary" onClick={() => open(first.pluginId, first.panel.id)}>
            Go to {first.panel.title}
          </button>
        )}
      </Empty>
    );
  }
  if (!shown) {
    return (
      <Empty testId="no-panels" title="No panels to show yet">
        <p>
          Panels come from plugins. Start one with <code>reef plugin new &lt;name&gt;</code>, or add a plugin folder with{' '}
          <code>--plugin-dir</code> and restart the host.
        </p>
        {plugins.some((p) => p.state === 'failed') && <p>Some plugins failed to start; their errors are listed in the sidebar.</p>}
      </Empty>
    );
  }
  // A new target keeps the panel mounted: it gets the new `target` and moves to it.
  const target = requested && requested.pluginId === shown.pluginId && requested.panelId === shown.panel.id ? requested.target : undefined;
  return <PanelSlot key={`${shown.pluginId}/${shown.panel.id}`} pluginId={shown.pluginId} panel={shown.panel} target={target} />;
}
