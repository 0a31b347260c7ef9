// The shell end to end in jsdom, over an in-memory fake transport (the real one is tested against a real socket).
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionState, HostEvent, HostInfo, PluginStatus, ReefApi, ReefTransport } from '../../../sdk/contract.js';
import { ReefError } from '../../../sdk/errors.js';
import { BusSubscriptions } from '../services/bus-subscriptions.js';
import { startHostSync } from '../services/host-sync.js';
import { createServices, ServicesContext } from '../services/services.js';
import { useAppStore } from '../stores/app-store.js';
import { initialConnection, useConnectionStore } from '../stores/connection-store.js';
import { initialHost, useHostStore } from '../stores/host-store.js';
import { useNavigationStore } from '../stores/navigation-store.js';
import { usePaletteStore } from '../stores/palette-store.js';
import { useStatusStore } from '../stores/status-store.js';
import { useToastStore } from '../stores/toast-store.js';
import { App } from './App.js';

const hostInfo: HostInfo = {
  version: '0.1.0', tier: 'single-box', mode: 'browser', database: 'sqlite', bus: 'local',
  pid: 1, startedAt: 0, node: '20', platform: 'linux-x64', dataDir: '/tmp/reef',
};

const plugins: PluginStatus[] = [
  {
    id: 'overview', version: '0.1.0', displayName: 'Overview', state: 'active', builtin: true,
    contributes: {
      panels: [{ id: 'overview', title: 'Overview', module: 'panel/index.tsx', export: 'default', order: 0 }],
      commands: [],
      statusItems: [{ id: 'traffic', subject: 'reef.v1.events.overview.status' }],
      settings: [],
    },
  },
  {
    id: 'gpu', version: '0.1.0', displayName: 'GPU', state: 'failed', builtin: true, error: 'nvidia-smi not found',
    contributes: { panels: [{ id: 'gpus', title: 'GPUs', module: 'panel/index.tsx', export: 'default' }], commands: [], statusItems: [], settings: [] },
  },
];

/** An in-memory host: enough of the contract for the shell and the overview panel. */
class FakeTransport implements ReefTransport {
  state: ConnectionState = 'connecting';
  info: HostInfo = hostInfo;
  private readonly connection = new Set<(s: ConnectionState) => void>();
  private readonly events = new Set<(e: HostEvent) => void>();
  private readonly subs = new Map<string, string>();
  readonly api: ReefApi = {
    hostInfo: async () => this.info,
    listPlugins: async () => ({ plugins, problems: [{ file: '/plugins/bad/reef-plugin.json', message: 'id: must be 2-40 characters' }] }),
    busRequest: async ({ subject }) => {
      if (subject === 'reef.v1.overview.summary') return { body: { host: hostInfo, plugins, traffic: [] } };
      throw new ReefError('not_found', `nobody serves ${subject}`);
    },
    busCancel: async () => ({ cancelled: false }),
    busSubscribe: async ({ pattern }) => {
      const subscriptionId = `s${this.subs.size + 1}`;
      this.subs.set(subscriptionId, pattern);
      return { subscriptionId };
    },
    busUnsubscribe: async ({ subscriptionId }) => {
      this.subs.delete(subscriptionId);
      return {};
    },
    notify: async () => ({ shown: false }),
  };
  onEvent(listener: (e: HostEvent) => void) {
    this.events.add(listener);
    return () => this.events.delete(listener);
  }
  onConnection(listener: (s: ConnectionState) => void) {
    this.connection.add(listener);
    listener(this.state);
    return () => this.connection.delete(listener);
  }
  setState(state: ConnectionState) {
    this.state = state;
    if (state !== 'open') this.subs.clear();
    for (const l of this.connection) l(state);
  }
  emit(event: HostEvent) {
    for (const l of this.events) l(event);
  }
  publish(subject: string, body: unknown) {
    for (const [subscriptionId, pattern] of this.subs) {
      if (pattern === subject) for (const l of this.events) l({ type: 'bus', subscriptionId, subject, body });
    }
  }
}

let stop: (() => void) | undefined;
function renderShell(info?: HostInfo) {
  const transport = new FakeTransport();
  if (info) transport.info = info;
  const subscriptions = new BusSubscriptions(transport);
  stop = startHostSync(transport, subscriptions);
  render(
    <ServicesContext.Provider value={createServices(transport, subscriptions)}>
      <App onRetryLoad={() => undefined} />
    </ServicesContext.Provider>,
  );
  return transport;
}

beforeAll(() => {
  Element.prototype.scrollIntoView = () => undefined;
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
});
beforeEach(() => {
  useConnectionStore.setState(initialConnection);
  useHostStore.setState(initialHost);
  useNavigationStore.setState({ active: null });
  usePaletteStore.setState({ open: false });
  useStatusStore.setState({ values: {} });
  useToastStore.setState({ toasts: [], nextId: 1 });
  useAppStore.setState({ ready: false });
});
afterEach(() => {
  stop?.();
  cleanup();
});

