import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, type TempDir } from '../../test/harness/tmp.js';
import { ConfigError, DEFAULT_PORT, defaultDataDir, isLoopback, resolveConfig } from './config.js';

describe('resolveConfig', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = tempDir('reef-config-');
  });
  afterEach(() => dir.remove());

  const resolve = (flags: Parameters<typeof resolveConfig>[0] = {}, env: NodeJS.ProcessEnv = {}) =>
    resolveConfig({ dataDir: dir.path, ...flags }, env);

  it('defaults when nothing is set', () => {
    expect(resolve()).toEqual({
      dataDir: dir.path,
      host: '127.0.0.1',
      port: DEFAULT_PORT,
      db: undefined,
      durability: 'normal',
      logLevel: 'info',
      pluginDirs: [],
      disabledPlugins: [],
      settings: {},
    });
  });

  it('flags beat the environment, which beats config.json, which beats the defaults', () => {
    dir.write('config.json', { port: 1111, host: '0.0.0.0', logLevel: 'debug', durability: 'full' });
    const env = { REEF_PORT: '2222', REEF_HOST: '10.0.0.1' };
    const config = resolve({ port: 3333 }, env);
    expect(config.port).toBe(3333);
    expect(config.host).toBe('10.0.0.1');
    expect(config.logLevel).toBe('debug');
    expect(config.durability).toBe('full');
    expect(resolve({}, env).port).toBe(2222);
    expect(resolve({}, {}).port).toBe(1111);
  });

  it('reads the data dir from REEF_DATA_DIR when no flag names one', () => {
    expect(resolveConfig({}, { REEF_DATA_DIR: dir.path }).dataDir).toBe(dir.path);
    expect(defaultDataDir({})).toMatch(/\.reef$/);
  });

  it('plugin dirs add up across layers, resolved to absolute paths', () => {
    dir.write('config.json', { pluginDirs: ['/from/file'] });
    const config = resolve({ pluginDirs: ['relative/flag'] }, { REEF_PLUGIN_DIRS: ['/env/a', '/env/b'].join(path.delimiter) });
    expect(config.pluginDirs).toEqual(['/from/file', '/env/a', '/env/b', path.resolve('relative/flag')]);
  });

  it('takes settings and disabled plugins from config.json', () => {
    dir.write('config.json', { settings: { queue: { maxLeaseMs: 5000, strict: true } }, disabledPlugins: ['gpu'] });
    const config = resolve();
    expect(config.settings).toEqual({ queue: { maxLeaseMs: 5000, strict: true } });
    expect(config.disabledPlugins).toEqual(['gpu']);
  });

  it("--models-dir sets the gpu plugin's models-dir setting, resolved, over config.json, keeping the plugin's other settings", () => {
    dir.write('config.json', { settings: { gpu: { 'models-dir': '/from/file', threads: 4 }, queue: { strict: true } } });
    expect(resolve().settings.gpu).toEqual({ 'models-dir': '/from/file', threads: 4 });
    const config = resolve({ modelsDir: 'relative/models' });
    expect(config.settings).toEqual({ gpu: { 'models-dir': path.resolve('relative/models'), threads: 4 }, queue: { strict: true } });
    dir.write('config.json', {});
    expect(resolve({ modelsDir: path.join(dir.path, 'not-yet') }).settings).toEqual({ gpu: { 'models-dir': path.join(dir.path, 'not-yet') } });
  });

  it('--models-dir naming a file, or nothing, is refused saying so', () => {
    dir.write('model.gguf', 'not a folder');
    const file = path.join(dir.path, 'model.gguf');
    expect(() => resolve({ modelsDir: file })).toThrow(ConfigError);
    expect(() => resolve({ modelsDir: file })).toThrow(`--models-dir: ${file} is not a folder`);
    expect(() => resolve({ modelsDir: path.join(file, 'below') })).toThrow(/--models-dir: cannot read/);
    expect(() => resolve({ modelsDir: ' ' })).toThrow('--models-dir: needs a folder');
  });

  it.each([
    ['config.json port out of range', { port: 70000 }, {}, {}, /config\.json: port: must be a whole number from 0 to 65535/],
    ['config.json port as a boolean', { port: true }, {}, {}, /config\.json: port: must be a whole number/],
    ['config.json port null', { port: null }, {}, {}, /config\.json: port: must be a whole number/],
    ['config.json unknown key', { prot: 8080 }, {}, {}, /config\.json: \(root\): .*prot/],
    ['config.json bad db', { db: 'mysql://x' }, {}, {}, /config\.json: db: must be postgres:\/\/… or sqlite:PATH/],
    ['REEF_PORT not a number', {}, { REEF_PORT: 'abc' }, {}, /environment \(REEF_\*\): port: must be a whole number/],
    ['REEF_PORT a float', {}, { REEF_PORT: '80.5' }, {}, /environment \(REEF_\*\): port: must be a whole number/],
    ['REEF_DURABILITY', {}, { REEF_DURABILITY: 'sometimes' }, {}, /environment \(REEF_\*\): durability: /],
    ['REEF_LOG_LEVEL', {}, { REEF_LOG_LEVEL: 'loud' }, {}, /environment \(REEF_\*\): logLevel: /],
    ['flag port', {}, {}, { port: -1 }, /command-line flags: port: must be a whole number from 0 to 65535/],
    ['flag host empty', {}, {}, { host: '' }, /command-line flags: host: /],
  ])('names the source and field of a bad value: %s', (_name, file, env, flags, expected) => {
    dir.write('config.json', file);
    expect(() => resolve(flags, env)).toThrow(ConfigError);
    expect(() => resolve(flags, env)).toThrow(expected);
  });

  it('a config.json that is not JSON or not an object is refused with its path', () => {
    const file = dir.write('config.json', '{ "port": 1,');
    expect(() => resolve()).toThrow(`${file}: not valid JSON`);
    dir.write('config.json', '[1, 2]');
    expect(() => resolve()).toThrow(`${file}: must hold a JSON object`);
  });

  it('an environment port with surrounding spaces still reads as a number', () => {
    expect(resolve({}, { REEF_PORT: ' 8080 ' }).port).toBe(8080);
  });
});

