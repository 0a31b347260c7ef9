/**
 * The desktop app's entry (Electron main, ESM): one instance per data dir, the host in this
 * process, one locked-down window talking to it over typed IPC, and a tray that keeps Reef
 * reachable while its window is closed.
 */
import path from 'node:path';
import { app, dialog, Notification, session, type BrowserWindow, type Tray } from 'electron';
import { resolveSqliteBinding } from '../db/sqlite-binding.js';
import { resolveConfig, type HostConfig } from '../host/config.js';
import { startHost, type Host } from '../host/host.js';
import { rendererDir } from '../host/paths.js';
import { APP_ID, PRODUCT_NAME } from './app-identity.js';
import { registerAppScheme, serveAppScheme } from './app-protocol-handler.js';
import { serveContractOverIpc, type ContractIpc } from './ipc.js';
import { chooseDataDir, parseLaunchArgs, type HostFlagLayer } from './launch-args.js';
import { createTray, showTitleInTray } from './tray.js';
import { utilityLauncher } from './utility-launcher.js';
import { createReefWindow, loadReefPage, lockDownSession, lockDownWebContents } from './window.js';

// Both must happen synchronously, before 'ready': Chromium reads them at startup.
registerAppScheme();
app.enableSandbox();

/** Says why Reef cannot run and exits. Before 'ready' on Linux the dialog goes to stderr instead. */
function fail(title: string, message: string, exitCode = 1): void {
  console.error(`reef: ${title}: ${message}`);
  dialog.showErrorBox(title, message);
  app.exit(exitCode);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Everything that can be checked without Chromium: flags, config, the built renderer, the SQLite driver. */
function prepare(flags: HostFlagLayer, dataDir: string): { config: HostConfig; renderer: string } | undefined {
  let config: HostConfig;
  try {
    config = resolveConfig({ ...flags, dataDir });
  } catch (err) {
    fail('Reef cannot start: bad settings', describe(err), 2);
    return undefined;
  }
  const renderer = rendererDir();
  if (!renderer) {
    fail('Reef cannot start', 'the app pages are not built (dist/renderer/index.html is missing); run `npm run build`.');
    return undefined;
  }
  if (!config.db || config.db.startsWith('sqlite:')) {
    try {
      resolveSqliteBinding();
    } catch (err) {
      const how = app.isPackaged
        ? 'This copy of Reef is missing its database driver; reinstall Reef.'
        : 'The SQLite driver has not been built for Electron yet. Run `node scripts/build-electron-sqlite.mjs` once (it downloads Electron headers), then start Reef again.';
      fail('Reef cannot open its database', `${how}\n\n${describe(err)}`);
      return undefined;
    }
  }
  return { config, renderer };
}

async function run(config: HostConfig, renderer: string): Promise<void> {
  await app.whenReady();
  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  lockDownSession(session.defaultSession);
  serveAppScheme(session.defaultSession, renderer);

  let window: BrowserWindow | undefined;
  let ipc: ContractIpc | undefined;
  let tray: Tray | undefined;
  let quitting = false;
  let toldAboutTray = false;

  const notify = (title: string, body?: string, onClick?: () => void): void => {
    if (!Notification.isSupported()) return;
    const note = new Notification({ title, ...(body !== undefined ? { body } : {}) });
    note.on('click', () => {
      showWindow();
      onClick?.();
    });
    note.show();
  };

  let host: Host;
  try {
    host = await startHost(config, { mode: 'electron', notify, launchWorker: utilityLauncher });
  } catch (err) {
    fail('Reef cannot start', describe(err));
    return;
  }
  const log = host.log;
  app.on('web-contents-created', (_event, contents) => lockDownWebContents(contents, log));

  function showWindow(): void {
    if (quitting) return;
    if (window && !window.isDestroyed()) {
      if (window.isMinimized()) window.restore();
      window.show();
      window.focus();
      return;
    }
    const created = createReefWindow();
    const served = serveContractOverIpc(created, host.rendererHost, log);
    window = created;
    ipc = served;
    created.on('close', (event) => {
      if (quitting || !tray) return;
      // The host keeps serving agents with the window closed; Quit in the tray stops it.
      event.preventDefault();
      created.hide();
      if (!toldAboutTray) {
        toldAboutTray = true;
        notify(`${PRODUCT_NAME} is still running`, 'It keeps serving your agents. Use Quit in the tray menu to stop it.');
      }
    });
    // "(12) Reef": the count of what waits for the operator reaches the tray, also while the window is hidden.
    created.on('page-title-updated', (_event, title: string) => {
      if (tray) showTitleInTray(tray, title);
    });
    created.on('closed', () => {
      void served.close();
      if (window === created) window = undefined;
      if (ipc === served) ipc = undefined;
    });
    loadReefPage(created).catch((err: unknown) => log.error({ err: describe(err) }, 'the Reef page did not load'));
  }

  try {
    tray = createTray({ show: showWindow, quit: () => app.quit() });
  } catch (err) {
    // Without a tray, closing the window quits, so Reef never runs where the operator cannot see it.
    log.warn({ err: describe(err) }, 'no tray icon on this desktop; closing the window quits Reef');
  }

  let stopped = false;
  app.on('before-quit', () => {
    quitting = true;
  });
  app.on('will-quit', (event) => {
    if (stopped) return;
    event.preventDefault();
    void (async () => {
      try {
        await ipc?.close();
        tray?.destroy();
        await host.stop();
        stopped = true;
        app.quit();
      } catch (err) {
        console.error(`reef: error while stopping: ${describe(err)}`);
        stopped = true;
        app.exit(1);
      }
    })();
  });
  app.on('window-all-closed', () => {
    if (!tray) app.quit();
  });
  app.on('second-instance', () => showWindow());
  app.on('activate', () => showWindow());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  showWindow();
}

function start(): void {
  const launch = parseLaunchArgs(process.argv.slice(1));
  if (!launch.ok) {
    fail('Reef cannot start: bad command line', launch.message, 2);
    return;
  }
  const { dataDir, explicit } = chooseDataDir(launch.flags.dataDir, process.env, app.getPath('userData'));
  // Chromium's profile and the single-instance lock follow the data dir: one Reef per data dir.
  if (explicit) app.setPath('userData', path.join(dataDir, 'electron'));
  if (!app.requestSingleInstanceLock()) {
    // The running instance gets 'second-instance' and shows its window.
    app.quit();
    return;
  }
  const prepared = prepare(launch.flags, dataDir);
  if (!prepared) return;
  run(prepared.config, prepared.renderer).catch((err: unknown) => fail('Reef stopped unexpectedly', describe(err)));
}

start();
