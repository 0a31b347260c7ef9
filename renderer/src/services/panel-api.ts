// The PanelApi each panel receives: bus calls through the host, toasts, navigation. Panels see nothing else.
import type { MethodRequest, ReefTransport } from '../../../sdk/contract.js';
import type { PanelApi } from '../../../sdk/panel.js';
import { useNavigationStore } from '../stores/navigation-store.js';
import { useToastStore } from '../stores/toast-store.js';
import { toReefError } from '../transport/errors.js';
import type { BusSubscriptions } from './bus-subscriptions.js';

/**
 * Names this window's cancellable requests. The host keeps one session per window, so a counter
 * shared by every panel of the page is unique where it has to be (and needs no crypto.randomUUID,
 * which plain http to another machine lacks).
 */
let lastRequestId = 0;

/** What an aborted request rejects with: the signal's reason, as fetch does (an AbortError for a plain abort()). */
function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The request was aborted', 'AbortError');
}

export function createPanelApi(pluginId: string, transport: ReefTransport, subscriptions: BusSubscriptions): PanelApi {
  const { api } = transport;
  const toast = (message: string, tone: 'info' | 'success' | 'error' = 'info') => {
    useToastStore.getState().push(message, tone);
  };
  return {
    async request<T = unknown>(subject: string, body: unknown = {}, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<T> {
      const params: MethodRequest<'busRequest'> = { subject, body };
      if (options?.timeoutMs !== undefined) params.timeoutMs = options.timeoutMs;
      const signal = options?.signal;
      if (!signal) {
        try {
          const reply = await api.busRequest(params);
          return reply.body as T;
        } catch (err) {
          throw toReefError(err);
        }
      }
      if (signal.aborted) throw abortReason(signal);
      const requestId = `r${++lastRequestId}`;
      params.requestId = requestId;
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => {
          reject(abortReason(signal));
          // The host aborts the handler's info.signal; an id it no longer knows (answered meanwhile) it ignores.
          api.busCancel({ requestId }).catch(() => undefined);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        api.busRequest(params).then(
          (reply) => {
            signal.removeEventListener('abort', onAbort);
            resolve(reply.body as T);
          },
          (err: unknown) => {
            signal.removeEventListener('abort', onAbort);
            reject(toReefError(err));
          },
        );
      });
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
