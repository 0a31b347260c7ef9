/** Which web permissions the page may have: none, except writing text to the clipboard from our own origin. */
import { isAppUrl } from './app-protocol.js';

// Copy buttons (task ids, tokens) use navigator.clipboard.writeText; everything else — camera,
// geolocation, notifications (the host raises native ones), HID/USB/serial — is refused.
const ALLOWED = new Set(['clipboard-sanitized-write']);

export function isPermissionAllowed(permission: string, requestingUrl: string): boolean {
  return ALLOWED.has(permission) && isAppUrl(requestingUrl);
}
