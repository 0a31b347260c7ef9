/**
 * One shared second for every countdown in the panel: a countdown reads it through
 * useSyncExternalStore, so each second re-renders the visible countdown labels only (the
 * table is virtualized: a few dozen), never the rows around them; no timer runs when none shows.
 */
import { useSyncExternalStore } from 'react';

const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;
let second = Date.now();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  if (timer === undefined) {
    second = Date.now();
    timer = setInterval(() => {
      second = Date.now();
      listeners.forEach((l) => l());
    }, 1000);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size > 0 || timer === undefined) return;
    clearInterval(timer);
    timer = undefined;
  };
}

/** The time now, moving on once a second while the component is shown. */
export function useSecond(): number {
  return useSyncExternalStore(subscribe, () => second);
}
