/**
 * Who may call the renderer contract over IPC: the main frame of our own window, showing a page of
 * our own origin. Subframes, other windows and pages that navigated elsewhere are refused. Pure
 * (structural types instead of electron's) so it is unit-tested under Node.
 */
import { isAppUrl } from './app-protocol.js';

/** The parts of Electron's WebFrameMain the check reads. */
export interface FrameIdentity {
  readonly url: string;
  readonly processId: number;
  readonly routingId: number;
}

export interface IpcCallOrigin {
  /** event.sender: the WebContents the message came from. */
  readonly sender: unknown;
  /** event.senderFrame: null when the frame has navigated away or been destroyed. */
  readonly senderFrame: FrameIdentity | null;
}

export interface TrustedWindow {
  readonly webContents: unknown;
  readonly mainFrame: FrameIdentity;
}

export type SenderVerdict = { trusted: true } | { trusted: false; reason: string };

export function checkIpcSender(origin: IpcCallOrigin, window: TrustedWindow | undefined): SenderVerdict {
  if (!window) return { trusted: false, reason: 'no Reef window is open' };
  if (origin.sender !== window.webContents) return { trusted: false, reason: 'the call came from another window' };
  const frame = origin.senderFrame;
  if (!frame) return { trusted: false, reason: 'the calling frame is gone' };
  // WebFrameMain objects are compared by identity numbers, not by reference: Electron may hand out a new wrapper.
  if (frame.processId !== window.mainFrame.processId || frame.routingId !== window.mainFrame.routingId) {
    return { trusted: false, reason: 'the call came from a subframe' };
  }
  if (!isAppUrl(frame.url)) return { trusted: false, reason: `the calling page (${frame.url}) is not part of Reef` };
  return { trusted: true };
}
