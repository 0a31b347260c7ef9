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

/** A desktop notification a badge raises, and the panel a click on it opens (on `target`, when the badge names one). */
export interface BadgeAlert {
  title: string;
  body: string;
  open: { pluginId: string; panelId: string; target?: string };
}

/** The string at a dotted path of a status body (`latest.text`), if there is one. */
export function fieldText(body: unknown, path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  let at: unknown = body;
  for (const key of path.split('.')) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, key)) return undefined;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'string' && at.trim() !== '' ? at : undefined;
}

/**
 * The notifications due between two readings of the status items: one per badge whose `alert`
 * numbers rose (a new high-risk request, an escalation). The first reading only sets the baseline.
 * Its title is the field the badge's `notification.text` names (else the panel's title), its
 * body the item's text; a click opens the panel on the field `notification.target` names.
 */
export function badgeAlerts(
  plugins: readonly PluginStatus[],
  before: Record<string, StatusValue> | undefined,
  after: Record<string, StatusValue>,
): BadgeAlert[] {
  if (!before) return [];
  const out: BadgeAlert[] = [];
  for (const p of plugins) {
    if (p.state !== 'active') continue;
    for (const panel of p.contributes.panels) {
      const badge = panel.badge;
      if (!badge?.alert?.length) continue;
      const key = `${p.id}/${badge.statusItem}`;
      const prev = before[key];
      const next = after[key];
      if (!prev || !next || prev === next) continue;
      if (!badge.alert.some((field) => (next.numbers?.[field] ?? 0) > (prev.numbers?.[field] ?? 0))) continue;
      const target = fieldText(next.body, badge.notification?.target);
      out.push({
        title: fieldText(next.body, badge.notification?.text) ?? panel.title,
        body: next.text,
        open: { pluginId: p.id, panelId: panel.id, ...(target !== undefined ? { target } : {}) },
      });
    }
  }
  return out;
}