describe('NATS logins (natsAuth)', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = tempDir('reef-config-nats-');
  });
  afterEach(() => dir.remove());
  const NATS = 'nats://127.0.0.1:4222';
  const SEED = 'SUAP6HDWGTKZHPBQC3RPGYO6DAP4J4IRQHFULAFRD7TQJYJ7LB6RESLLTI';
  const resolve = (flags: Parameters<typeof resolveConfig>[0] = {}, env: NodeJS.ProcessEnv = {}) =>
    resolveConfig({ dataDir: dir.path, nats: NATS, ...flags }, env);

  it('reads a user and password, a token, an NKey seed file or a .creds file from flags, environment or config.json', () => {
    expect(resolve({ natsUser: 'host', natsPass: 'pw' }).natsAuth).toEqual({ kind: 'user', user: 'host', pass: 'pw' });
    expect(resolve({}, { REEF_NATS_USER: 'host', REEF_NATS_PASS: 'pw' }).natsAuth).toEqual({ kind: 'user', user: 'host', pass: 'pw' });
    expect(resolve({}, { REEF_NATS_TOKEN: 's3cret' }).natsAuth).toEqual({ kind: 'token', token: 's3cret' });
    const seed = dir.write('host.nk', `${SEED}\n`);
    expect(resolve({}, { REEF_NATS_NKEY: seed }).natsAuth).toEqual({ kind: 'nkey', seedFile: seed });
    const creds = dir.write('host.creds', '-----BEGIN NATS USER JWT-----\neyJ0\n------END NATS USER JWT------\n-----BEGIN USER NKEY SEED-----\nSUA\n------END USER NKEY SEED------\n');
    dir.write('config.json', { natsCreds: creds });
    expect(resolve().natsAuth).toEqual({ kind: 'creds', credsFile: creds });
    // The control center logs in the same way.
    expect(resolveConfig({ dataDir: dir.path, connect: NATS }, { REEF_NATS_TOKEN: 't' }).natsAuth).toEqual({ kind: 'token', token: 't' });
    // Without NATS nothing is read or checked.
    expect(resolveConfig({ dataDir: dir.path }, { REEF_NATS_NKEY: '/missing' }).natsAuth).toBeUndefined();
  });

  it('pairs a user on the command line with its password from the environment, as the example configuration does', () => {
    expect(resolve({ natsUser: 'reef-host' }, { REEF_NATS_PASS: 'pw' }).natsAuth).toEqual({ kind: 'user', user: 'reef-host', pass: 'pw' });
    expect(resolve({ natsUser: 'reef-host', natsPass: 'cli-pw' }, { REEF_NATS_PASS: 'env-pw' }).natsAuth).toEqual({ kind: 'user', user: 'reef-host', pass: 'cli-pw' });
  });

  it('takes the kind of login from the highest layer that gives one', () => {
    dir.write('config.json', { natsUser: 'file-user', natsPass: 'file-pw' });
    expect(resolve({}, { REEF_NATS_TOKEN: 'env-token' }).natsAuth).toEqual({ kind: 'token', token: 'env-token' });
    expect(resolve({ natsUser: 'cli', natsPass: 'cli-pw' }, { REEF_NATS_TOKEN: 'env-token' }).natsAuth).toEqual({ kind: 'user', user: 'cli', pass: 'cli-pw' });
    expect(resolve().natsAuth).toEqual({ kind: 'user', user: 'file-user', pass: 'file-pw' });
  });

  it('refuses half a login, two logins at once and unusable files, saying which and never echoing a secret', () => {
    expect(() => resolve({ natsUser: 'host' })).toThrow(/natsUser: a NATS user needs its password \(--nats-pass, REEF_NATS_PASS or natsPass\)/);
    expect(() => resolve({}, { REEF_NATS_PASS: 'pw' })).toThrow(/natsPass: a NATS password needs its user/);
    expect(() => resolve({ natsToken: 'a', natsNkey: '/x' })).toThrow(/give one way to log in to NATS/);
    expect(() => resolve({ natsNkey: path.join(dir.path, 'missing.nk') })).toThrow(/--nats-nkey.*cannot read .*missing\.nk/);
    const notSeed = dir.write('wrong.nk', 'UCK7SV2Z6NUGVFGAHFTWSG3O7V3YL3NITOZSF5BLBKT437S54Z5VPEWY');
    expect(() => resolve({ natsNkey: notSeed })).toThrow(/does not hold a user NKey seed/);
    expect(() => resolve({ natsNkey: notSeed })).not.toThrow(/UCK7SV2Z/);
    const notCreds = dir.write('wrong.creds', SEED);
    expect(() => resolve({ natsCreds: notCreds })).toThrow(/--nats-creds.*is not a \.creds file/);
    expect(() => resolve({ natsCreds: notCreds })).not.toThrow(/SUAP6/);
    expect(() => resolve({ natsCreds: notCreds })).toThrow(ConfigError);
  });
});

describe('isLoopback', () => {
  it('recognises loopback addresses only', () => {
    expect(['127.0.0.1', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true]);
    expect(['0.0.0.0', '192.168.1.2', '::'].map(isLoopback)).toEqual([false, false, false]);
  });
});
