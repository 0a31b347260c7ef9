// Short notices in the corner: from panels, commands, and the host's notification events.
import { create } from 'zustand';

export type ToastTone = 'info' | 'success' | 'error';

export interface Toast {
  id: number;
  message: string;
  tone: ToastTone;
}

export interface ToastStore {
  toasts: Toast[];
  nextId: number;
  push(message: string, tone?: ToastTone): number;
  dismiss(id: number): void;
}

/** More than this and the oldest goes: a burst of errors must not bury the screen. */
export const MAX_TOASTS = 5;

export const useToastStore = create<ToastStore>((set, get) => ({
  toasts: [],
  nextId: 1,
  push: (message, tone = 'info') => {
    const id = get().nextId;
    set((s) => ({ nextId: id + 1, toasts: [...s.toasts, { id, message, tone }].slice(-MAX_TOASTS) }));
    return id;
  },
  dismiss: (id) => set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) })),
}));
