// The test harness decides between skipping and failing, and finds binaries; a wrong decision would hide missing tests.
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { findBinary, postgresBinDirs, requireOrSkip } from './harness/binaries.js';
import { postgresAvailability } from './harness/postgres.js';
import { preflight, type PreflightContext } from './harness/preflight.js';
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

describe('preflight', () => {
  let dir: TempDir;
  afterEach(() => dir.remove());

  /** A machine with every package installed in temp folders (`without` left out), and nothing on PATH. */
  function machine(without: string[] = [], env: NodeJS.ProcessEnv = {}): PreflightContext {
    dir = tempDir('reef-preflight-');
    const exe = (relative: string) => chmodSync(dir.write(relative, '#!/bin/sh\n'), 0o755);
    if (!without.includes('chromium')) exe('chromium/chromium');
    if (!without.includes('nats-server')) exe('sbin/nats-server');
    if (!without.includes('postgresql')) for (const b of ['initdb', 'pg_ctl']) exe(`postgresql/16/bin/${b}`);
    mkdirSync(path.join(dir.path, 'postgresql'), { recursive: true });
    return {
      env: { PATH: '', REEF_CHROMIUM: path.join(dir.path, 'chromium', 'chromium'), ...env },
      natsDirs: [path.join(dir.path, 'sbin')],
      postgresBase: path.join(dir.path, 'postgresql'),
    };
  }

  const all = ['chromium', 'nats-server', 'postgresql'] as const;

  it('says nothing and lets the run go on when every package is there', () => {
    expect(preflight(all, machine())).toEqual({ lines: [], stop: false });
  });

  it('locally: one line per missing package with its apt-get command, and the suites needing it skip', () => {
    const where = machine(['chromium', 'nats-server', 'postgresql']);
    const chromium = where.env.REEF_CHROMIUM as string;
    expect(preflight(all, where)).toEqual({
      stop: false,
      lines: [
        `reef tests: chromium is not installed (no executable ${chromium}): apt-get install chromium (Debian), or set REEF_CHROMIUM to its path; until then the e2e tests (Playwright) cannot run`,
        'reef tests: nats-server is not installed (no nats-server in /usr/sbin, /usr/local/bin or on PATH): apt-get install nats-server (Debian), or set REEF_TEST_NATS_SERVER to its path; until then the NATS suites are skipped',
        'reef tests: postgresql is not installed (no initdb and pg_ctl in /usr/lib/postgresql/*/bin or on PATH): apt-get install postgresql (Debian), or set REEF_TEST_PG_URL to a server; until then the PostgreSQL suites are skipped',
      ],
    });
  });

  it('under CI=true a missing package stops the run, and the line says so', () => {
    const result = preflight(all, machine(['nats-server'], { CI: 'true' }));
    expect(result.stop).toBe(true);
    expect(result.lines).toEqual([expect.stringMatching(/^reef tests: nats-server is not installed .*apt-get install nats-server \(Debian\).*; CI=true, so the run stops here$/)]);
  });

  it('a package every test needs (Chromium for Playwright) stops a local run too; others only skip', () => {
    const noChromium = preflight(['chromium'], machine(['chromium']), ['chromium']);
    expect(noChromium.stop).toBe(true);
    expect(noChromium.lines).toEqual([expect.stringMatching(/apt-get install chromium \(Debian\).*; every test here needs it, so the run stops here$/)]);
    expect(preflight(all, machine(['postgresql']), ['chromium'])).toMatchObject({ stop: false, lines: [expect.stringContaining('postgresql')] });
  });

  it('finds binaries on PATH too, and honours the variables that replace a package', () => {
    const where = machine(['nats-server', 'postgresql'], { REEF_TEST_PG_URL: 'postgres://x@127.0.0.1/db' });
    where.env.PATH = path.dirname(where.env.REEF_CHROMIUM as string);
    dir.write('chromium/nats-server', '');
    chmodSync(path.join(dir.path, 'chromium', 'nats-server'), 0o755);
    expect(preflight(all, where)).toEqual({ lines: [], stop: false });
  });

  it('a variable naming a binary that is not there, or a folder where Chromium should be, counts as missing', () => {
    const where = machine([], { REEF_TEST_NATS_SERVER: '/nonexistent/nats-server' });
    where.env.REEF_CHROMIUM = dir.path;
    expect(preflight(all, where).lines).toEqual([
      expect.stringMatching(/^reef tests: chromium is not installed \(no executable .*\): apt-get install chromium/),
      expect.stringMatching(/^reef tests: nats-server is not installed \(REEF_TEST_NATS_SERVER=\/nonexistent\/nats-server is not an executable\): apt-get install nats-server/),
    ]);
  });
});
