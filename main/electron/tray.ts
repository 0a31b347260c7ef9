/** The tray icon: Reef keeps serving agents with its window closed; the menu brings it back or quits. */
import path from 'node:path';
import { app, Menu, nativeImage, Tray } from 'electron';
import { projectRoot } from '../host/paths.js';

/** Packaged: resources/icon.png (electron-builder extraResources); from a checkout: build/icon.png. */
export function appIconPath(): string {
  return app.isPackaged ? path.join(process.resourcesPath, 'icon.png') : path.join(projectRoot(), 'build', 'icon.png');
}

export function createTray(actions: { show: () => void; quit: () => void }): Tray {
  const size = process.platform === 'darwin' ? 18 : 22;
  const image = nativeImage.createFromPath(appIconPath());
  const tray = new Tray(image.isEmpty() ? image : image.resize({ width: size, height: size }));
  tray.setToolTip('Reef');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Show Reef', click: actions.show },
      { type: 'separator' },
      { label: 'Quit', click: actions.quit },
    ]),
  );
  // Windows and most Linux trays: a click on the icon itself should bring the window back.
  tray.on('click', actions.show);
  return tray;
}

/**
 * The tray repeats the window title, whose lead count ("(12) Reef") is what awaits the operator
 * (the renderer sums the panels' badges there): in its tooltip everywhere, beside the icon on macOS.
 */
export function showTitleInTray(tray: Tray, title: string): void {
  tray.setToolTip(title);
  if (process.platform === 'darwin') tray.setTitle(/^\((\S+)\) /.exec(title)?.[1] ?? '');
}
