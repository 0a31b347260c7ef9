// Runs a plugin's palette command: open its panel, or send an empty request on its subject.
import type { ReefTransport } from '../../../sdk/contract.js';
import { useNavigationStore } from '../stores/navigation-store.js';
import { useToastStore } from '../stores/toast-store.js';
import { toReefError } from '../transport/errors.js';
import type { ContributedCommand } from './contributions.js';

export async function runContributedCommand(transport: ReefTransport, { pluginId, command }: ContributedCommand): Promise<void> {
  if (command.panel !== undefined) {
    useNavigationStore.getState().open(pluginId, command.panel);
    return;
  }
  if (command.subject === undefined) return;
  const toasts = useToastStore.getState();
  try {
    await transport.api.busRequest({ subject: command.subject, body: {} });
    toasts.push(`${command.title}: done`, 'success');
  } catch (err) {
    toasts.push(`${command.title} failed: ${toReefError(err).message}`, 'error');
  }
}
