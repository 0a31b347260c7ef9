// Picks the transport for this window: Electron IPC when the preload is there, else the WebSocket.
import type { ReefTransport } from '../../../sdk/contract.js';
import { ElectronTransport } from './electron-transport.js';
import { WsTransport, probeUnauthorizedOverHttp, rpcUrlFor } from './ws-transport.js';

export function selectTransport(win: Window = window): ReefTransport {
  if (win.reef) return new ElectronTransport(win.reef);
  return new WsTransport({ url: rpcUrlFor(win.location), probeUnauthorized: probeUnauthorizedOverHttp });
}
