// The desktop app reads the same host flags as `reef start` and ignores Chromium's and Playwright's switches.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../host/config.js';
import { chooseDataDir, parseLaunchArgs } from './launch-args.js';

describe('parseLaunchArgs', () => {
  it('reads host flags among Electron and inspector switches', () => {
    const parsed = parseLaunchArgs([
      '--inspect=0',
      '--remote-debugging-port=0',
      '/app/dist/main/electron/main.js',
      '--data-dir',
      '/tmp/reef-x',
      '--port=0',
      '--db',
      'sqlite:/tmp/reef-x/other.db',
      '--plugins-dir',
      '/p1',
      '--plugins-dir',
      '/p2',
      '--no-sandbox',
    ]);
    expect(parsed).toEqual({
      ok: true,
      flags: { dataDir: '/tmp/reef-x', port: 0, db: 'sqlite:/tmp/reef-x/other.db', pluginDirs: ['/p1', '/p2'] },
    });
  });

  it('says what is wrong with a bad port or a flag without a value', () => {
    expect(parseLaunchArgs(['--port', '70000'])).toMatchObject({ ok: false, message: expect.stringMatching(/--port must be .* 0 to 65535/) });
    expect(parseLaunchArgs(['--port', 'abc'])).toMatchObject({ ok: false });
    expect(parseLaunchArgs(['--data-dir'])).toEqual({ ok: false, message: '--data-dir needs a value' });
  });

  it('passes the NATS login flags through to resolveConfig, like `reef start`', () => {
    const parsed = parseLaunchArgs(['--connect', 'tls://factory:4222', '--nats-user', 'center', '--nats-pass', 'pw', '--no-sandbox']);
    expect(parsed).toEqual({ ok: true, flags: { connect: 'tls://factory:4222', natsUser: 'center', natsPass: 'pw' } });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(resolveConfig({ ...parsed.flags, dataDir: '/tmp/reef-none' }, {}).natsAuth).toEqual({ kind: 'user', user: 'center', pass: 'pw' });
    expect(parseLaunchArgs(['--nats-token', 't', '--nats-nkey', '/k.nk', '--nats-creds', '/c.creds'])).toEqual({
      ok: true,
      flags: { natsToken: 't', natsNkey: '/k.nk', natsCreds: '/c.creds' },
    });
    expect(parseLaunchArgs(['--nats-pass'])).toEqual({ ok: false, message: '--nats-pass needs a value' });
  });

  it('passes --models-dir through to resolveConfig, which makes it the gpu plugin\'s models-dir setting', () => {
    const parsed = parseLaunchArgs(['--models-dir', '/srv/models', '--no-sandbox']);
    expect(parsed).toEqual({ ok: true, flags: { modelsDir: '/srv/models' } });
    if (!parsed.ok) throw new Error(parsed.message);
    expect(resolveConfig({ ...parsed.flags, dataDir: '/tmp/reef-none' }, {}).settings).toEqual({ gpu: { 'models-dir': '/srv/models' } });
    expect(parseLaunchArgs(['--models-dir'])).toEqual({ ok: false, message: '--models-dir needs a value' });
  });

  it('leaves value checks it does not make to resolveConfig, which names the source', () => {
    const parsed = parseLaunchArgs(['--durability', 'sometimes']);
    if (!parsed.ok) throw new Error(parsed.message);
    expect(() => resolveConfig({ ...parsed.flags, dataDir: '/tmp/reef-none' }, {})).toThrow(/command-line flags: durability/);
  });
});

describe('chooseDataDir', () => {
  const userData = '/home/op/.config/Reef';
  it('uses --data-dir, then $REEF_DATA_DIR, then the per-user app folder', () => {
    expect(chooseDataDir('/tmp/a', { REEF_DATA_DIR: '/tmp/b' }, userData)).toEqual({ dataDir: path.resolve('/tmp/a'), explicit: true });
    expect(chooseDataDir(undefined, { REEF_DATA_DIR: '/tmp/b' }, userData)).toEqual({ dataDir: path.resolve('/tmp/b'), explicit: true });
    expect(chooseDataDir(undefined, { REEF_DATA_DIR: '' }, userData)).toEqual({ dataDir: path.resolve(userData), explicit: false });
    expect(chooseDataDir(userData, {}, userData)).toEqual({ dataDir: path.resolve(userData), explicit: false });
  });
});
