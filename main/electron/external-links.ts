/** Which links leave the app for the operator's browser: https only, parsed first, never with credentials. */

/** The normalised URL to hand to shell.openExternal, or undefined when the link must not be opened. */
export function externalUrlToOpen(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length > 8192) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:') return undefined;
  // https://bank.example@evil.example/ reads like one host and goes to another.
  if (url.username !== '' || url.password !== '') return undefined;
  return url.href;
}
