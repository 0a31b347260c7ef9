// The test harness decides between skipping and failing, and finds binaries; a wrong decision would hide missing tests.
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findBinary, postgresBinDirs, requireOrSkip } from './harness/binaries.js';
import { postgresAvailability } from './harness/postgres.js';
import { freePort, isListening } from './harness/ports.js';
import { tempDir, type TempDir } from './harness/tmp.js';

describe('test harness', () => {
  let dir: TempDir | undefined;
  afterEach(() => {
    dir?.remove();
    vi.restoreAllMocks();
  });

  it('finds an executable in the given folders before PATH, and not a plain file', () => {
    dir = tempDir('reef-harness-');
    const exe = dir.write('bin/tool', '#!/bin/sh\n');
    chmodSync(exe, 0o755);
    dir.write('other/tool', 'not executable');
    expect(findBinary('tool', [path.join(dir.path, 'other'), path.join(dir.path, 'bin')], { PATH: '' })).toBe(exe);
    expect(findBinary('tool', [], { PATH: path.join(dir.path, 'bin') })).toBe(exe);
    expect(findBinary('tool', [path.join(dir.path, 'other')], { PATH: '' })).toBeUndefined();
  });

  it('orders PostgreSQL versions newest first, numerically', () => {
    dir = tempDir('reef-harness-');
    for (const v of ['9.6', '16', '15', 'common']) mkdirSync(path.join(dir.path, v, 'bin'), { recursive: true });
    expect(postgresBinDirs(dir.path)).toEqual(['16', '15', '9.6'].map((v) => path.join(dir!.path, v, 'bin')));
    expect(postgresBinDirs(path.join(dir.path, 'missing'))).toEqual([]);
  });

  it('without PostgreSQL binaries names the missing ones; REEF_TEST_PG_URL makes them unnecessary', () => {
    const missing = postgresAvailability({ PATH: '' }, '/nonexistent');
    expect(missing).toEqual({ ok: false, reason: expect.stringContaining('initdb and pg_ctl not found') });
    expect(postgresAvailability({ PATH: '', REEF_TEST_PG_URL: 'postgres://x@127.0.0.1/db' }, '/nonexistent')).toEqual({ ok: true });
  });

  it('a missing binary skips with the reason printed, but fails under CI', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const missing = { ok: false as const, reason: 'PostgreSQL binary initdb not found' };
    expect(requireOrSkip('PG suite', missing, {})).toBe(false);
    expect(warn).toHaveBeenCalledWith('skipping PG suite: PostgreSQL binary initdb not found');
    expect(() => requireOrSkip('PG suite', missing, { CI: 'true' })).toThrow(
      'PG suite: PostgreSQL binary initdb not found (CI=true, so this is a failure rather than a skip)',
    );
    expect(requireOrSkip('PG suite', { ok: true }, { CI: 'true' })).toBe(true);
  });

  it('freePort gives a port nothing listens on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await isListening(port)).toBe(false);
  });
});
