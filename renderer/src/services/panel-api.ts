// The PanelApi each panel receives: bus calls through the host, toasts, navigation. Panels see nothing else.
import type { ReefTransport } from '../../../sdk/contract.js';
import type { PanelApi } from '../../../sdk/panel.js';
import { useNavigationStore } from '../stores/navigation-store.js';
import { useToastStore } from '../stores/toast-store.js';
import { toReefError } from '../transport/errors.js';
import type { BusSubscriptions } from './bus-subscriptions.js';

export function createPanelApi(pluginId: string, transport: ReefTransport, subscriptions: BusSubscriptions): PanelApi {
  const { api } = transport;
  const toast = (message: string, tone: 'info' | 'success' | 'error' = 'info') => {
    useToastStore.getState().push(message, tone);
  };
  return {
    async request<T = unknown>(subject: string, body: unknown = {}, options?: { timeoutMs?: number }): Promise<T> {
      try {
        const params = options?.timeoutMs === undefined ? { subject, body } : { subject, body, timeoutMs: options.timeoutMs };
        const reply = await api.busRequest(params);
        return reply.body as T;
      } catch (err) {
        throw toReefError(err);
      }
    },
    subscribe(pattern, onMessage) {
      return subscriptions.subscribe(pattern, onMessage, (err) =>
        toast(`${pluginId}: could not listen on ${pattern}: ${err.message}`, 'error'),
      );
    },
    toast,
    openPanel(targetPlugin, panelId, target) {
      useNavigationStore.getState().open(targetPlugin, panelId, target);
    },
    async hostInfo() {
      try {
        return await api.hostInfo({});
      } catch (err) {
        throw toReefError(err);
      }
    },
    async plugins() {
      try {
        return (await api.listPlugins({})).plugins;
      } catch (err) {
        throw toReefError(err);
      }
    },
    async manifestProblems() {
      try {
        return (await api.listPlugins({})).problems;
      } catch (err) {
        throw toReefError(err);
      }
    },
    onPluginsChanged(listener) {
      return transport.onEvent((event) => {
        if (event.type === 'plugins-changed') listener();
      });
    },
  };
}
