/** While the panel is open: the inference status once, then each live status event. */
import { useEffect } from 'react';
import type { InferenceClient } from './inference-client.js';
import type { InferenceStore } from './inference-store.js';

const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

export function useInference(client: InferenceClient, store: InferenceStore): void {
  useEffect(() => {
    let closed = false;
    const unsubscribe = client.onStatus((status) => store.getState().apply(status));
    client.status().then(
      (status) => {
        if (!closed) store.getState().apply(status);
      },
      (err: unknown) => {
        if (!closed) store.getState().fail(messageOf(err));
      },
    );
    return () => {
      closed = true;
      unsubscribe();
    };
  }, [client, store]);
}

/** Runs an operator action on a model: marked busy meanwhile, a failure toasted with the host's message. */
export async function runAction<T>(client: InferenceClient, store: InferenceStore, model: string, action: 'load' | 'unload' | 'pin', run: () => Promise<T>): Promise<T | undefined> {
  store.getState().setBusy(model, { action, startedAt: Date.now() });
  try {
    return await run();
  } catch (err) {
    client.toast(`${action === 'pin' ? 'Pin' : action === 'load' ? 'Load' : 'Unload'} ${model}: ${messageOf(err)}`, 'error');
    return undefined;
  } finally {
    store.getState().setBusy(model, null);
    // The event follows within half a second; the reply makes the table right at once.
    client.status().then((s) => store.getState().apply(s), () => undefined);
  }
}
