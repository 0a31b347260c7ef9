// Contains a crashing panel: shows its error and a Retry button while the rest of the app keeps working.
import { Component, useEffect, type ErrorInfo, type ReactNode } from 'react';
import { useAppStore } from '../stores/app-store.js';

export function PanelErrorView({ title, error, onRetry }: { title: string; error: Error; onRetry: () => void }) {
  return (
    <div className="panel-error" role="alert" data-testid="panel-error">
      <div className="panel-error__title">{title}</div>
      <pre className="panel-error__message">{error.message || String(error)}</pre>
      <div className="panel-error__actions">
        <button type="button" className="button button--primary" data-testid="panel-retry" onClick={onRetry}>
          Retry
        </button>
        <span className="muted">Other panels keep working. If this repeats, check the plugin's log in the host output.</span>
      </div>
      <RenderedMarker />
    </div>
  );
}

/** Tells the app a panel has rendered (for the ready marker); mounted after the panel's own content. */
export function RenderedMarker() {
  const markReady = useAppStore((s) => s.markReady);
  useEffect(() => markReady(), [markReady]);
  return null;
}

interface Props {
  /** Shown above the error, e.g. "Overview crashed". */
  title: string;
  onRetry?: () => void;
  children: ReactNode;
}

interface State {
  error: Error | null;
}

export class PanelErrorBoundary extends Component<Props, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: unknown): State {
    return { error: error instanceof Error ? error : new Error(String(error)) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(`reef: ${this.props.title}: ${error.message}`, info.componentStack);
  }

  private readonly retry = () => {
    this.setState({ error: null });
    this.props.onRetry?.();
  };

  override render() {
    if (this.state.error) return <PanelErrorView title={this.props.title} error={this.state.error} onRetry={this.retry} />;
    return this.props.children;
  }
}
