/** Serves built files from one folder, never outside it; hashed assets are cached for good. */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type http from 'node:http';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

/** The page's policy: nothing from other origins, no inline scripts. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

async function fileAt(root: string, relative: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return undefined;
  }
  const full = path.resolve(root, decoded);
  if (full !== root && !full.startsWith(root + path.sep)) return undefined;
  try {
    const s = await stat(full);
    return s.isFile() ? full : undefined;
  } catch {
    return undefined;
  }
}

export async function serveStatic(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  rootDir: string,
  relative: string,
  options: { spa: boolean; onlyScripts?: boolean },
): Promise<boolean> {
  const root = path.resolve(rootDir);
  let file = relative === '' ? undefined : await fileAt(root, relative);
  if (!file && options.spa && !path.extname(relative)) file = await fileAt(root, 'index.html');
  if (!file) return false;
  const ext = path.extname(file);
  if (options.onlyScripts && !['.js', '.mjs', '.css', '.json'].includes(ext)) return false;
  const headers: Record<string, string> = { 'content-type': TYPES[ext] ?? 'application/octet-stream' };
  if (ext === '.html') {
    headers['content-security-policy'] = CONTENT_SECURITY_POLICY;
    headers['cache-control'] = 'no-cache';
  } else if (relative.startsWith('assets/')) {
    headers['cache-control'] = 'public, max-age=31536000, immutable';
  } else {
    headers['cache-control'] = 'no-cache';
  }
  res.writeHead(200, headers);
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  await new Promise<void>((resolve, reject) => {
    createReadStream(file).on('error', reject).on('end', resolve).pipe(res);
  });
  return true;
}
