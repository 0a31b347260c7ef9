/**
 * The Reef window, locked down per the Electron security checklist: sandboxed, isolated, no Node,
 * pages only from app://reef under a CSP, no navigation, no new windows, no web permissions.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, shell, type Session, type WebContents } from 'electron';
import type { Logger } from '../host/log.js';
import { APP_ENTRY_URL, CONTENT_SECURITY_POLICY } from './app-protocol.js';
import { externalUrlToOpen } from './external-links.js';
import { isPermissionAllowed } from './web-permissions.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Session-wide rules; run once, after ready, on the session the window uses. */
export function lockDownSession(session: Session): void {
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    callback(isPermissionAllowed(permission, details.requestingUrl ?? contents.getURL()));
  });
  session.setPermissionCheckHandler((_contents, permission, requestingOrigin) => isPermissionAllowed(permission, requestingOrigin));
  session.setDevicePermissionHandler(() => false);
  // The app:// handler sets the policy itself; this also covers anything else the session loads.
  session.webRequest.onHeadersReceived((details, callback) => {
    const headers = Object.fromEntries(
      Object.entries(details.responseHeaders ?? {}).filter(([name]) => name.toLowerCase() !== 'content-security-policy'),
    );
    callback({ responseHeaders: { ...headers, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
}

/**
 * Rules for every WebContents the app ever creates (the window, and anything that slips past):
 * no navigation, no webviews, new windows refused and https links handed to the browser.
 */
export function lockDownWebContents(contents: WebContents, log: Logger): void {
  contents.on('will-navigate', (event, url) => {
    event.preventDefault();
    log.warn({ url }, 'navigation refused; external links open with target="_blank"');
  });
  contents.on('will-redirect', (event, url) => {
    event.preventDefault();
    log.warn({ url }, 'redirect refused');
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    const external = externalUrlToOpen(url);
    if (external) {
      shell.openExternal(external).catch((err: unknown) => log.warn({ url: external, err: String(err) }, 'could not open link in the browser'));
    } else {
      log.warn({ url }, 'new window refused (only https links open, in the browser)');
    }
    return { action: 'deny' };
  });
}

export function createReefWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1360,
    height: 860,
    minWidth: 900,
    minHeight: 560,
    title: 'Reef',
    show: false,
    backgroundColor: '#0b1220',
    webPreferences: {
      preload: path.join(here, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      devTools: !app.isPackaged,
    },
  });
  window.once('ready-to-show', () => window.show());
  return window;
}

export async function loadReefPage(window: BrowserWindow): Promise<void> {
  await window.loadURL(APP_ENTRY_URL);
}
