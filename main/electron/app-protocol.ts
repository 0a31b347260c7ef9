/**
 * The app:// protocol the window loads its pages from: which file a request maps to, never one
 * outside the renderer folder, with the SPA fallback to index.html. Pure (no electron import) so
 * the rules are unit-tested under Node.
 */
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../server/static.js';

export const APP_SCHEME = 'app';
export const APP_HOST = 'reef';
/** The page's origin as Chromium reports it; Node's URL says "null" for custom schemes, so compare parts. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

export { CONTENT_SECURITY_POLICY };

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** True when `url` is a page or asset of our own app (app://reef/…). */
export function isAppUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  return parsed.protocol === `${APP_SCHEME}:` && parsed.host === APP_HOST;
}

export type AppAsset =
  | { found: true; file: string; headers: Record<string, string> }
  | { found: false; status: 400 | 404; reason: string };

/** The file under `rootDir` a path maps to, or undefined when it escapes the folder or cannot be decoded. */
export function containedPath(rootDir: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const root = path.resolve(rootDir);
  // Backslashes are separators on Windows: treat them as such everywhere so a check here holds there.
  const relative = decoded.replace(/\\/g, '/').replace(/^\/+/, '');
  const full = path.resolve(root, relative);
  if (full !== root && !full.startsWith(root + path.sep)) return undefined;
  return full;
}

/**
 * Maps a request URL to a file of the built renderer. A path with no extension that names no file
 * is a client-side route, so it gets index.html; a missing asset (with an extension) is a 404 rather
 * than HTML that the page would try to run as a script.
 */
export async function resolveAppAsset(
  rootDir: string,
  requestUrl: string,
  isFile: (file: string) => Promise<boolean>,
): Promise<AppAsset> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return { found: false, status: 400, reason: 'not a URL' };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) {
    return { found: false, status: 404, reason: `only ${APP_ORIGIN} is served` };
  }
  const requested = url.pathname === '/' ? '/index.html' : url.pathname;
  const file = containedPath(rootDir, requested);
  if (!file) return { found: false, status: 404, reason: 'outside the renderer folder' };
  let chosen: string | undefined = (await isFile(file)) ? file : undefined;
  if (!chosen && path.extname(file) === '') {
    const index = path.join(path.resolve(rootDir), 'index.html');
    if (await isFile(index)) chosen = index;
  }
  if (!chosen) return { found: false, status: 404, reason: 'no such file' };
  return { found: true, file: chosen, headers: headersFor(chosen) };
}

function headersFor(file: string): Record<string, string> {
  return {
    'content-type': contentTypeFor(file),
    // On every response, not only HTML: a worker or an iframe'd document must not escape the policy either.
    'content-security-policy': CONTENT_SECURITY_POLICY,
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  };
}
