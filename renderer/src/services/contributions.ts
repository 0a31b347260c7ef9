// What active plugins contribute to the shell: sidebar panels and palette commands, in display order.
import type { PluginStatus } from '../../../sdk/contract.js';
import type { CommandContribution, PanelContribution } from '../../../sdk/manifest.js';

export interface ContributedPanel {
  pluginId: string;
  pluginName: string;
  panel: PanelContribution;
}

export interface ContributedCommand {
  pluginId: string;
  pluginName: string;
  command: CommandContribution;
}

const active = (plugins: PluginStatus[]) => plugins.filter((p) => p.state === 'active');

/** Panels of active plugins, by `order` then title; plugins without an order go last. */
export function contributedPanels(plugins: PluginStatus[]): ContributedPanel[] {
  const panels = active(plugins).flatMap((p) =>
    p.contributes.panels.map((panel) => ({ pluginId: p.id, pluginName: p.displayName, panel })),
  );
  return panels.sort(
    (a, b) =>
      (a.panel.order ?? Number.MAX_SAFE_INTEGER) - (b.panel.order ?? Number.MAX_SAFE_INTEGER) ||
      a.panel.title.localeCompare(b.panel.title),
  );
}

export function contributedCommands(plugins: PluginStatus[]): ContributedCommand[] {
  return active(plugins).flatMap((p) =>
    p.contributes.commands.map((command) => ({ pluginId: p.id, pluginName: p.displayName, command })),
  );
}
