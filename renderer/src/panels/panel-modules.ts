// Finds a panel's component: built-in panels are in the bundle (split per panel), others load from /plugin-assets at run time.
import type { ComponentType } from 'react';
import type { PanelProps } from '../../../sdk/panel.js';
import { ReefError } from '../../../sdk/errors.js';

export type PanelComponent = ComponentType<PanelProps>;
type PanelModule = Record<string, unknown>;

const builtinLoaders = import.meta.glob<PanelModule>('../../../plugins/*/panel/index.tsx');

/** "<pluginId>/<module>" → loader, e.g. "overview/panel/index.tsx". */
const builtins = new Map<string, () => Promise<PanelModule>>(
  Object.entries(builtinLoaders).map(([file, load]) => [file.replace('../../../plugins/', ''), load]),
);

export interface PanelSource {
  pluginId: string;
  module: string;
  export: string;
}

const sourceKey = (s: PanelSource) => `${s.pluginId}/${s.module}#${s.export}`;

/** Loaded components, so that reopening a panel renders at once without a loading frame. */
const loaded = new Map<string, PanelComponent>();
const inFlight = new Map<string, Promise<PanelComponent>>();

export function isBuiltinPanel(source: PanelSource): boolean {
  return builtins.has(`${source.pluginId}/${source.module}`);
}

export function loadedPanel(source: PanelSource): PanelComponent | undefined {
  return loaded.get(sourceKey(source));
}

async function importModule(source: PanelSource): Promise<PanelModule> {
  const builtin = builtins.get(`${source.pluginId}/${source.module}`);
  if (builtin) return builtin();
  const url = `/plugin-assets/${encodeURIComponent(source.pluginId)}/${source.module.split('/').map(encodeURIComponent).join('/')}`;
  try {
    return (await import(/* @vite-ignore */ url)) as PanelModule;
  } catch (err) {
    throw new ReefError(
      'not_found',
      `could not load ${source.module} of plugin ${source.pluginId} (${ReefError.from(err).message}); check that the file exists and is a plain ES module`,
    );
  }
}

/** Loads (once) the component a panel renders. A failure is not cached, so Retry tries again. */
export function loadPanel(source: PanelSource): Promise<PanelComponent> {
  const key = sourceKey(source);
  const ready = loaded.get(key);
  if (ready) return Promise.resolve(ready);
  let pending = inFlight.get(key);
  if (!pending) {
    pending = importModule(source)
      .then((mod) => {
        const component = mod[source.export];
        if (typeof component !== 'function' && (typeof component !== 'object' || component === null)) {
          throw new ReefError(
            'not_found',
            `${source.module} of plugin ${source.pluginId} has no export "${source.export}" that is a React component`,
          );
        }
        loaded.set(key, component as PanelComponent);
        return component as PanelComponent;
      })
      .finally(() => inFlight.delete(key));
    inFlight.set(key, pending);
  }
  return pending;
}

/** Loads panels in the background so the first switch to each is instant. */
export function prefetchPanels(sources: PanelSource[]): void {
  for (const source of sources) {
    // A failure here shows again, with its message and a Retry button, when the panel is opened.
    loadPanel(source).catch(() => undefined);
  }
}
