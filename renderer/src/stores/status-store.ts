// The latest text of each plugin status item, keyed "<pluginId>/<itemId>".
import { create } from 'zustand';

export interface StatusValue {
  text: string;
  tone: string | undefined;
}

export interface StatusStore {
  values: Record<string, StatusValue>;
  setValue(key: string, value: StatusValue): void;
}

export const useStatusStore = create<StatusStore>((set) => ({
  values: {},
  setValue: (key, value) => set((s) => ({ values: { ...s.values, [key]: value } })),
}));

/** A status body is `{text, tone?}`; anything else is shown as nothing rather than as junk. */
export function statusFromBody(body: unknown): StatusValue | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { text, tone } = body as { text?: unknown; tone?: unknown };
  if (typeof text !== 'string') return undefined;
  return { text, tone: typeof tone === 'string' ? tone : undefined };
}
