// Keeps the stores in step with the host: connection state, host info, plugins, status items and notifications.
import type { ReefTransport } from '../../../sdk/contract.js';
import { useConnectionStore } from '../stores/connection-store.js';
import { useHostStore } from '../stores/host-store.js';
import { statusFromBody, useStatusStore } from '../stores/status-store.js';
import { useToastStore } from '../stores/toast-store.js';
import { toReefError } from '../transport/errors.js';
import type { BusSubscriptions } from './bus-subscriptions.js';

/** Loads host info and the plugin list; true when both answered. */
export async function loadHost(transport: ReefTransport): Promise<boolean> {
  const host = useHostStore.getState();
  try {
    const [info, list] = await Promise.all([transport.api.hostInfo({}), transport.api.listPlugins({})]);
    host.setInfo(info);
    host.setPlugins(list.plugins, list.problems);
    host.setLoaded();
    return true;
  } catch (err) {
    host.setLoadError(toReefError(err).message);
    return false;
  }
}

async function reloadPlugins(transport: ReefTransport): Promise<void> {
  try {
    const list = await transport.api.listPlugins({});
    useHostStore.getState().setPlugins(list.plugins, list.problems);
  } catch (err) {
    const error = toReefError(err);
    if (error.code !== 'unavailable') useToastStore.getState().push(`Could not refresh the plugin list: ${error.message}`, 'error');
  }
}

/** Subscribes each active plugin's status items, and follows the plugin list as it changes. */
function syncStatusItems(subscriptions: BusSubscriptions): () => void {
  const active = new Map<string, () => void>();
  const apply = () => {
    const wanted = new Map<string, string>();
    for (const plugin of useHostStore.getState().plugins) {
      if (plugin.state !== 'active') continue;
      for (const item of plugin.contributes.statusItems) wanted.set(`${plugin.id}/${item.id}`, item.subject);
    }
    for (const [key, stop] of active) {
      if (!wanted.has(key)) {
        stop();
        active.delete(key);
      }
    }
    for (const [key, subject] of wanted) {
      if (active.has(key)) continue;
      active.set(
        key,
        subscriptions.subscribe(subject, (body) => {
          const value = statusFromBody(body);
          if (value) useStatusStore.getState().setValue(key, value);
        }),
      );
    }
  };
  apply();
  const stop = useHostStore.subscribe((s, prev) => {
    if (s.plugins !== prev.plugins) apply();
  });
  return () => {
    stop();
    for (const s of active.values()) s();
  };
}

export function startHostSync(transport: ReefTransport, subscriptions: BusSubscriptions): () => void {
  let loading = false;
  const stopConnection = transport.onConnection((state) => {
    useConnectionStore.getState().setConnection(state);
    // Every (re)connection reloads: plugins may have changed while we were away.
    if (state === 'open' && !loading) {
      loading = true;
      void loadHost(transport).finally(() => {
        loading = false;
      });
    }
  });
  const stopEvents = transport.onEvent((event) => {
    if (event.type === 'plugins-changed') void reloadPlugins(transport);
    else if (event.type === 'notification') {
      useToastStore.getState().push(event.body ? `${event.title}: ${event.body}` : event.title, 'info');
    } else if (event.type === 'bus-link') {
      const before = useHostStore.getState().info?.link?.state;
      useHostStore.getState().setLink(event.link);
      if (before === 'connected' && event.link.state !== 'connected') {
        useToastStore.getState().push(`Lost the NATS link to ${event.link.server}: reconnecting; requests fail until it is back`, 'error');
      } else if (before !== undefined && before !== 'connected' && event.link.state === 'connected') {
        useToastStore.getState().push(`NATS link back (${event.link.server})`, 'success');
      }
    }
  });
  const stopStatus = syncStatusItems(subscriptions);
  return () => {
    stopConnection();
    stopEvents();
    stopStatus();
  };
}
