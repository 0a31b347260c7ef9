/**
 * The SDK as a package: `reef/sdk` and `reef/sdk/panel` resolve through package.json `exports`
 * (and nothing else does), and docs/api/reef-sdk.d.ts reports the public surface, so a change
 * to it shows in review. Runs against dist/ (`npm test` builds first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './harness/reef-process.js';
// @ts-expect-error -- a plain .mjs script without types; its two functions are tested here.
import { missingSince } from '../scripts/api-report.mjs';

/** Runs ESM `code` in a child Node from the repository root, where `reef/...` resolves to this package. */
function runModule(code: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO_ROOT, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the SDK as a package', () => {
  it('reef/sdk and reef/sdk/panel resolve through exports; the renderer plumbing and deep paths do not', () => {
    expect(existsSync(path.join(REPO_ROOT, 'dist', 'sdk', 'index.js')), 'dist/ is missing: run `npm run build`').toBe(true);
    const ok = runModule(`
      const sdk = await import('reef/sdk');
      const panel = await import('reef/sdk/panel');
      const e = sdk.ReefError.from(Object.assign(new Error('queue: required'), { name: 'ReefError', code: 'invalid_request' }));
      console.log(JSON.stringify({ error: [e.code, e.httpStatus], version: sdk.REEF_VERSION, contract: 'rendererContract' in sdk, panelError: typeof panel.ReefError }));
    `);
    expect(ok.stderr).toBe('');
    expect(JSON.parse(ok.stdout)).toEqual({ error: ['invalid_request', 400], version: expect.any(String), contract: false, panelError: 'function' });
    for (const deep of ['reef/dist/sdk/contract.js', 'reef/sdk/contract', 'reef/main/host/host']) {
      const refused = runModule(`await import('${deep}');`);
      expect([deep, refused.status]).toEqual([deep, 1]);
      expect(refused.stderr).toMatch(/ERR_PACKAGE_PATH_NOT_EXPORTED/);
    }
  });

  it.each(['NodeNext', 'Node10'])('a TypeScript plugin resolving reef/sdk and reef/sdk/panel (%s) gets real types, not any', (resolution) => {
    // A plugin project of its own, with this package installed as node_modules/reef.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'reef-consumer-'));
    try {
      mkdirSync(path.join(dir, 'node_modules'));
      symlinkSync(REPO_ROOT, path.join(dir, 'node_modules', 'reef'), 'dir');
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      writeFileSync(
        path.join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { target: 'ES2022', lib: ['ES2022', 'DOM'], esModuleInterop: true, module: resolution === 'NodeNext' ? 'NodeNext' : 'ESNext', moduleResolution: resolution, strict: true, noEmit: true, skipLibCheck: false, types: [] },
          files: ['plugin.ts'],
        }),
      );
      writeFileSync(
        path.join(dir, 'plugin.ts'),
        [
          "import { ReefError, type PluginContext } from 'reef/sdk';",
          "import type { PanelProps } from 'reef/sdk/panel';",
          'export async function activate(ctx: PluginContext): Promise<void> {',
          "  await ctx.bus.serve('reef.v1.hello.greet', () => { throw new ReefError('invalid_request', 'no'); });",
          '}',
          'export function panel(props: PanelProps): void {',
          "  void props.api.request('reef.v1.hello.greet');",
          '  const wrong: number = props.ui.ConfirmDialog;',
          '  void wrong;',
          '}',
        ].join('\n'),
      );
      const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { encoding: 'utf8' });
      // Exactly one error, the deliberate one: the kit's types arrived (a component is not a number).
      const errors = r.stdout.split('\n').filter((l) => /error TS\d+/.test(l));
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/plugin\.ts\(8,9\): error TS2322/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('docs/api/reef-sdk.d.ts is the current public API, and every export says since when', () => {
    const r = spawnSync(process.execPath, [path.join(REPO_ROOT, 'scripts', 'api-report.mjs'), '--check'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  }, 60_000);

  it('the @since check finds an export without one, and only that one', () => {
    const report = [
      '// ---- sdk/x.d.ts ----',
      '/** Documented. @since 0.1.0 */',
      'export declare function a(): void;',
      '/**',
      ' * Many lines.',
      ' * @since 0.2.0',
      ' */',
      'export interface B {',
      '    field: string;',
      '}',
      '/** No version. */',
      'export type C = string;',
      'export declare const D = 1;',
    ].join('\n');
    expect(missingSince(report)).toEqual(['sdk/x.d.ts: C', 'sdk/x.d.ts: D']);
  });
});

