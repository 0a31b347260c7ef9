// The preload's window.reef: exactly the contract's methods plus onEvent, each on the channel main listens on.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { beforeEach, describe, expect, it } from 'vitest';
import { ReefError } from '../../sdk/index.js';
import { METHOD_NAMES, type HostEvent } from '../../sdk/contract.js';
import { EVENT_CHANNEL, methodChannel, type IpcReply, type ReefBridge } from './ipc-channels.js';

type Listener = (event: unknown, payload: unknown) => void;

// A fake of Electron's renderer-side modules (the real ones need the Electron binary).
const fake = {
  exposed: new Map<string, unknown>(),
  invoked: [] as Array<{ channel: string; request: unknown }>,
  replies: new Map<string, unknown>(),
  listeners: new Map<string, Set<Listener>>(),
};

const fakeElectron = {
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => fake.exposed.set(key, value) },
  ipcRenderer: {
    invoke: async (channel: string, request: unknown) => {
      fake.invoked.push({ channel, request });
      return fake.replies.get(channel) ?? { ok: true, result: { echoed: channel } };
    },
    on: (channel: string, listener: Listener) => {
      const set = fake.listeners.get(channel) ?? new Set<Listener>();
      set.add(listener);
      fake.listeners.set(channel, set);
    },
    removeListener: (channel: string, listener: Listener) => fake.listeners.get(channel)?.delete(listener),
  },
};

const preloadSource = ts.transpileModule(readFileSync(fileURLToPath(new URL('./preload.cts', import.meta.url)), 'utf8'), {
  fileName: 'preload.cts',
  compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
}).outputText;

/**
 * Runs the preload the way a sandboxed Electron renderer does: wrapped in a function whose
 * `require` knows only 'electron'. Any other runtime import fails here as it would there.
 */
function loadBridge(): ReefBridge {
  fake.exposed.clear();
  const sandboxRequire = (name: string): unknown => {
    if (name === 'electron') return fakeElectron;
    throw new Error(`a sandboxed preload cannot require "${name}"`);
  };
  const exports = {};
  new Function('require', 'exports', 'module', preloadSource)(sandboxRequire, exports, { exports });
  const bridge = fake.exposed.get('reef');
  if (!bridge) throw new Error('the preload exposed nothing as window.reef');
  return bridge as ReefBridge;
}

function emit(payload: HostEvent): void {
  for (const listener of fake.listeners.get(EVENT_CHANNEL) ?? []) listener({ sender: 'ipc-event' }, payload);
}

describe('preload', () => {
  beforeEach(() => {
    fake.invoked.length = 0;
    fake.replies.clear();
    fake.listeners.clear();
  });

  it('exposes only window.reef, with exactly the contract methods plus onEvent', async () => {
    const bridge = loadBridge();
    expect([...fake.exposed.keys()]).toEqual(['reef']);
    expect(Object.keys(bridge).sort()).toEqual([...METHOD_NAMES, 'onEvent'].sort());
    for (const value of Object.values(bridge)) expect(typeof value).toBe('function');
  });

  it('sends each method on its own channel, the one main registers', async () => {
    const bridge = loadBridge();
    for (const method of METHOD_NAMES) {
      const request = { probe: method };
      const call = bridge[method] as (r: unknown) => Promise<unknown>;
      await expect(call(request)).resolves.toEqual({ echoed: methodChannel(method) });
      expect(fake.invoked.at(-1)).toEqual({ channel: methodChannel(method), request });
    }
  });

  it('rejects with a body ReefError.fromBody turns back into the typed error', async () => {
    const bridge = loadBridge();
    const refused: IpcReply = { ok: false, error: { code: 'invalid_request', message: 'busRequest: subject: must be a bus subject' } };
    fake.replies.set(methodChannel('busRequest'), refused);
    const reason: unknown = await bridge.busRequest({ subject: 'x', body: {} }).then(
      () => undefined,
      (err: unknown) => err,
    );
    const error = ReefError.fromBody(reason);
    expect(error?.code).toBe('invalid_request');
    expect(error?.message).toContain('subject');
  });

  it('passes host events without the IPC event object, and stops after unsubscribe', async () => {
    const bridge = loadBridge();
    const seen: unknown[][] = [];
    const stop = bridge.onEvent((...args: unknown[]) => seen.push(args));
    emit({ type: 'plugins-changed' });
    stop();
    emit({ type: 'notification', title: 'late' });
    expect(seen).toEqual([[{ type: 'plugins-changed' }]]);
    expect(fake.listeners.get(EVENT_CHANNEL)?.size ?? 0).toBe(0);
  });
});
