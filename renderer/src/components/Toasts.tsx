// Toasts in the bottom-right corner; they leave by themselves (errors stay longer).
import { useEffect } from 'react';
import { useToastStore, type Toast } from '../stores/toast-store.js';

const LIFETIME_MS = { info: 4000, success: 4000, error: 9000 } as const;

function ToastItem({ toast }: { toast: Toast }) {
  const dismiss = useToastStore((s) => s.dismiss);
  useEffect(() => {
    const timer = setTimeout(() => dismiss(toast.id), LIFETIME_MS[toast.tone]);
    return () => clearTimeout(timer);
  }, [toast.id, toast.tone, dismiss]);
  return (
    <div className={`toast toast--${toast.tone}`} role={toast.tone === 'error' ? 'alert' : 'status'} data-testid="toast">
      <span className="toast__message">{toast.message}</span>
      <button type="button" className="toast__close" data-testid="toast-dismiss" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>
        ×
      </button>
    </div>
  );
}

export function Toasts() {
  const toasts = useToastStore((s) => s.toasts);
  return (
    <div className="toasts" data-testid="toasts" aria-live="polite">
      {toasts.map((t) => (
        <ToastItem key={t.id} toast={t} />
      ))}
    </div>
  );
}
