// Renders one plugin panel: loads its component, hands it PanelProps, and fences it with an error boundary.
import * as React from 'react';
import { Suspense, useEffect, useState } from 'react';
import { ReefError } from '../../../sdk/errors.js';
import type { PanelContribution } from '../../../sdk/manifest.js';
import { ui } from '../../../sdk/panel/ui/index.js';
import { loadPanel, loadedPanel, type PanelComponent, type PanelSource } from '../panels/panel-modules.js';
import { useServices } from '../services/services.js';
import { PanelErrorBoundary, PanelErrorView, RenderedMarker } from './PanelErrorBoundary.js';

interface LoadResult {
  key: string;
  component?: PanelComponent;
  error?: Error;
}

function usePanelComponent(source: PanelSource, attempt: number): LoadResult {
  const key = `${source.pluginId}/${source.module}#${source.export}@${attempt}`;
  const cached = loadedPanel(source);
  const [result, setResult] = useState<LoadResult>({ key: '' });
  useEffect(() => {
    if (loadedPanel(source)) return;
    let live = true;
    loadPanel(source).then(
      (component) => live && setResult({ key, component }),
      (err: unknown) => live && setResult({ key, error: ReefError.from(err) }),
    );
    return () => {
      live = false;
    };
    // `key` covers every field of `source` and the retry count.
  }, [key]);
  if (cached) return { key, component: cached };
  return result.key === key ? result : { key };
}

export function PanelSlot({ pluginId, panel, target }: { pluginId: string; panel: PanelContribution; target?: string | undefined }) {
  const services = useServices();
  const [attempt, setAttempt] = useState(0);
  const source: PanelSource = { pluginId, module: panel.module, export: panel.export };
  const { component: Panel, error } = usePanelComponent(source, attempt);
  const retry = () => setAttempt((n) => n + 1);
  const loading = (
    <div className="panel-loading" aria-busy="true">
      Loading {panel.title}…
    </div>
  );
  return (
    <section className="panel" data-testid={`panel-${pluginId}-${panel.id}`} aria-label={panel.title}>
      {error ? (
        <PanelErrorView title={`${panel.title} could not be loaded`} error={error} onRetry={retry} />
      ) : Panel ? (
        <PanelErrorBoundary key={attempt} title={`${panel.title} crashed`} onRetry={retry}>
          <Suspense fallback={loading}>
            <Panel api={services.panelApi(pluginId)} pluginId={pluginId} panelId={panel.id} React={React} ui={ui} {...(target !== undefined ? { target } : {})} />
            <RenderedMarker />
          </Suspense>
        </PanelErrorBoundary>
      ) : (
        loading
      )}
    </section>
  );
}
