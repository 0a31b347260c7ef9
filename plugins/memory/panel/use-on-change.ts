/** Reloading a view when the host says memories changed, debounced so that a batch of writes is one reload. */
import { useEffect } from 'react';
import type { MemoryClient } from './memory-client.js';

/** How long after a change event a view reloads. */
export const CHANGE_DEBOUNCE_MS = 300;

/** Calls `load` `delayMs` after the last `reef.v1.events.memory.changed`, for as long as the component is mounted. */
export function useReloadOnChange(client: MemoryClient, load: () => Promise<void>, delayMs = CHANGE_DEBOUNCE_MS): void {
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const off = client.onChanged(() => {
      clearTimeout(timer);
      timer = setTimeout(() => void load(), delayMs);
    });
    return () => {
      clearTimeout(timer);
      off();
    };
  }, [client, load, delayMs]);
}
