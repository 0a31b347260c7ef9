// A native notification's click (Electron) comes back as notification-clicked with the tag the
// window sent; the window then opens the panel on what the notification named.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HostEvent, PluginStatus, ReefTransport } from '../../../sdk/contract.js';
import { useHostStore } from '../stores/host-store.js';
import { useNavigationStore } from '../stores/navigation-store.js';
import { useStatusStore } from '../stores/status-store.js';
import { startAttention } from './attention.js';

const approvals = {
  id: 'approvals',
  displayName: 'Approvals',
  version: '0.1.0',
  state: 'active',
  builtin: true,
  contributes: {
    panels: [{ id: 'inbox', title: 'Approvals', module: 'panel/index.tsx', export: 'default', badge: { statusItem: 'pending', field: 'pending', alert: ['highRisk'], notification: { text: 'latest.text', target: 'latest.id' } } }],
    commands: [],
    statusItems: [{ id: 'pending', subject: 'reef.v1.events.approvals.pending' }],
    settings: [],
  },
} as unknown as PluginStatus;

describe('attention: native notifications', () => {
  let stop: (() => void) | undefined;
  afterEach(() => stop?.());

  it('tags each notification and opens what it names when the host says it was clicked', async () => {
    const listeners: Array<(e: HostEvent) => void> = [];
    const sent: Array<{ title: string; tag?: string }> = [];
    const transport = {
      api: { notify: async (p: { title: string; tag?: string }) => (sent.push(p), { shown: true }) },
      onEvent: (l: (e: HostEvent) => void) => (listeners.push(l), () => listeners.splice(listeners.indexOf(l), 1)),
      onConnection: () => () => {},
    } as unknown as ReefTransport;
    const open = vi.spyOn(useNavigationStore.getState(), 'open');
    useHostStore.getState().setPlugins([approvals], []);
    stop = startAttention(transport, { title: '' });
    const reading = (highRisk: number, latest?: { id: string; text: string }) => ({ text: 'pending', tone: 'error' as const, numbers: { pending: 5, highRisk }, body: { pending: 5, highRisk, ...(latest && { latest }) } });
    useStatusStore.getState().setValue('approvals/pending', reading(0));
    useStatusStore.getState().setValue('approvals/pending', reading(1, { id: 'ap_9', text: 'High-risk approval: Deploy api (forge)' }));
    await vi.waitFor(() => expect(sent).toHaveLength(1));
    expect(sent[0]).toMatchObject({ title: 'High-risk approval: Deploy api (forge)', tag: expect.stringMatching(/^n\d+$/) });
    for (const l of listeners) l({ type: 'notification-clicked', tag: 'not-ours' });
    expect(open).not.toHaveBeenCalled();
    for (const l of listeners) l({ type: 'notification-clicked', tag: sent[0]?.tag as string });
    expect(open).toHaveBeenCalledWith('approvals', 'inbox', 'ap_9');
  });
});
