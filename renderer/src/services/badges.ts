// Panel badges: the count a panel's sidebar entry shows, read from one of its plugin's status items
// (manifest `panels[].badge`); their sum leads the window title ("(12) Reef"), which the desktop
// app's tray repeats; a rise in a badge's `alert` numbers raises a desktop notification.
import type { PluginStatus } from '../../../sdk/contract.js';
import type { StatusValue } from '../stores/status-store.js';

export interface BadgeValue {
  count: number;
  tone: string | undefined;
  /** The status item's text: the sidebar entry's tooltip, the notification's body. */
  text: string;
}

/** Badges by "<pluginId>/<panelId>", for active plugins whose status item has a positive count. */
export function panelBadges(plugins: readonly PluginStatus[], values: Record<string, StatusValue>): Map<string, BadgeValue> {
  const out = new Map<string, BadgeValue>();
  for (const p of plugins) {
    if (p.state !== 'active') continue;
    for (const panel of p.contributes.panels) {
      const badge = panel.badge;
      if (!badge) continue;
      const value = values[`${p.id}/${badge.statusItem}`];
      const count = value?.numbers?.[badge.field];
      if (value && count !== undefined && count > 0) out.set(`${p.id}/${panel.id}`, { count, tone: value.tone, text: value.text });
    }
  }
  return out;
}

export const BASE_TITLE = 'Reef';

/** "(12) Reef" while anything awaits the operator, else "Reef". */
export function windowTitle(badges: ReadonlyMap<string, BadgeValue>): string {
  let total = 0;
  for (const b of badges.values()) total += b.count;
  return total > 0 ? `(${total > 999 ? '999+' : total}) ${BASE_TITLE}` : BASE_TITLE;
}

export function badgeLabel(count: number): string {
  return count > 99 ? '99+' : String(count);
}

/**
 * The notifications due between two readings of the status items: one per badge whose `alert`
 * numbers rose (a new high-risk request, an escalation). The first reading only sets the baseline.
 */
export function badgeAlerts(
  plugins: readonly PluginStatus[],
  before: Record<string, StatusValue> | undefined,
  after: Record<string, StatusValue>,
): Array<{ title: string; body: string }> {
  if (!before) return [];
  const out: Array<{ title: string; body: string }> = [];
  for (const p of plugins) {
    if (p.state !== 'active') continue;
    for (const panel of p.contributes.panels) {
      const badge = panel.badge;
      if (!badge?.alert?.length) continue;
      const key = `${p.id}/${badge.statusItem}`;
      const prev = before[key];
      const next = after[key];
      if (!prev || !next || prev === next) continue;
      if (badge.alert.some((field) => (next.numbers?.[field] ?? 0) > (prev.numbers?.[field] ?? 0))) out.push({ title: panel.title, body: next.text });
    }
  }
  return out;
}
