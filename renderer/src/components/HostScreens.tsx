// Full-area screens for when there is nothing to show yet: connecting, host unreachable, not signed in, load failed.
import type { ReactNode } from 'react';

function Screen({ testId, tone, title, children }: { testId: string; tone: 'info' | 'warn' | 'error'; title: string; children: ReactNode }) {
  return (
    <div className={`screen screen--${tone}`} data-testid={testId} role={tone === 'info' ? 'status' : 'alert'}>
      <div className="screen__card">
        {tone !== 'error' && <div className="spinner" aria-hidden="true" />}
        <h1 className="screen__title">{title}</h1>
        <div className="screen__body">{children}</div>
      </div>
    </div>
  );
}

export function ConnectingScreen() {
  return (
    <Screen testId="app-loading" tone="info" title="Connecting to the Reef host…">
      <p>Loading the host's plugins and panels.</p>
    </Screen>
  );
}

export function HostUnreachableScreen() {
  const where = typeof location === 'undefined' ? 'the host' : location.host;
  return (
    <Screen testId="host-unreachable" tone="warn" title="Host unreachable — reconnecting…">
      <p>
        Reef lost its connection to <code>{where}</code> and keeps retrying by itself; this screen goes away as soon as the
        host answers.
      </p>
      <p className="muted">
        If it does not come back, check that <code>reef serve</code> (or the Reef app) is still running on that machine.
      </p>
    </Screen>
  );
}

export function UnauthorizedScreen() {
  return (
    <Screen testId="host-unauthorized" tone="error" title="This window is not signed in to the host">
      <p>
        The host refused this window's token. Open the address that <code>reef serve</code> printed (it ends in{' '}
        <code>?token=…</code>), or run <code>reef token</code> on the host and open <code>/?token=&lt;token&gt;</code>.
      </p>
      <p className="muted">Reef keeps retrying and continues here once a valid token is set.</p>
    </Screen>
  );
}

export function LoadFailedScreen({ message, onRetry }: { message: string; onRetry: () => void }) {
  return (
    <Screen testId="load-failed" tone="error" title="The host answered, but could not list its plugins">
      <pre className="panel-error__message">{message}</pre>
      <button type="button" className="button button--primary" data-testid="load-retry" onClick={onRetry}>
        Try again
      </button>
    </Screen>
  );
}
