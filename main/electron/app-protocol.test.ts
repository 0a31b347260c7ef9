// app:// serves the built renderer and nothing else: no way out of the folder, SPA routes get index.html.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containedPath, isAppUrl, resolveAppAsset } from './app-protocol.js';

let base: string;
let root: string;

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

beforeAll(() => {
  base = mkdtempSync(path.join(os.tmpdir(), 'reef-app-protocol-'));
  root = path.join(base, 'renderer');
  mkdirSync(path.join(root, 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html>');
  writeFileSync(path.join(root, 'assets', 'index-abc.js'), 'export {}');
  // A secret beside the renderer folder, and one whose name starts like it.
  writeFileSync(path.join(base, 'secret.txt'), 'token');
  mkdirSync(path.join(base, 'renderer-evil'));
  writeFileSync(path.join(base, 'renderer-evil', 'x.js'), 'evil');
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

const served = async (url: string) => resolveAppAsset(root, url, isFile);

describe('resolveAppAsset', () => {
  it('serves index.html at the root and assets by path, with the CSP', async () => {
    const index = await served('app://reef/');
    expect(index).toMatchObject({ found: true, file: path.join(root, 'index.html') });
    if (!index.found) throw new Error('unreachable');
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.headers['content-security-policy']).toContain("script-src 'self'");
    expect(index.headers['content-security-policy']).not.toContain('unsafe-eval');
    const script = await served('app://reef/assets/index-abc.js?v=1#x');
    expect(script).toMatchObject({ found: true, file: path.join(root, 'assets', 'index-abc.js') });
    if (script.found) expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
  });

  it('answers client-side routes with index.html but a missing asset with 404', async () => {
    expect(await served('app://reef/queue/tasks')).toMatchObject({ found: true, file: path.join(root, 'index.html') });
    expect(await served('app://reef/assets/missing.js')).toMatchObject({ found: false, status: 404 });
  });

  it.each([
    'app://reef/../secret.txt',
    'app://reef/%2e%2e/secret.txt',
    'app://reef/..%2fsecret.txt',
    'app://reef/..%5csecret.txt',
    'app://reef/assets/..%2f..%2fsecret.txt',
    'app://reef/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    'app://reef/..%2frenderer-evil%2fx.js',
    'app://reef/%00index.html',
    'app://reef/%E0%A4%A',
  ])('never serves a file outside the renderer folder: %s', async (url) => {
    const asset = await served(url);
    if (asset.found) expect(asset.file.startsWith(root + path.sep)).toBe(true);
    if (asset.found) expect(asset.file).toBe(path.join(root, 'index.html'));
  });

  it('refuses other hosts and schemes', async () => {
    expect(await served('app://evil/index.html')).toMatchObject({ found: false, status: 404 });
    expect(await served('file:///etc/passwd')).toMatchObject({ found: false, status: 404 });
    expect(await served('not a url')).toMatchObject({ found: false, status: 400 });
  });
});

describe('containedPath', () => {
  it('refuses traversal, encoded or not, and a sibling folder sharing the prefix', () => {
    expect(containedPath(root, '/../secret.txt')).toBeUndefined();
    expect(containedPath(root, '/%2e%2e/secret.txt')).toBeUndefined();
    expect(containedPath(root, '/..\\secret.txt')).toBeUndefined();
    expect(containedPath(root, '/../renderer-evil/x.js')).toBeUndefined();
    expect(containedPath(root, '/a%00b')).toBeUndefined();
    expect(containedPath(root, '/%E0%A4%A')).toBeUndefined();
    expect(containedPath(root, '/assets/index-abc.js')).toBe(path.join(root, 'assets', 'index-abc.js'));
  });
});

describe('isAppUrl', () => {
  it('accepts only app://reef', () => {
    expect(isAppUrl('app://reef/index.html')).toBe(true);
    expect(isAppUrl('app://reef.evil/index.html')).toBe(false);
    expect(isAppUrl('https://reef/index.html')).toBe(false);
    expect(isAppUrl('file:///index.html')).toBe(false);
    expect(isAppUrl('')).toBe(false);
  });
});
