// Builds the renderer (and the built-in panels it bundles) into dist/renderer; run from the repo root.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..');

export default defineConfig({
  root: here,
  base: '/',
  plugins: [react()],
  build: {
    outDir: path.resolve(repoRoot, 'dist', 'renderer'),
    emptyOutDir: true,
    target: 'es2022',
    // The page's CSP forbids inline scripts; keep the module preload polyfill out of index.html.
    modulePreload: { polyfill: false },
    reportCompressedSize: true,
    chunkSizeWarningLimit: 300,
  },
  server: {
    fs: { allow: [here, path.resolve(repoRoot, 'plugins'), path.resolve(repoRoot, 'sdk'), path.resolve(repoRoot, 'node_modules')] },
  },
});
