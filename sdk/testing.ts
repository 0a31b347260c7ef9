/**
 * A fake PanelApi for a panel's tests (jsdom, no host): answers requests through `answer`,
 * records every request and toast, and lets the test emit bus events to the panel's
 * subscriptions. Not part of the runtime API (sdk/index.ts does not export it).
 * @since 0.2.0
 */
import type { PanelApi } from './panel.js';

export interface FakeCall {
  subject: string;
  body: Record<string, unknown>;
}

export function fakePanelApi(answer: (subject: string, body: Record<string, unknown>) => unknown) {
  const calls: FakeCall[] = [];
  const toasts: Array<{ message: string; tone?: string }> = [];
  const listeners = new Map<string, (body: unknown, subject: string) => void>();
  const api: PanelApi = {
    request: async <T,>(subject: string, body?: unknown) => {
      const b = (body ?? {}) as Record<string, unknown>;
      calls.push({ subject, body: b });
      return (await answer(subject, b)) as T;
    },
    subscribe: (pattern, onMessage) => {
      listeners.set(pattern, onMessage);
      return () => listeners.delete(pattern);
    },
    toast: (message, tone) => {
      toasts.push(tone === undefined ? { message } : { message, tone });
    },
    openPanel: () => undefined,
    hostInfo: async () => {
      throw new Error('hostInfo is not faked: answer it in the test if the panel needs it');
    },
    plugins: async () => [],
    manifestProblems: async () => [],
    onPluginsChanged: () => () => undefined,
  };
  /** Delivers a message to each subscription whose pattern matches (exact, or a `>` prefix). */
  const emit = (subject: string, body: unknown) => {
    for (const [pattern, listener] of listeners) {
      if (subject.startsWith(pattern.replace(/>$/, ''))) listener(body, subject);
    }
  };
  return { api, calls, toasts, emit, listeners };
}
