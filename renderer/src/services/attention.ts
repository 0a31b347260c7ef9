// Keeps what asks for the operator's attention in step with the status items: the window title
// ("(12) Reef", which the desktop tray repeats) and a desktop notification when a badge's alert
// numbers rise (natively in Electron; in a browser through the Notification API, once allowed).
import type { ReefTransport } from '../../../sdk/contract.js';
import { useHostStore } from '../stores/host-store.js';
import { useNavigationStore } from '../stores/navigation-store.js';
import { useStatusStore } from '../stores/status-store.js';
import { useToastStore } from '../stores/toast-store.js';
import { badgeAlerts, panelBadges, windowTitle, type BadgeAlert } from './badges.js';

/** What each native notification this window raised opens when clicked (the host echoes its tag). */
const clickTargets = new Map<string, BadgeAlert['open']>();
let nextTag = 0;

async function notify(transport: ReefTransport, alert: BadgeAlert): Promise<void> {
  const { title, body, open } = alert;
  const tag = `n${++nextTag}`;
  clickTargets.set(tag, open);
  // Older notifications stop mattering; keep the map small.
  if (clickTargets.size > 50) clickTargets.delete(clickTargets.keys().next().value as string);
  const shown = await transport.api.notify({ title: title.slice(0, 120), body: body.slice(0, 500), tag }).then(
    (r) => r.shown,
    () => false,
  );
  if (shown) return;
  if (typeof Notification !== 'undefined' && Notification.permission === 'granted') {
    const note = new Notification(title, { body });
    // A click brings the window forward on the panel, opened on what the notification names.
    note.onclick = () => {
      window.focus();
      useNavigationStore.getState().open(open.pluginId, open.panelId, open.target);
      note.close();
    };
    return;
  }
  useToastStore.getState().push(`${title}: ${body}`, 'info');
}

export function startAttention(transport: ReefTransport, doc: Pick<Document, 'title'> = document): () => void {
  const update = () => {
    const title = windowTitle(panelBadges(useHostStore.getState().plugins, useStatusStore.getState().values));
    if (doc.title !== title) doc.title = title;
  };
  update();
  const stopHost = useHostStore.subscribe((s, prev) => s.plugins !== prev.plugins && update());
  // A native notification clicked (Electron): the host brought the window forward; open what it names.
  const stopClicks = transport.onEvent((event) => {
    if (event.type !== 'notification-clicked') return;
    const open = clickTargets.get(event.tag);
    if (open) useNavigationStore.getState().open(open.pluginId, open.panelId, open.target);
  });
  const stopStatus = useStatusStore.subscribe((s, prev) => {
    update();
    for (const alert of badgeAlerts(useHostStore.getState().plugins, prev.values, s.values)) void notify(transport, alert);
  });
  return () => {
    stopClicks();
    stopHost();
    stopStatus();
  };
}
