// Panel badges from status items: the sidebar count, the window title's sum, and the alerts a rise raises.
import { describe, expect, it } from 'vitest';
import type { PluginStatus } from '../../../sdk/contract.js';
import type { StatusValue } from '../stores/status-store.js';
import { badgeAlerts, panelBadges, windowTitle } from './badges.js';

const plugin = (state: PluginStatus['state'] = 'active'): PluginStatus =>
  ({
    id: 'approvals',
    displayName: 'Approvals',
    version: '0.1.0',
    state,
    builtin: true,
    contributes: {
      panels: [{ id: 'inbox', title: 'Approvals', module: 'panel/index.tsx', export: 'default', badge: { statusItem: 'pending', field: 'pending', alert: ['highRisk'] } }],
      commands: [],
      statusItems: [{ id: 'pending', subject: 'reef.v1.events.approvals.pending' }],
      settings: [],
    },
  }) as unknown as PluginStatus;

const value = (pending: number, highRisk: number): Record<string, StatusValue> => ({
  'approvals/pending': { text: `${pending} approvals pending`, tone: highRisk ? 'error' : 'warn', numbers: { pending, highRisk } },
});

describe('panel badges', () => {
  it('count the named field of the status item, only while above 0 and the plugin is active', () => {
    expect(panelBadges([plugin()], value(12, 1)).get('approvals/inbox')).toEqual({ count: 12, tone: 'error', text: '12 approvals pending' });
    expect(panelBadges([plugin()], value(0, 0)).size).toBe(0);
    expect(panelBadges([plugin('failed')], value(3, 0)).size).toBe(0);
    expect(panelBadges([plugin()], {}).size).toBe(0);
  });

  it('sum into the window title', () => {
    expect(windowTitle(panelBadges([plugin()], value(12, 0)))).toBe('(12) Reef');
    expect(windowTitle(new Map())).toBe('Reef');
  });

  it('raise an alert when an alert number rises, never on the first reading or a fall', () => {
    const plugins = [plugin()];
    expect(badgeAlerts(plugins, undefined, value(3, 1))).toEqual([]);
    expect(badgeAlerts(plugins, {}, value(3, 1))).toEqual([]);
    expect(badgeAlerts(plugins, value(3, 0), value(4, 1))).toEqual([{ title: 'Approvals', body: '4 approvals pending', open: { pluginId: 'approvals', panelId: 'inbox' } }]);
    expect(badgeAlerts(plugins, value(4, 1), value(9, 1))).toEqual([]);
    expect(badgeAlerts(plugins, value(4, 1), value(3, 0))).toEqual([]);
  });

  it("name what the badge notification's fields name, and open the panel on its target; an escalation notifies again", () => {
    const named = plugin();
    const badge = named.contributes.panels[0]?.badge;
    if (!badge) throw new Error('no badge');
    badge.alert = ['highRisk', 'escalated'];
    badge.notification = { text: 'latest.text', target: 'latest.id' };
    const reading = (pending: number, highRisk: number, escalated: number, latest?: Record<string, unknown>): Record<string, StatusValue> => {
      const body = { text: `${pending} approvals pending (${highRisk} high risk)`, tone: 'error', pending, highRisk, escalated, ...(latest ? { latest } : {}) };
      return { 'approvals/pending': { text: body.text, tone: 'error', numbers: { pending, highRisk, escalated }, body } };
    };
    const deploy = { id: 'ap_1', text: 'High-risk approval: Deploy api to prod (forge)' };
    const first = reading(16, 4, 0, deploy);
    expect(badgeAlerts([named], reading(15, 3, 0, { id: 'ap_0', text: 'High-risk approval: older (forge)' }), first)).toEqual([
      { title: 'High-risk approval: Deploy api to prod (forge)', body: '16 approvals pending (4 high risk)', open: { pluginId: 'approvals', panelId: 'inbox', target: 'ap_1' } },
    ]);
    // The same request escalates: the escalated count rises, and it is named again.
    const escalated = reading(16, 4, 1, { id: 'ap_1', text: 'Escalated high-risk approval: Deploy api to prod (forge)' });
    expect(badgeAlerts([named], first, escalated).map((a) => [a.title, a.open.target])).toEqual([['Escalated high-risk approval: Deploy api to prod (forge)', 'ap_1']]);
    // A body without the fields (or not strings there): the panel's title, and the panel without a target.
    expect(badgeAlerts([named], reading(3, 0, 0), reading(4, 1, 0, { id: 7, text: '' }))).toEqual([
      { title: 'Approvals', body: '4 approvals pending (1 high risk)', open: { pluginId: 'approvals', panelId: 'inbox' } },
    ]);
  });
});
