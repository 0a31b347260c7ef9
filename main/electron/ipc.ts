/**
 * Serves the renderer contract to one window over IPC: one ipcMain.handle per contract method,
 * each checking the sender before RendererSession validates and runs the call; host events are
 * pushed to the window on the event channel.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { ReefError } from '../../sdk/index.js';
import { METHOD_NAMES, type HostEvent } from '../../sdk/contract.js';
import type { Logger } from '../host/log.js';
import { RendererSession, type RendererHost } from '../host/renderer-api.js';
import { checkIpcSender, type SenderVerdict } from './ipc-sender.js';
import { EVENT_CHANNEL, methodChannel, type IpcReply } from './ipc-channels.js';

export interface ContractIpc {
  /** Removes the handlers and ends the session (its bus subscriptions with it). */
  close(): Promise<void>;
}

function verifySender(event: IpcMainInvokeEvent, contents: WebContents): SenderVerdict {
  try {
    return checkIpcSender(event, contents.isDestroyed() ? undefined : { webContents: contents, mainFrame: contents.mainFrame });
  } catch (err) {
    // Electron throws when a frame is read after it was disposed: a caller that is gone is not trusted.
    return { trusted: false, reason: `the calling frame could not be read (${err instanceof Error ? err.message : String(err)})` };
  }
}

export function serveContractOverIpc(window: BrowserWindow, host: RendererHost, log: Logger): ContractIpc {
  const contents = window.webContents;
  const push = (event: HostEvent): void => {
    if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, event);
  };
  const session = new RendererSession(host, push);

  const handle = async (method: string, event: IpcMainInvokeEvent, params: unknown): Promise<IpcReply> => {
    const verdict = verifySender(event, contents);
    if (!verdict.trusted) {
      log.warn({ method }, `IPC call refused: ${verdict.reason}`);
      return { ok: false, error: new ReefError('forbidden', `refused: ${verdict.reason}`).toBody().error };
    }
    try {
      return { ok: true, result: await session.call(method, params) };
    } catch (err) {
      const error = ReefError.from(err);
      if (error.code === 'internal') log.error({ method, err: error.message }, 'renderer call failed');
      return { ok: false, error: error.toBody().error };
    }
  };

  for (const method of METHOD_NAMES) {
    ipcMain.handle(methodChannel(method), (event, params: unknown) => handle(method, event, params));
  }

  let closing: Promise<void> | undefined;
  return {
    close: () => {
      closing ??= (async () => {
        for (const method of METHOD_NAMES) ipcMain.removeHandler(methodChannel(method));
        await session.close();
      })();
      return closing;
    },
  };
}
