// The API the Electron preload exposes on `window.reef`: one function per contract method plus the event stream.
import type { HostEvent, ReefApi } from '../../sdk/contract.js';

declare global {
  interface ReefPreloadApi extends ReefApi {
    onEvent(listener: (event: HostEvent) => void): () => void;
  }

  interface Window {
    /** Present only inside the Electron window (set by the preload); absent in a browser tab. */
    reef?: ReefPreloadApi;
  }
}

export {};