describe('App', () => {
  it('loads the host, shows the first panel and becomes ready', async () => {
    const transport = renderShell();
    expect(screen.getByTestId('app-loading')).toBeTruthy();
    act(() => transport.setState('open'));
    await waitFor(() => expect(screen.getByTestId('panel-overview-overview')).toBeTruthy());
    await waitFor(() => expect(useAppStore.getState().ready).toBe(true));
    expect(screen.getByTestId('connection-status').textContent).toContain('connected');
    expect(screen.getByTestId('tier').textContent).toBe('single box');
    expect(screen.queryByTestId('bus-link')).toBeNull(); // no NATS here
    // Only active plugins contribute panels; the failed one is flagged instead.
    expect(screen.getByTestId('nav-overview-overview')).toBeTruthy();
    expect(screen.queryByTestId('nav-gpu-gpus')).toBeNull();
    expect(screen.getByTestId('failed-plugins').textContent).toContain('1 plugin failed');
    // The overview panel itself rendered its data.
    await waitFor(() => expect(screen.getByTestId('overview-plugin-gpu').getAttribute('data-state')).toBe('failed'));
  });

  it('shows status items from their subject', async () => {
    const transport = renderShell();
    act(() => transport.setState('open'));
    await waitFor(() => expect(screen.getByTestId('panel-overview-overview')).toBeTruthy());
    await waitFor(() => {
      act(() => transport.publish('reef.v1.events.overview.status', { text: 'bus 7 msg/s' }));
      expect(screen.getByTestId('status-overview-traffic').textContent).toBe('bus 7 msg/s');
    });
  });

  it('covers the panels with "host unreachable" while the host is gone, and recovers by itself', async () => {
    const transport = renderShell();
    act(() => transport.setState('open'));
    await waitFor(() => expect(screen.getByTestId('panel-overview-overview')).toBeTruthy());
    act(() => transport.setState('closed'));
    expect(screen.getByTestId('host-unreachable').textContent).toContain('Host unreachable — reconnecting…');
    expect(screen.getByTestId('connection-status').textContent).toContain('reconnecting');
    act(() => transport.setState('connecting'));
    expect(screen.getByTestId('host-unreachable')).toBeTruthy();
    act(() => transport.setState('open'));
    expect(screen.queryByTestId('host-unreachable')).toBeNull();
    expect(screen.getByTestId('connection-status').textContent).toContain('connected');
  });

  it("shows a control center's NATS link in the header, and its loss and return as they happen", async () => {
    const transport = renderShell({ ...hostInfo, tier: 'control-center', database: 'none', bus: 'nats', link: { state: 'connected', server: 'nats://10.0.0.5:4222' } });
    act(() => transport.setState('open'));
    await waitFor(() => expect(screen.getByTestId('bus-link').textContent).toContain('NATS 10.0.0.5:4222'));
    expect(screen.getByTestId('tier').textContent).toBe('control center');
    act(() => transport.emit({ type: 'bus-link', link: { state: 'reconnecting', server: 'nats://10.0.0.5:4222' } }));
    expect(screen.getByTestId('bus-link').getAttribute('data-state')).toBe('reconnecting');
    expect(screen.getByTestId('bus-link').textContent).toContain('NATS reconnecting');
    expect(screen.getByTestId('bus-link').title).toBe('NATS lost; reconnecting to nats://10.0.0.5:4222');
    expect(useToastStore.getState().toasts.at(-1)?.message).toMatch(/Lost the NATS link to nats:\/\/10\.0\.0\.5:4222/);
    act(() => transport.emit({ type: 'bus-link', link: { state: 'connected', server: 'nats://10.0.0.6:4222' } }));
    expect(screen.getByTestId('bus-link').textContent).toContain('NATS 10.0.0.6:4222');
    expect(useToastStore.getState().toasts.at(-1)?.message).toBe('NATS link back (nats://10.0.0.6:4222)');
  });

  it('says "unauthorized" and how to fix it when the token is refused', () => {
    const transport = renderShell();
    act(() => transport.setState('unauthorized'));
    expect(screen.getByTestId('connection-status').textContent).toContain('unauthorized');
    expect(screen.getByTestId('host-unauthorized').textContent).toContain('reef token');
  });

  it('opens the palette with Ctrl+K and explains a missing panel', async () => {
    const transport = renderShell();
    act(() => transport.setState('open'));
    await waitFor(() => expect(screen.getByTestId('panel-overview-overview')).toBeTruthy());
    fireEvent.keyDown(window, { key: 'k', ctrlKey: true });
    await waitFor(() => expect(screen.getByTestId('command-palette-input')).toBeTruthy());
    act(() => useNavigationStore.getState().open('gpu', 'gpus'));
    expect(screen.getByTestId('panel-missing').textContent).toContain('GPU is failed: nvidia-smi not found');
  });
});
