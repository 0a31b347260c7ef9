// The overview panel with a fake PanelApi: host facts, plugin states with errors, manifest problems, live traffic.
import * as React from 'react';
import { ui } from '../../../sdk/panel/index.js';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ReefError } from '../../../sdk/index.js';
import { type PanelApi, type HostInfo, type ManifestProblem, type PluginStatus } from '../../../sdk/panel/index.js';
import type { TrafficSample } from '../host/index.js';
import OverviewPanel, { formatUptime } from './index.js';

const host: HostInfo = {
  version: '0.1.0', tier: 'factory', mode: 'browser', database: 'postgres', bus: 'nats',
  pid: 42, startedAt: 1_000_000, node: '20.18.0', platform: 'linux-x64', dataDir: '/srv/reef',
};
const plugins: PluginStatus[] = [
  { id: 'overview', version: '0.1.0', displayName: 'Overview', state: 'active', builtin: true, contributes: { panels: [], commands: [], statusItems: [], settings: [] } },
  { id: 'gpu', version: '0.2.0', displayName: 'GPU', state: 'failed', error: 'nvidia-smi not found on PATH', builtin: true, contributes: { panels: [], commands: [], statusItems: [], settings: [] } },
];
const problems: ManifestProblem[] = [{ file: '/plugins/bad/reef-plugin.json', message: 'version: must be a semantic version like 1.2.3' }];
const sample = (at: number, requestsPerSec: number): TrafficSample => ({ at, requestsPerSec, publishesPerSec: 1, errorsPerSec: 0 });

function fakeApi(options: { failSummary?: boolean } = {}) {
  const listeners = new Map<string, (body: unknown, subject: string) => void>();
  let summaryCalls = 0;
  const api: PanelApi = {
    request: async <T,>(subject: string) => {
      summaryCalls++;
      if (options.failSummary && summaryCalls === 1) throw new ReefError('unavailable', 'overview did not answer in time');
      if (subject !== 'reef.v1.overview.summary') throw new ReefError('not_found', subject);
      return { host, plugins, traffic: [sample(host.startedAt + 60_000, 3)] } as T;
    },
    subscribe: (pattern, onMessage) => {
      listeners.set(pattern, onMessage);
      return () => listeners.delete(pattern);
    },
    toast: () => undefined,
    openPanel: () => undefined,
    hostInfo: async () => host,
    plugins: async () => plugins,
    manifestProblems: async () => problems,
    onPluginsChanged: () => () => undefined,
  };
  return { api, emit: (pattern: string, body: unknown) => listeners.get(pattern)?.(body, pattern), listeners };
}

afterEach(cleanup);

describe('OverviewPanel', () => {
  it('shows the host, each plugin with its state (and error), and manifest problems', async () => {
    const { api } = fakeApi();
    render(<OverviewPanel api={api} pluginId="overview" panelId="overview" React={React} ui={ui} />);
    await waitFor(() => expect(screen.getByTestId('overview-host').textContent).toContain('/srv/reef'));
    const hostText = screen.getByTestId('overview-host').textContent ?? '';
    for (const fact of ['0.1.0', 'factory', 'browser', 'postgres', 'nats', '1m 0s']) expect(hostText).toContain(fact);
    await waitFor(() => expect(screen.getByTestId('overview-plugin-gpu').getAttribute('data-state')).toBe('failed'));
    expect(screen.getByTestId('overview-plugin-gpu').textContent).toContain('nvidia-smi not found on PATH');
    expect(screen.getByTestId('overview-plugin-overview').getAttribute('data-state')).toBe('active');
    await waitFor(() => expect(screen.getByTestId('overview-problems').textContent).toContain('/plugins/bad/reef-plugin.json'));
    expect(screen.getByTestId('overview-problems').textContent).toContain('must be a semantic version');
  });

  it('adds each live traffic sample to the chart and its figures', async () => {
    const { api, emit, listeners } = fakeApi();
    render(<OverviewPanel api={api} pluginId="overview" panelId="overview" React={React} ui={ui} />);
    await waitFor(() => expect(screen.getByTestId('overview-traffic-chart').getAttribute('data-points')).toBe('1'));
    expect(listeners.has('reef.v1.events.overview.traffic')).toBe(true);
    act(() => emit('reef.v1.events.overview.traffic', sample(host.startedAt + 61_000, 12.5)));
    act(() => emit('reef.v1.events.overview.traffic', { junk: true }));
    const chart = screen.getByTestId('overview-traffic-chart');
    expect(chart.getAttribute('data-points')).toBe('2');
    expect(chart.textContent).toContain('requests 12.5/s');
  });

  it('says what failed and loads again on Retry', async () => {
    const { api } = fakeApi({ failSummary: true });
    render(<OverviewPanel api={api} pluginId="overview" panelId="overview" React={React} ui={ui} />);
    await waitFor(() => expect(screen.getByTestId('overview-error').textContent).toContain('overview did not answer in time'));
    fireEvent.click(screen.getByTestId('overview-retry'));
    await waitFor(() => expect(screen.queryByTestId('overview-error')).toBeNull());
    expect(screen.getByTestId('overview-host').textContent).toContain('/srv/reef');
  });

  it('formats uptime for people', () => {
    expect(formatUptime(42_000)).toBe('42s');
    expect(formatUptime(3_725_000)).toBe('1h 2m');
    expect(formatUptime(2 * 86_400_000 + 3_600_000)).toBe('2d 1h 0m');
  });
});
