/** What a panel (the renderer side of a plugin) receives. No transport, no Node: just this API. */
import type { HostInfo, ManifestProblem, PluginStatus } from './host-types.js';
import type { PanelKit } from './panel/kit-types.js';

/** @since 0.1.0 */
export interface PanelApi {
  /**
   * Sends a request on a bus subject through the host. Rejects with a ReefError.
   *
   * `signal` (@since 0.2.0) cancels it: once aborted, the promise rejects at once with the
   * signal's reason (an `AbortError` DOMException for a plain `abort()`, as `fetch` does) and
   * the host aborts the handler's `info.signal`, so a handler that honours it (a model
   * generating) stops there rather than at its end. A reply already on its way is dropped.
   * Closing the window cancels its requests the same way.
   */
  request<T = unknown>(subject: string, body?: unknown, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T>;
  /** Subscribes to a subject pattern; returns the function that ends the subscription. */
  subscribe(pattern: string, onMessage: (body: unknown, subject: string) => void): () => void;
  toast(message: string, tone?: 'info' | 'success' | 'error'): void;
  /**
   * Opens a panel; `target` (e.g. an approval id) lands it on one thing: the panel gets it as
   * `PanelProps.target`, and the address (`#/<plugin>/<panel>/<target>`) keeps it. `target` @since 0.2.0
   */
  openPanel(pluginId: string, panelId: string, target?: string): void;
  hostInfo(): Promise<HostInfo>;
  plugins(): Promise<PluginStatus[]>;
  /** Manifests the host refused to load: file and reason. */
  manifestProblems(): Promise<ManifestProblem[]>;
  /** Called when plugins activate, fail or stop; returns the function that stops listening. */
  onPluginsChanged(listener: () => void): () => void;
}

/**
 * Props of every panel component. `React` and the UI kit (`ui`) are handed in so that plugins
 * loaded at run time as plain ES modules share the app's React and kit instead of bundling their own.
 * @since 0.1.0
 */
export interface PanelProps {
  api: PanelApi;
  pluginId: string;
  panelId: string;
  React: typeof import('react');
  /** The panel UI kit (ConfirmDialog, Chart, …), the same components built-in panels import. @since 0.2.0 */
  ui: PanelKit;
  /** What the panel was opened on (`openPanel`'s `target`, or the address); it may change while the panel stays open. @since 0.2.0 */
  target?: string;
}
