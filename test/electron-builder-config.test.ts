// electron-builder.yml is valid for the installed electron-builder, and ships what the app needs at runtime.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { APP_ID, PRODUCT_NAME } from '../main/electron/app-identity.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function loadValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as Record<string, unknown>;
  // Draft-07, which ajv's default build speaks; strict mode would reject the schema's own unknown keywords.
  const ajv = new Ajv({ allErrors: true, strict: false });
  return ajv.compile(schema);
}

const validate = loadValidator();
const config = parse(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;

function errorsOf(candidate: unknown): string[] {
  return validate(candidate) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''}`);
}

type Platform = { target?: unknown; category?: unknown; maintainer?: unknown; hardenedRuntime?: unknown };

describe('electron-builder.yml', () => {
  it('is valid against the installed electron-builder schema', () => {
    expect(errorsOf(config)).toEqual([]);
  });

  it('a broken config fails the same validation (so the check above can fail)', () => {
    expect(errorsOf({ ...config, npmRebuild: 'no' }).join('\n')).toMatch(/\/npmRebuild must be boolean/);
    expect(errorsOf({ ...config, linuxx: {} }).join('\n')).toMatch(/must NOT have additional properties/);
    expect(errorsOf({ ...config, mac: { ...(config.mac as object), hardenedRuntime: 'yes' } }).join('\n')).toMatch(/\/mac\/hardenedRuntime/);
  });

  it('names the app as the runtime does (Windows notifications need the same AppUserModelID)', () => {
    expect(config.appId).toBe(APP_ID);
    expect(config.productName).toBe(PRODUCT_NAME);
  });

  it('ships the compiled app and our Electron build of better-sqlite3, outside the asar archive', () => {
    expect(config.files).toEqual(expect.arrayContaining(['package.json', 'dist/**/*', 'bin/**/*', 'native/**/*']));
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['**/*.node', 'native/**']));
    // Rebuilding node_modules in place would replace the Node build the CLI and tests load.
    expect(config.npmRebuild).toBe(false);
    expect(config.extraResources).toEqual(expect.arrayContaining([{ from: 'build/icon.png', to: 'icon.png' }]));
  });

  it("unpacks llama.cpp's binaries whole (an addon beside its shared libraries), and keeps the engine worker's script in the asar", () => {
    const unpack = config.asarUnpack as string[];
    expect(unpack).toEqual(expect.arrayContaining(['node_modules/@node-llama-cpp/**', 'node_modules/node-llama-cpp/bins/**', 'node_modules/node-llama-cpp/llama/localBuilds/**']));
    // The matcher electron-builder itself uses for these patterns (app-builder-lib's fileMatcher: minimatch, dot: true).
    const { minimatch } = createRequire(require.resolve('app-builder-lib/package.json'))('minimatch') as { minimatch: (file: string, pattern: string, options: { dot: boolean }) => boolean };
    const unpacked = (file: string) => unpack.some((pattern) => minimatch(file, pattern, { dot: true }));
    expect(unpacked('node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so')).toBe(true);
    expect(unpacked('node_modules/@node-llama-cpp/mac-arm64-metal/bins/mac-arm64-metal/libggml-metal.dylib')).toBe(true);
    expect(unpacked('node_modules/@node-llama-cpp/win-x64/bins/win-x64/ggml.dll')).toBe(true);
    // The worker resolves zod and node-llama-cpp from where it sits: outside the asar it would find neither.
    expect(unpacked('node_modules/sqlite-vec-linux-x64/vec0.so')).toBe(true);
    // usearch's prebuilt addon (the memory plugin's vector scan) is loaded from disk too; its sources do not ship.
    expect(unpacked('node_modules/usearch/prebuilds/linux-x64/usearch.node')).toBe(true);
    expect(config.files).toEqual(expect.arrayContaining(['!node_modules/usearch/{c,cpp,include,numkong,cmake}/**']));
    expect(unpacked('dist/plugins/gpu/host/engine/worker.js')).toBe(false);
    expect(unpacked('node_modules/node-llama-cpp/dist/index.js')).toBe(false);
  });

  it('builds AppImage and deb, a hardened dmg, and an NSIS installer', () => {
    const linux = config.linux as Platform;
    const mac = config.mac as Platform;
    const win = config.win as Platform;
    expect(linux.target).toEqual(['AppImage', 'deb']);
    expect(linux.category).toBe('Development');
    expect(linux.maintainer).toEqual(expect.any(String));
    expect(mac.target).toBe('dmg');
    expect(mac.hardenedRuntime).toBe(true);
    expect(mac.category).toBe('public.app-category.developer-tools');
    expect(win.target).toBe('nsis');
  });

  it('turns off the fuses that let a packaged app run as plain Node or take an inspector', () => {
    expect(config.electronFuses).toMatchObject({ runAsNode: false, enableNodeCliInspectArguments: false, enableNodeOptionsEnvironmentVariable: false });
  });
});
