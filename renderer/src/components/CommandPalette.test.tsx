// The palette lists panels, plugin commands and built-ins, and narrows them as the operator types.
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PluginStatus } from '../../../sdk/contract.js';
import { contributedPanels } from '../services/contributions.js';
import { ServicesContext, type Services } from '../services/services.js';
import { initialHost, useHostStore } from '../stores/host-store.js';
import { useNavigationStore } from '../stores/navigation-store.js';
import { usePaletteStore } from '../stores/palette-store.js';
import { useThemeStore } from '../stores/theme-store.js';
import { CommandPalette } from './CommandPalette.js';
import { paletteScore } from './palette-filter.js';

const plugin = (id: string, displayName: string, contributes: Partial<PluginStatus['contributes']>, state: PluginStatus['state'] = 'active'): PluginStatus => ({
  id,
  version: '0.1.0',
  displayName,
  state,
  builtin: true,
  contributes: { panels: [], commands: [], statusItems: [], settings: [], ...contributes },
});

const plugins: PluginStatus[] = [
  plugin('overview', 'Overview', {
    panels: [{ id: 'overview', title: 'Overview', module: 'panel/index.tsx', export: 'default', order: 0 }],
    commands: [{ id: 'overview.open', title: 'Go to Overview', panel: 'overview', keywords: ['dashboard'] }],
  }),
  plugin('queue', 'Task queue', {
    panels: [{ id: 'tasks', title: 'Tasks', module: 'panel/index.tsx', export: 'default', order: 1 }],
    commands: [{ id: 'queue.drain', title: 'Drain the queue', subject: 'reef.v1.queue.drain' }],
  }),
  plugin('broken', 'Broken', { commands: [{ id: 'broken.fix', title: 'Fix everything', subject: 'reef.v1.broken.fix' }] }, 'failed'),
];

const runCommand = vi.fn<Services['runCommand']>(async () => undefined);
const services: Services = { panelApi: () => { throw new Error('not used'); }, runCommand };

function renderPalette() {
  usePaletteStore.setState({ open: true });
  return render(
    <ServicesContext.Provider value={services}>
      <CommandPalette panels={contributedPanels(plugins)} />
    </ServicesContext.Provider>,
  );
}

const visibleCommands = () =>
  screen.queryAllByTestId(/^command-(?!palette)/).map((el) => el.getAttribute('data-testid'));

function type(text: string) {
  act(() => {
    fireEvent.change(screen.getByTestId('command-palette-input'), { target: { value: text } });
  });
}

beforeAll(() => {
  // jsdom has no layout: cmdk scrolls the selected item into view.
  Element.prototype.scrollIntoView = () => undefined;
  // ...and measures the list's height for its CSS variable.
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
});
beforeEach(() => {
  useHostStore.setState({ ...initialHost, plugins, loaded: true });
  useNavigationStore.setState({ active: null });
  useThemeStore.setState({ theme: 'dark' });
  runCommand.mockClear();
});
afterEach(cleanup);

describe('CommandPalette', () => {
  it('lists every active plugin command, every panel and the built-ins, but not commands of failed plugins', () => {
    renderPalette();
    expect(visibleCommands()).toEqual([
      'command-overview.open',
      'command-queue.drain',
      'command-reef.go.overview.overview',
      'command-reef.go.queue.tasks',
      'command-reef.theme.toggle',
    ]);
  });

  it('narrows the list as the operator types, matching titles and keywords', () => {
    renderPalette();
    type('theme');
    expect(visibleCommands()).toEqual(['command-reef.theme.toggle']);
    type('dashboard');
    expect(visibleCommands()).toEqual(['command-overview.open']);
    type('tasks');
    expect(visibleCommands()).toEqual(['command-reef.go.queue.tasks']);
  });

  it('says so when nothing matches', () => {
    renderPalette();
    type('launch rockets');
    expect(visibleCommands()).toEqual([]);
    expect(screen.getByTestId('command-palette-empty').textContent).toMatch(/Nothing matches/);
  });

  it('runs the chosen command and closes', () => {
    renderPalette();
    type('theme');
    fireEvent.click(screen.getByTestId('command-reef.theme.toggle'));
    expect(useThemeStore.getState().theme).toBe('light');
    expect(usePaletteStore.getState().open).toBe(false);

    cleanup();
    renderPalette();
    fireEvent.click(screen.getByTestId('command-reef.go.queue.tasks'));
    expect(useNavigationStore.getState().active).toEqual({ pluginId: 'queue', panelId: 'tasks' });

    cleanup();
    renderPalette();
    fireEvent.click(screen.getByTestId('command-queue.drain'));
    expect(runCommand).toHaveBeenCalledTimes(1);
    expect(runCommand.mock.calls[0]?.[0].command.subject).toBe('reef.v1.queue.drain');
  });
});

describe('paletteScore', () => {
  it('ranks a title that starts with the query above one that merely contains it', () => {
    expect(paletteScore('x', 'tog', ['Toggle theme'])).toBeGreaterThan(paletteScore('y', 'tog', ['Go to Toggles']));
    expect(paletteScore('x', 'nope', ['Toggle theme'])).toBe(0);
  });
});
