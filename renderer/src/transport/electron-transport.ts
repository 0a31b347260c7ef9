// The Electron transport: the preload's `window.reef`, one function per contract method; IPC never drops.
import type { ConnectionState, HostEvent, MethodName, ReefApi, ReefTransport } from '../../../sdk/contract.js';
import { toReefError } from './errors.js';
import { RENDERER_METHODS } from './methods.js';

export class ElectronTransport implements ReefTransport {
  readonly api: ReefApi;

  constructor(private readonly preload: ReefPreloadApi) {
    const api: Partial<Record<MethodName, (request: unknown) => Promise<unknown>>> = {};
    for (const method of RENDERER_METHODS) {
      const fn = preload[method] as (request: unknown) => Promise<unknown>;
      api[method] = async (request) => {
        try {
          return await fn(request ?? {});
        } catch (err) {
          throw toReefError(err);
        }
      };
    }
    this.api = api as ReefApi;
  }

  onEvent(listener: (event: HostEvent) => void): () => void {
    return this.preload.onEvent(listener);
  }

  onConnection(listener: (state: ConnectionState) => void): () => void {
    listener('open');
    return () => undefined;
  }
}
