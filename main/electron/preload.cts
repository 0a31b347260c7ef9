/**
 * The preload of the Reef window: exposes `window.reef`, one function per renderer-contract
 * method plus onEvent, and nothing else. Sandboxed preloads run as CommonJS and may require only
 * 'electron', so everything from sdk/ and ./ipc-channels is imported as types; the channel names
 * are spelled here and preload.test.ts checks them against ipc-channels.ts.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import type { HostEvent, MethodName, MethodReply, MethodRequest } from '../../sdk/contract.js';
import type { IpcReply, ReefBridge } from './ipc-channels.js';

const EVENT_CHANNEL = 'reef:event';

/**
 * Rejects with the same `{ error: { code, message } }` shape the WebSocket transport receives, so
 * `ReefError.fromBody(reason)` rebuilds the error in the renderer: properties of an Error thrown
 * here would not survive the context bridge.
 */
async function call<M extends MethodName>(method: M, request: MethodRequest<M>): Promise<MethodReply<M>> {
  const reply = (await ipcRenderer.invoke(`reef:${method}`, request)) as IpcReply;
  if (reply.ok) return reply.result as MethodReply<M>;
  throw { error: reply.error };
}

// Typed as the whole bridge: a contract method missing here (or one too many) is a compile error.
const bridge: ReefBridge = {
  hostInfo: (request) => call('hostInfo', request),
  listPlugins: (request) => call('listPlugins', request),
  busRequest: (request) => call('busRequest', request),
  busCancel: (request) => call('busCancel', request),
  busSubscribe: (request) => call('busSubscribe', request),
  busUnsubscribe: (request) => call('busUnsubscribe', request),
  notify: (request) => call('notify', request),
  onEvent: (listener) => {
    // The IPC event object is not passed on: it carries the sender and must not reach the page.
    const forward = (_event: IpcRendererEvent, hostEvent: HostEvent): void => listener(hostEvent);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld('reef', bridge);
