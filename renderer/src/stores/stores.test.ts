// The shell's stores: what each action changes as a user would see it.
import { beforeEach, describe, expect, it } from 'vitest';
import { connectionLabel, initialConnection, isUnreachable, useConnectionStore } from './connection-store.js';
import { hashOf, panelFromHash, useNavigationStore } from './navigation-store.js';
import { statusFromBody, useStatusStore } from './status-store.js';
import { storedTheme, THEME_STORAGE_KEY, useThemeStore } from './theme-store.js';
import { MAX_TOASTS, useToastStore } from './toast-store.js';

beforeEach(() => {
  useConnectionStore.setState(initialConnection);
  useToastStore.setState({ toasts: [], nextId: 1 });
  useThemeStore.setState({ theme: 'dark' });
  useNavigationStore.setState({ active: null });
  useStatusStore.setState({ values: {} });
  localStorage.clear();
});

describe('connection store', () => {
  it('says "connecting" at first, "reconnecting" after a drop, "connected" once open', () => {
    const label = () => connectionLabel(useConnectionStore.getState().state, useConnectionStore.getState().failures);
    expect(label()).toBe('connecting');
    useConnectionStore.getState().setConnection('open');
    expect(label()).toBe('connected');
    useConnectionStore.getState().setConnection('closed');
    expect(label()).toBe('reconnecting');
    useConnectionStore.getState().setConnection('connecting');
    expect(label()).toBe('reconnecting');
    expect(isUnreachable(useConnectionStore.getState().state, useConnectionStore.getState().failures)).toBe(true);
    useConnectionStore.getState().setConnection('open');
    expect(label()).toBe('connected');
    expect(useConnectionStore.getState().failures).toBe(0);
  });

  it('never shows the unreachable screen during the very first attempt', () => {
    expect(isUnreachable('connecting', 0)).toBe(false);
    expect(connectionLabel('unauthorized', 3)).toBe('unauthorized');
  });
});

describe('toast store', () => {
  it('keeps only the newest toasts and removes a dismissed one', () => {
    const push = useToastStore.getState().push;
    for (let i = 1; i <= MAX_TOASTS + 2; i++) push(`message ${i}`, i === 1 ? 'error' : 'info');
    const shown = useToastStore.getState().toasts.map((t) => t.message);
    expect(shown).toHaveLength(MAX_TOASTS);
    expect(shown[0]).toBe('message 3');
    const last = useToastStore.getState().toasts.at(-1);
    if (!last) throw new Error('no toast');
    useToastStore.getState().dismiss(last.id);
    expect(useToastStore.getState().toasts.map((t) => t.message)).not.toContain(`message ${MAX_TOASTS + 2}`);
  });
});

describe('theme store', () => {
  it('toggles and remembers the theme across reloads', () => {
    useThemeStore.getState().toggleTheme();
    expect(useThemeStore.getState().theme).toBe('light');
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe('light');
    expect(storedTheme(localStorage)).toBe('light');
    useThemeStore.getState().toggleTheme();
    expect(storedTheme(localStorage)).toBe('dark');
  });

  it('defaults to dark when nothing (or junk) is stored', () => {
    expect(storedTheme(localStorage)).toBe('dark');
    localStorage.setItem(THEME_STORAGE_KEY, 'purple');
    expect(storedTheme(localStorage)).toBe('dark');
  });
});

describe('navigation store', () => {
  it('opens a panel and reads one from the address hash', () => {
    useNavigationStore.getState().open('queue', 'tasks');
    expect(useNavigationStore.getState().active).toEqual({ pluginId: 'queue', panelId: 'tasks' });
    expect(panelFromHash('#/overview/overview')).toEqual({ pluginId: 'overview', panelId: 'overview' });
    expect(panelFromHash('#/../etc')).toBeNull();
  });

  it('keeps what a panel was opened on in the hash, encoded, and reads it back', () => {
    useNavigationStore.getState().open('approvals', 'inbox', 'ap_1/x y');
    const ref = useNavigationStore.getState().active;
    expect(hashOf(ref)).toBe('#/approvals/inbox/ap_1%2Fx%20y');
    expect(panelFromHash(hashOf(ref))).toEqual({ pluginId: 'approvals', panelId: 'inbox', target: 'ap_1/x y' });
    expect(panelFromHash('#/approvals/inbox/%E0%A4%A')).toBeNull();
  });
});

describe('status store', () => {
  it('keeps the latest text of a status item and ignores bodies without text', () => {
    const value = statusFromBody({ text: 'bus 3 msg/s', tone: 'neutral' });
    if (!value) throw new Error('expected a value');
    useStatusStore.getState().setValue('overview/traffic', value);
    expect(useStatusStore.getState().values['overview/traffic']?.text).toBe('bus 3 msg/s');
    expect(statusFromBody({ count: 3 })).toBeUndefined();
    const body = { text: '3 pending', pending: 3, label: 'x' };
    expect(statusFromBody(body)).toEqual({ text: '3 pending', tone: undefined, numbers: { pending: 3 }, body });
  });
});
