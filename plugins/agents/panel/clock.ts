/**
 * One 1 s clock for the whole grid: every heartbeat age reads it through useSyncExternalStore,
 * so each second re-renders only the age labels, and there is one timer however many cards.
 */
import { useSyncExternalStore } from 'react';

export interface SecondClock {
  subscribe(listener: () => void): () => void;
  now(): number;
}

export function createSecondClock(read: () => number = Date.now, everyMs = 1000): SecondClock {
  const listeners = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | undefined;
  let current = read();
  return {
    subscribe(listener) {
      listeners.add(listener);
      if (!timer) {
        current = read();
        timer = setInterval(() => {
          current = read();
          for (const l of listeners) l();
        }, everyMs);
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },
    now: () => current,
  };
}

export function useSecond(clock: SecondClock): number {
  return useSyncExternalStore(clock.subscribe, clock.now);
}
