/**
 * The desktop app in Electron: launched on a temp data dir, it reaches the ready marker, exposes
 * exactly the contract on window.reef and no Node to the page, and its window is locked down.
 * Skipped, with the reason, where the Electron binary or its SQLite build is missing.
 */
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { METHOD_NAMES } from '../sdk/contract.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ELECTRON_PKG = path.join(ROOT, 'node_modules', 'electron');

/** Why the app cannot be launched here, or the binary to launch (same rules as `reef start`). */
function electronSetup(): { ok: true; binary: string } | { ok: false; reason: string } {
  const pathFile = path.join(ELECTRON_PKG, 'path.txt');
  if (!existsSync(pathFile)) {
    return { ok: false, reason: 'the Electron binary was not downloaded (node_modules/electron/path.txt is missing; run `node node_modules/electron/install.js` where downloads work)' };
  }
  const binary = path.join(ELECTRON_PKG, 'dist', readFileSync(pathFile, 'utf8').trim());
  if (!existsSync(binary)) return { ok: false, reason: `the Electron binary ${binary} is missing; reinstall electron` };
  const version = (JSON.parse(readFileSync(path.join(ELECTRON_PKG, 'package.json'), 'utf8')) as { version: string }).version;
  const binding = path.join(ROOT, 'native', `electron-${version}-${process.platform}-${process.arch}`, 'better_sqlite3.node');
  if (!existsSync(binding)) return { ok: false, reason: `better-sqlite3 is not built for Electron ${version} (${binding}); run \`node scripts/build-electron-sqlite.mjs\`` };
  return { ok: true, binary };
}

const setup = electronSetup();

test.describe('Electron app', () => {
  test.skip(!setup.ok, setup.ok ? '' : setup.reason);

  let app: ElectronApplication;
  let page: Page;
  let dataDir: string;

  test.beforeAll(async () => {
    if (!setup.ok) return;
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'reef-electron-e2e-'));
    app = await electron.launch({
      executablePath: setup.binary,
      args: [path.join(ROOT, 'dist', 'main', 'electron', 'main.js'), '--data-dir', dataDir, '--port', '0'],
      cwd: ROOT,
      env: { ...process.env, REEF_LOG_LEVEL: 'warn' },
      timeout: 30_000,
    });
    page = await app.firstWindow();
    await expect(page.locator('[data-app-state="ready"]')).toBeAttached({ timeout: 20_000 });
  });

  test.afterAll(async () => {
    await app?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('the page comes from app://reef and window.reef is exactly the contract plus onEvent', async () => {
    expect(new URL(page.url()).protocol).toBe('app:');
    const api = await page.evaluate(() => {
      const reef = (window as unknown as { reef?: Record<string, unknown> }).reef;
      return reef ? Object.entries(reef).map(([name, value]) => [name, typeof value]) : undefined;
    });
    expect(api?.map(([name]) => name).sort()).toEqual([...METHOD_NAMES, 'onEvent'].sort());
    expect(api?.every(([, type]) => type === 'function')).toBe(true);
  });

  test('the page reaches the host over IPC and sees Electron mode', async () => {
    const info = await page.evaluate(() => (window as unknown as { reef: { hostInfo(r: object): Promise<{ mode: string; dataDir: string }> } }).reef.hostInfo({}));
    expect(info.mode).toBe('electron');
    expect(info.dataDir).toBe(dataDir);
    const refused = await page.evaluate(() =>
      (window as unknown as { reef: { busRequest(r: object): Promise<unknown> } }).reef.busRequest({ subject: 'not a subject!', body: {} }).then(
        () => undefined,
        (reason: unknown) => reason,
      ),
    );
    expect(refused).toMatchObject({ error: { code: 'invalid_request' } });
  });

  test('no Node in the page: no require, process, module or Buffer, and eval is blocked by the CSP', async () => {
    const exposed = await page.evaluate(() => ({
      require: typeof (window as unknown as Record<string, unknown>).require,
      process: typeof (window as unknown as Record<string, unknown>).process,
      module: typeof (window as unknown as Record<string, unknown>).module,
      Buffer: typeof (window as unknown as Record<string, unknown>).Buffer,
    }));
    expect(exposed).toEqual({ require: 'undefined', process: 'undefined', module: 'undefined', Buffer: 'undefined' });
    const evalBlocked = await page.evaluate(() => {
      try {
        return (0, eval)('1') !== 1;
      } catch {
        return true;
      }
    });
    expect(evalBlocked).toBe(true);
  });

  test('the window refuses new windows and navigation away from app://reef', async () => {
    // Not https, so it is neither opened in a window nor handed to the browser.
    const opened = await page.evaluate(() => window.open('http://127.0.0.1:9/') !== null);
    expect(opened).toBe(false);
    expect(app.windows()).toHaveLength(1);
    await page.evaluate(() => {
      window.location.href = 'http://127.0.0.1:9/elsewhere';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toMatch(/^app:\/\/reef\//);
    await expect(page.locator('[data-app-state="ready"]')).toBeAttached();
  });
});
