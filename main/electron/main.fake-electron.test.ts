/**
 * main.ts end to end against a FAKE of the electron module (the Electron binary cannot be
 * downloaded here; e2e/electron.spec.ts drives the real one where it exists). The host, its
 * database and the IPC handlers are real: this checks the wiring — scheme registered before
 * ready, window preferences, one handler per contract method with the sender check, the app://
 * handler, refused windows and navigation, and a quit that stops the host.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { METHOD_NAMES } from '../../sdk/contract.js';
import type { IpcReply } from './ipc-channels.js';

const fake = vi.hoisted(() => {
  class Emitter {
    listeners = new Map<string, Array<(...args: unknown[]) => unknown>>();
    on(name: string, fn: (...args: unknown[]) => unknown) {
      this.listeners.set(name, [...(this.listeners.get(name) ?? []), fn]);
      return this;
    }
    once(name: string, fn: (...args: unknown[]) => unknown) {
      return this.on(name, fn);
    }
    emit(name: string, ...args: unknown[]) {
      for (const fn of this.listeners.get(name) ?? []) fn(...args);
    }
  }
  const state = {
    tmp: undefined as string | undefined,
    events: [] as string[],
    privileged: [] as unknown[],
    ready: undefined as undefined | (() => void),
    handlers: new Map<string, (...args: unknown[]) => unknown>(),
    protocolHandler: undefined as undefined | ((request: Request) => Promise<Response>),
    windows: [] as Array<{ options: { webPreferences: Record<string, unknown> }; contents: InstanceType<typeof Emitter> & Record<string, unknown>; loaded: string[] }>,
    openHandler: undefined as undefined | ((d: { url: string }) => { action: string }),
    opened: [] as string[],
    sent: [] as unknown[],
    quitCalls: 0,
    exitCode: undefined as number | undefined,
    errors: [] as string[],
    app: new Emitter(),
    hostOptions: undefined as undefined | Record<string, unknown>,
  };
  return { state, Emitter };
});

vi.mock('electron', () => {
  const { state, Emitter } = fake;
  const whenReady = new Promise<void>((resolve) => (state.ready = resolve));
  const app = Object.assign(fake.state.app, {
    isPackaged: false,
    enableSandbox: () => state.events.push('enableSandbox'),
    getPath: () => path.join(state.tmp ?? os.tmpdir(), 'userData'),
    setPath: (_name: string, value: string) => state.events.push(`setPath:${value}`),
    requestSingleInstanceLock: () => true,
    whenReady: () => whenReady.then(() => state.events.push('ready')),
    quit: () => {
      state.quitCalls += 1;
      state.app.emit('before-quit', { preventDefault() {} });
      let prevented = false;
      state.app.emit('will-quit', { preventDefault: () => (prevented = true) });
      if (!prevented) state.events.push('exited');
    },
    exit: (code: number) => (state.exitCode = code),
    setAppUserModelId: () => {},
  });
  class BrowserWindow extends Emitter {
    webContents: InstanceType<typeof Emitter> & Record<string, unknown>;
    constructor(options: { webPreferences: Record<string, unknown> }) {
      super();
      const contents = new Emitter() as InstanceType<typeof Emitter> & Record<string, unknown>;
      Object.assign(contents, {
        mainFrame: { url: 'app://reef/index.html', processId: 3, routingId: 1 },
        isDestroyed: () => false,
        send: (channel: string, event: unknown) => state.sent.push({ channel, event }),
        setWindowOpenHandler: (h: (d: { url: string }) => { action: string }) => (state.openHandler = h),
      });
      this.webContents = contents;
      const record = { options, contents, loaded: [] as string[] };
      state.windows.push(record);
      state.app.emit('web-contents-created', {}, contents);
      Object.assign(this, {
        loadURL: async (url: string) => record.loaded.push(url),
        isDestroyed: () => false,
        isMinimized: () => false,
        show: () => {},
        hide: () => {},
        focus: () => {},
        restore: () => {},
      });
    }
  }
  const session = {
    defaultSession: {
      setPermissionRequestHandler: () => {},
      setPermissionCheckHandler: () => {},
      setDevicePermissionHandler: () => {},
      webRequest: { onHeadersReceived: () => {} },
      protocol: { handle: (_scheme: string, h: (r: Request) => Promise<Response>) => (state.protocolHandler = h) },
    },
  };
  return {
    app,
    BrowserWindow,
    session,
    protocol: { registerSchemesAsPrivileged: (schemes: unknown[]) => state.privileged.push(...schemes) },
    ipcMain: {
      handle: (channel: string, h: (...args: unknown[]) => unknown) => state.handlers.set(channel, h),
      removeHandler: (channel: string) => state.handlers.delete(channel),
    },
    dialog: { showErrorBox: (title: string, message: string) => state.errors.push(`${title}: ${message}`) },
    Notification: class {
      static isSupported = () => false;
    },
    shell: { openExternal: async (url: string) => state.opened.push(url) },
    Menu: { buildFromTemplate: (t: unknown) => t },
    nativeImage: { createFromPath: () => ({ isEmpty: () => true }) },
    Tray: class {
      setToolTip() {}
      setContextMenu() {}
      on() {}
      destroy() {}
    },
  };
});

// The real host, with the options main.ts starts it with kept for a look.
vi.mock('../host/host.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../host/host.js')>();
  return {
    ...original,
    startHost: (config: Parameters<typeof original.startHost>[0], options: Parameters<typeof original.startHost>[1]) => {
      fake.state.hostOptions = options as unknown as Record<string, unknown>;
      return original.startHost(config, options);
    },
  };
});

vi.mock('../host/paths.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('../host/paths.js')>();
  const tmp = fake.state.tmp ?? os.tmpdir();
  return { ...original, rendererDir: () => path.join(tmp, 'renderer'), builtinPluginsDir: () => path.join(tmp, 'plugins') };
});

const { state } = fake;
let tmp: string;
let dataDir: string;
const argv = process.argv;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'reef-fake-electron-'));
  state.tmp = tmp;
  dataDir = path.join(tmp, 'data');
  mkdirSync(path.join(tmp, 'renderer'), { recursive: true });
  mkdirSync(path.join(tmp, 'plugins'), { recursive: true });
  writeFileSync(path.join(tmp, 'renderer', 'index.html'), '<!doctype html><title>Reef</title>');
  writeFileSync(path.join(tmp, 'secret.txt'), 'not for the page');
  process.argv = [process.execPath, 'main.js', '--data-dir', dataDir, '--port', '0', '--log-level', 'silent'];
  await import('./main.js');
  process.argv = argv;
  expect(state.ready).toBeDefined();
  expect(state.events).toEqual(['enableSandbox', `setPath:${path.join(dataDir, 'electron')}`]);
  state.ready?.();
  await vi.waitFor(() => expect(state.windows[0]?.loaded).toEqual(['app://reef/index.html']), { timeout: 20_000 });
});

afterAll(() => {
  process.argv = argv;
  rmSync(tmp, { recursive: true, force: true });
});

const trusted = () => ({ sender: state.windows[0]?.contents, senderFrame: { url: 'app://reef/index.html', processId: 3, routingId: 1 } });

describe('main.ts with a fake electron', () => {
  it('registers app:// as a privileged scheme before ready', () => {
    expect(state.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect(state.errors).toEqual([]);
  });

  it('creates one locked-down window with the CommonJS preload', () => {
    const prefs = state.windows[0]?.options.webPreferences;
    expect(prefs).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(String(prefs?.preload)).toMatch(/preload\.cjs$/);
  });

  it('serves each contract method on its own channel, to the main frame only', async () => {
    expect([...state.handlers.keys()].sort()).toEqual(METHOD_NAMES.map((m) => `reef:${m}`).sort());
    const info = (await state.handlers.get('reef:hostInfo')?.(trusted(), {})) as IpcReply;
    expect(info).toMatchObject({ ok: true, result: { mode: 'electron', dataDir } });
    const fromSubframe = { ...trusted(), senderFrame: { url: 'app://reef/index.html', processId: 3, routingId: 9 } };
    expect(await state.handlers.get('reef:hostInfo')?.(fromSubframe, {})).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(await state.handlers.get('reef:busSubscribe')?.(trusted(), { pattern: '' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  it('serves the renderer over app:// with the CSP, and nothing outside it', async () => {
    const index = await state.protocolHandler?.(new Request('app://reef/queue'));
    expect(index?.status).toBe(200);
    expect(index?.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await index?.text()).toContain('<title>Reef</title>');
    expect((await state.protocolHandler?.(new Request('app://reef/..%2fsecret.txt')))?.status).toBe(404);
  });

  it('refuses new windows, sends only https links to the browser, and refuses navigation', () => {
    expect(state.openHandler?.({ url: 'https://docs.example.com/x' })).toEqual({ action: 'deny' });
    expect(state.openHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(state.opened).toEqual(['https://docs.example.com/x']);
    let prevented = false;
    state.windows[0]?.contents.emit('will-navigate', { preventDefault: () => (prevented = true) }, 'https://evil.example/');
    expect(prevented).toBe(true);
  });

  it("hands plugins the utility-process launcher for their workers (ctx.host.launchWorker)", async () => {
    const { utilityLauncher } = await import('./utility-launcher.js');
    expect(state.hostOptions).toMatchObject({ mode: 'electron', launchWorker: utilityLauncher });
  });

  it('quits cleanly: the host stops, then the app really exits', async () => {
    (await import('electron')).app.quit();
    await vi.waitFor(() => expect(state.events).toContain('exited'), { timeout: 10_000 });
    expect(state.quitCalls).toBe(2);
    expect(state.handlers.size).toBe(0);
    expect(state.exitCode).toBeUndefined();
  });
});
