// IPC calls are served only for the main frame of our window showing an app://reef page.
import { describe, expect, it } from 'vitest';
import { checkIpcSender, type FrameIdentity } from './ipc-sender.js';
import { isPermissionAllowed } from './web-permissions.js';

const contents = { id: 1 };
const mainFrame: FrameIdentity = { url: 'app://reef/index.html', processId: 7, routingId: 1 };
const window = { webContents: contents, mainFrame };

describe('checkIpcSender', () => {
  it('trusts the main frame of our window on our origin, including client-side routes', () => {
    expect(checkIpcSender({ sender: contents, senderFrame: { ...mainFrame } }, window)).toEqual({ trusted: true });
    expect(checkIpcSender({ sender: contents, senderFrame: { ...mainFrame, url: 'app://reef/queue?x=1' } }, window)).toEqual({ trusted: true });
  });

  it.each([
    ['another window', { sender: { id: 2 }, senderFrame: mainFrame }, /another window/],
    ['a frame that is gone', { sender: contents, senderFrame: null }, /gone/],
    ['a subframe', { sender: contents, senderFrame: { url: 'app://reef/index.html', processId: 7, routingId: 5 } }, /subframe/],
    ['a subframe in another process', { sender: contents, senderFrame: { url: 'app://reef/index.html', processId: 9, routingId: 1 } }, /subframe/],
    ['a page of another origin', { sender: contents, senderFrame: { ...mainFrame, url: 'https://evil.example/' } }, /not part of Reef/],
    ['a lookalike host', { sender: contents, senderFrame: { ...mainFrame, url: 'app://reef.evil/' } }, /not part of Reef/],
    ['a file:// page', { sender: contents, senderFrame: { ...mainFrame, url: 'file:///tmp/x.html' } }, /not part of Reef/],
  ])('refuses %s', (_name, origin, reason) => {
    const verdict = checkIpcSender(origin, window);
    expect(verdict.trusted).toBe(false);
    if (!verdict.trusted) expect(verdict.reason).toMatch(reason);
  });

  it('refuses everything when no window is open', () => {
    expect(checkIpcSender({ sender: contents, senderFrame: mainFrame }, undefined).trusted).toBe(false);
  });
});

describe('isPermissionAllowed', () => {
  it('allows only clipboard writes, only for our own pages', () => {
    expect(isPermissionAllowed('clipboard-sanitized-write', 'app://reef/index.html')).toBe(true);
    expect(isPermissionAllowed('clipboard-sanitized-write', 'https://evil.example/')).toBe(false);
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal', 'fullscreen', 'hid', 'unknown']) {
      expect(isPermissionAllowed(permission, 'app://reef/index.html')).toBe(false);
    }
  });
});
