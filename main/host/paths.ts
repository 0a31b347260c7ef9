/** Where the host finds its own built pieces (renderer, built-in plugins), wherever it was started from. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The folder holding dist/ (the project root in a checkout, the app folder when packaged). */
export function projectRoot(): string {
  // Compiled: <root>/dist/main/host; from source (tests): <root>/main/host.
  const up2 = path.resolve(here, '..', '..');
  return path.basename(up2) === 'dist' ? path.dirname(up2) : up2;
}

export function builtinPluginsDir(root: string = projectRoot()): string {
  return path.join(root, 'dist', 'plugins');
}

export function rendererDir(root: string = projectRoot()): string | undefined {
  const dir = path.join(root, 'dist', 'renderer');
  return existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}
