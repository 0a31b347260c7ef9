import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/harness/ports.js';
import { tempDir, type TempDir } from '../../test/harness/tmp.js';
import { rendererDir } from '../host/paths.js';
import { buildProgram, configFromFlags, main, type HostFlags } from './index.js';
import { sourceId } from './migrate.js';

async function run(...args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['node', 'reef', ...args], { log: (s) => out.push(s), error: (s) => err.push(s) });
  return { code, out, err };
}

describe('reef CLI', () => {
  let dir: TempDir;
  beforeEach(() => {
    dir = tempDir('reef-cli-');
  });
  afterEach(() => dir.remove());

  it.each([
    [['serve', '--port', 'abc'], /option '--port <port>' argument 'abc' is invalid\. must be a whole number from 0 to 65535/],
    [['serve', '--port', '70000'], /option '--port <port>' argument '70000' is invalid\. must be from 0 to 65535/],
    [['start', '--port', '1.5'], /argument '1\.5' is invalid/],
    [['serve', '--db', 'mysql://x'], /option '--db <url>' argument 'mysql:\/\/x' is invalid\. must be postgres:\/\/USER@HOST:PORT\/DB or sqlite:PATH/],
    [['serve', '--durability', 'sometimes'], /argument 'sometimes' is invalid\. Allowed choices are normal, full/],
    [['serve', '--frobnicate'], /unknown option '--frobnicate'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('reef %j exits 2 with one clear message', async (args, message) => {
    const { code, out, err } = await run(...args);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err[0]).toMatch(/^error: /);
    expect(err[0]).toMatch(message);
    expect(err.join('\n')).not.toMatch(/\n\s+at /);
  });

  it("serve and start take --models-dir as the gpu plugin's models-dir setting", () => {
    const flags = (args: string[]) => {
      const { program } = buildProgram({ log() {}, error() {} });
      const cmd = program.commands.find((c) => c.name() === args[0]);
      if (!cmd) throw new Error(`no command ${args[0]}`);
      cmd.parseOptions(args.slice(1));
      return cmd.opts<HostFlags>();
    };
    for (const command of ['serve', 'start']) {
      const parsed = flags([command, '--models-dir', 'models-here', '--data-dir', dir.path]);
      expect(parsed.modelsDir).toBe('models-here');
      expect(configFromFlags(parsed, {}).settings).toEqual({ gpu: { 'models-dir': path.resolve('models-here') } });
    }
  });

  it('--models-dir naming a file exits 2 saying it is not a folder', async () => {
    dir.write('weights.gguf', 'x');
    const file = path.join(dir.path, 'weights.gguf');
    const { code, out, err } = await run('serve', '--data-dir', dir.path, '--port', '0', '--models-dir', file);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([`reef: --models-dir: ${file} is not a folder (it should hold the .gguf model files)`]);
  });

  it('a bad config.json in the data dir exits 2 naming the file and field', async () => {
    dir.write('config.json', { port: 'eighty' });
    const { code, err } = await run('token', '--data-dir', dir.path);
    expect(code).toBe(2);
    expect(err).toEqual([`reef: ${path.join(dir.path, 'config.json')}: port: must be a whole number from 0 to 65535`]);
  });

  it('--version prints the version and exits 0', async () => {
    const { code, out } = await run('--version');
    expect(code).toBe(0);
    expect(out).toEqual(['0.1.0']);
  });

  it('token prints the operator token, the same one each time, kept with mode 0600', async () => {
    const first = await run('token', '--data-dir', dir.path);
    const second = await run('token', '--data-dir', dir.path);
    expect(first.code).toBe(0);
    expect(first.out).toHaveLength(1);
    expect(first.out[0]).toMatch(/^reef_op_[A-Za-z0-9_-]{32}$/);
    expect(second.out).toEqual(first.out);
    expect(statSync(path.join(dir.path, 'operator.token')).mode & 0o777).toBe(0o600);
  });

  it('doctor marks each check ✓, ✗ or !, with a fix for what is missing; the renderer build decides the exit code', async () => {
    const { code, out } = await run('doctor', '--data-dir', dir.path);
    const checks = out.filter((l) => /^[✓✗!] /.test(l));
    expect(checks.map((l) => l.slice(2).split(/\s{2,}/)[0]?.trim())).toEqual([
      'Node.js',
      'SQLite (better-sqlite3)',
      'Electron binary',
      'App (renderer) build',
      'GPU (nvidia-smi)',
      'PostgreSQL',
      'nats-server',
      'Data dir',
      'Free disk',
    ]);
    expect(out.find((l) => l.includes('Node.js'))).toMatch(/^✓ /);
    expect(out.find((l) => l.includes('SQLite'))).toMatch(/^✓ .*SQLite \d+\.\d+/);
    expect(out.find((l) => l.startsWith('✓ Data dir'))).toContain(`${dir.path} (writable)`);
    const renderer = out.findIndex((l) => l.includes('App (renderer) build'));
    if (rendererDir()) {
      expect(out[renderer]).toMatch(/^✓ /);
      expect(code).toBe(0);
      expect(out.at(-1)?.trim()).toBe('Everything Reef needs is here.');
    } else {
      expect(out[renderer]).toMatch(/^✗ .*dist\/renderer is missing/);
      expect(out[renderer + 1]).toMatch(/fix: run `npm run build`/);
      expect(code).toBe(1);
      expect(out.at(-1)?.trim()).toBe('1 required part(s) missing.');
    }
  });

  it('doctor --db with a PostgreSQL that does not answer marks the connection ✗ and exits 1', async () => {
    const port = await freePort();
    const { code, out } = await run('doctor', '--data-dir', dir.path, '--db', `postgres://reef:secret@127.0.0.1:${port}/reef`);
    const line = out.find((l) => l.includes('PostgreSQL connection'));
    expect(line).toMatch(new RegExp(`^✗ .*postgres://reef:\\*\\*\\*@127\\.0\\.0\\.1:${port}/reef`));
    expect(out.join('\n')).not.toContain('secret');
    expect(code).toBe(1);
  });

  it('migrate refuses a SQLite source a running host holds, before touching either database', async () => {
    const db = path.join(dir.path, 'reef.db');
    writeFileSync(db, '');
    // The lock of a live process that is not this one: the host "running" on the data dir.
    writeFileSync(path.join(dir.path, 'reef.lock'), String(process.ppid));
    const port = await freePort();
    const { code, err } = await run('migrate', '--from', `sqlite:${db}`, '--to', `postgres://reef@127.0.0.1:${port}/reef`);
    expect(code).toBe(1);
    expect(err).toEqual([
      `reef: a Reef host (pid ${process.ppid}) is running in ${path.dirname(db)}, the folder of ${db}; stop it first (Ctrl-C), so that nothing it acknowledges is left behind after the copy`,
    ]);
    expect(readFileSync(path.join(dir.path, 'reef.lock'), 'utf8')).toBe(String(process.ppid));
  });

  it('migrate holds the source host lock while it runs and lets it go, whatever the outcome', async () => {
    const db = path.join(dir.path, 'reef.db');
    writeFileSync(db, '');
    const port = await freePort();
    // Nothing answers on the target's port: the run fails after taking the lock.
    const { code, err } = await run('migrate', '--from', `sqlite:${db}`, '--to', `postgres://reef@127.0.0.1:${port}/reef`);
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/ECONNREFUSED|connect/);
    expect(existsSync(path.join(dir.path, 'reef.lock'))).toBe(false);
  });

  it('migrate names a SQLite source the same however its path is written, so a second run resumes the first', () => {
    const db = path.join(dir.path, 'reef.db');
    writeFileSync(db, '');
    const home = process.env.HOME;
    process.env.HOME = dir.path;
    try {
      expect(sourceId('sqlite:~/reef.db')).toBe(sourceId(`sqlite:${db}`));
      expect(sourceId(`sqlite:${path.relative(process.cwd(), db)}`)).toBe(sourceId(`sqlite:${db}`));
    } finally {
      process.env.HOME = home;
    }
    expect(sourceId('postgres://reef:secret@db:5432/reef')).toBe('postgres://reef@db:5432/reef');
  });
});
