// The Electron transport over a fake preload (no Electron binary here): calls pass through, refusals keep their code.
import { describe, expect, it } from 'vitest';
import type { HostEvent } from '../../../sdk/contract.js';
import { ReefError } from '../../../sdk/errors.js';
import { ElectronTransport } from './electron-transport.js';
import { selectTransport } from './select-transport.js';
import { WsTransport } from './ws-transport.js';

function fakePreload(): ReefPreloadApi & { emit(event: HostEvent): void } {
  const listeners = new Set<(e: HostEvent) => void>();
  return {
    hostInfo: async () => {
      throw new Error('unused');
    },
    listPlugins: async () => ({ plugins: [], problems: [] }),
    // The preload rejects with the wire body: Error properties do not survive the context bridge.
    busRequest: async () => Promise.reject({ error: { code: 'forbidden', message: 'operator may not call reef.v1.x' } }),
    busCancel: async () => ({ cancelled: false }),
    busSubscribe: async () => ({ subscriptionId: 'one' }),
    busUnsubscribe: async () => ({}),
    notify: async () => ({ shown: true }),
    onEvent: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    emit: (event) => listeners.forEach((l) => l(event)),
  };
}

describe('ElectronTransport', () => {
  it('passes calls and events through and rebuilds refusals as ReefErrors', async () => {
    const preload = fakePreload();
    const transport = new ElectronTransport(preload);
    await expect(transport.api.listPlugins({})).resolves.toEqual({ plugins: [], problems: [] });
    const err = await transport.api.busRequest({ subject: 'reef.v1.x', body: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReefError);
    expect((err as ReefError).code).toBe('forbidden');
    expect((err as ReefError).message).toBe('operator may not call reef.v1.x');
    const seen: HostEvent[] = [];
    transport.onEvent((e) => seen.push(e));
    preload.emit({ type: 'plugins-changed' });
    expect(seen).toEqual([{ type: 'plugins-changed' }]);
    const states: string[] = [];
    transport.onConnection((s) => states.push(s));
    expect(states).toEqual(['open']);
  });

  it('is chosen when window.reef exists, the WebSocket otherwise', () => {
    const withPreload = { reef: fakePreload(), location } as unknown as Window;
    expect(selectTransport(withPreload)).toBeInstanceOf(ElectronTransport);
    const ws = selectTransport({ location: { protocol: 'http:', host: '127.0.0.1:1' } } as unknown as Window);
    expect(ws).toBeInstanceOf(WsTransport);
    (ws as WsTransport).close();
  });
});
