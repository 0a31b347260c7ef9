/** Registers app:// with Chromium: privileged before ready, then served from the built renderer folder. */
import { readFile, stat } from 'node:fs/promises';
import { protocol, type Session } from 'electron';
import { APP_SCHEME, resolveAppAsset } from './app-protocol.js';

/** Must run before the app is ready: Chromium reads scheme privileges at startup. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    // No bypassCSP, no corsEnabled: the page is held to its CSP like any https origin.
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

export function serveAppScheme(session: Session, rendererDir: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return new Response('method not allowed', { status: 405 });
    const asset = await resolveAppAsset(rendererDir, request.url, isFile);
    if (!asset.found) return new Response(asset.reason, { status: asset.status, headers: { 'content-type': 'text/plain; charset=utf-8' } });
    const body = request.method === 'HEAD' ? null : await readFile(asset.file);
    return new Response(body, { status: 200, headers: asset.headers });
  });
}
