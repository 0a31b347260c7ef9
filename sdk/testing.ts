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
  /** The request's `options.signal`, present only when the panel passed one. */
  signal?: AbortSignal;
}

export function fakePanelApi(answer: (subject: string, body: Record<string, unknown>) => unknown) {
  const calls: FakeCall[] = [];
  const toasts: Array<{ message: string; tone?: string }> = [];
  const listeners = new Map<string, (body: unknown, subject: string) => void>();
  const api: PanelApi = {
    request: async <T,>(subject: string, body?: unknown, options?: { timeoutMs?: number; signal?: AbortSignal }) => {
      const b = (body ?? {}) as Record<string, unknown>;
      const signal = options?.signal;
      calls.push(signal ? { subject, body: b, signal } : { subject, body: b });
      if (!signal) return (await answer(subject, b)) as T;
      // As the real PanelApi: an aborted request rejects at once with the signal's reason.
      if (signal.aborted) throw signal.reason;
      return new Promise<T>((resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        Promise.resolve()
          .then(() => answer(subject, b))
          .then((reply) => resolve(reply as T), reject);
      });
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
