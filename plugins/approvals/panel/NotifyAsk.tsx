// Asks once, politely, whether the browser may show a desktop notification for high-risk requests
// (Electron shows them natively without asking). The answer is kept; the question never returns.
import { useState } from 'react';

const ASKED = 'reef.approvals.notifications-asked';

function shouldAsk(): boolean {
  try {
    return typeof Notification !== 'undefined' && Notification.permission === 'default' && localStorage.getItem(ASKED) === null;
  } catch {
    return false;
  }
}

export function NotifyAsk() {
  const [show, setShow] = useState(shouldAsk);
  if (!show) return null;
  const answer = (allow: boolean) => {
    try {
      localStorage.setItem(ASKED, allow ? 'asked' : 'declined');
    } catch {
      // Private mode: it may ask again next time.
    }
    setShow(false);
    if (allow) void Notification.requestPermission();
  };
  return (
    <div className="apv-ask" role="status" data-testid="approvals-notify-ask">
      <span>Get a desktop notification when a high-risk request arrives or one is escalated, even while Reef is in the background?</span>
      <button type="button" className="reef-ui-button reef-ui-button--primary" data-testid="approvals-notify-yes" onClick={() => answer(true)}>
        Turn on
      </button>
      <button type="button" className="reef-ui-button reef-ui-button--ghost" data-testid="approvals-notify-no" onClick={() => answer(false)}>
        No thanks
      </button>
    </div>
  );
}
