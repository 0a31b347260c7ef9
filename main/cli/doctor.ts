/** `reef doctor`: what this machine has for Reef, and how to fix what it lacks. */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, readdirSync, statfsSync } from 'node:fs';
import path from 'node:path';
import type { HostConfig } from '../host/config.js';
import { rendererDir } from '../host/paths.js';
import { PostgresDatabase } from '../db/postgres.js';
import { electronBinary } from './electron-launch.js';

export interface Check {
  name: string;
  status: 'ok' | 'missing' | 'warn';
  detail: string;
  fix?: string;
  /** A missing required part makes `reef doctor` exit 1. */
  required: boolean;
}

function onPath(binary: string, extraDirs: string[] = []): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), ...extraDirs];
  for (const dir of dirs) {
    const full = path.join(dir, binary);
    try {
      accessSync(full, constants.X_OK);
      return full;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function postgresBinDirs(): string[] {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return [];
  return readdirSync(base)
    .sort()
    .reverse()
    .map((v) => path.join(base, v, 'bin'));
}

function versionOf(binary: string, args: string[]): string {
  try {
    return execFileSync(binary, args, { encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n')[0] ?? '';
  } catch {
    return '';
  }
}

export async function collectChecks(config: HostConfig, db?: string): Promise<Check[]> {
  const checks: Check[] = [];
  const [major = 0] = process.versions.node.split('.').map(Number);
  checks.push({
    name: 'Node.js',
    status: major >= 20 ? 'ok' : 'missing',
    detail: process.versions.node,
    fix: 'install Node.js 20 or newer',
    required: true,
  });

  try {
    const { default: Sqlite } = await import('better-sqlite3');
    const mem = new Sqlite(':memory:');
    const v = (mem.prepare('select sqlite_version() as v').get() as { v: string }).v;
    mem.close();
    checks.push({ name: 'SQLite (better-sqlite3)', status: 'ok', detail: `SQLite ${v}`, required: true });
  } catch (err) {
    checks.push({
      name: 'SQLite (better-sqlite3)',
      status: 'missing',
      detail: err instanceof Error ? err.message.split('\n')[0] ?? '' : String(err),
      fix: 'run `npm rebuild better-sqlite3` (needs python3, make and a C++ compiler)',
      required: true,
    });
  }

  const electron = electronBinary();
  checks.push(
    electron.ok
      ? { name: 'Electron binary', status: 'ok', detail: electron.path, required: false }
      : {
          name: 'Electron binary',
          status: 'warn',
          detail: electron.reason,
          fix: '`reef start` falls back to browser mode; install Electron where downloads work for the desktop app',
          required: false,
        },
  );

  const renderer = rendererDir();
  checks.push(
    renderer
      ? { name: 'App (renderer) build', status: 'ok', detail: renderer, required: true }
      : { name: 'App (renderer) build', status: 'missing', detail: 'dist/renderer is missing', fix: 'run `npm run build`', required: true },
  );

  const smi = onPath('nvidia-smi');
  const gpus = smi ? versionOf(smi, ['--query-gpu=name', '--format=csv,noheader']) : '';
  checks.push(
    smi && gpus
      ? { name: 'GPU (nvidia-smi)', status: 'ok', detail: gpus, required: false }
      : {
          name: 'GPU (nvidia-smi)',
          status: 'warn',
          detail: smi ? 'nvidia-smi is installed but reports no GPU' : 'no nvidia-smi on PATH',
          fix: 'local inference runs on the CPU; install the NVIDIA driver for GPU inference and telemetry',
          required: false,
        },
  );

  const pgCtl = onPath('pg_ctl', postgresBinDirs());
  checks.push(
    pgCtl
      ? { name: 'PostgreSQL', status: 'ok', detail: versionOf(pgCtl, ['--version']) || pgCtl, required: false }
      : {
          name: 'PostgreSQL',
          status: 'warn',
          detail: 'no PostgreSQL server binaries found',
          fix: 'only the factory tier needs it: `apt-get install postgresql` (or point --db at a server)',
          required: false,
        },
  );
  if (db && /^postgres(ql)?:\/\//.test(db)) {
    const pg = new PostgresDatabase(db, { max: 1 });
    try {
      await pg.connect();
      checks.push({ name: 'PostgreSQL connection', status: 'ok', detail: pg.description, required: true });
    } catch (err) {
      checks.push({
        name: 'PostgreSQL connection',
        status: 'missing',
        detail: `${pg.description}: ${err instanceof Error ? err.message : String(err)}`,
        fix: 'check that the server runs and the URL (user, host, port, database) is right',
        required: true,
      });
    } finally {
      await pg.close();
    }
  }

  const nats = onPath('nats-server');
  checks.push(
    nats
      ? { name: 'nats-server', status: 'ok', detail: versionOf(nats, ['--version']) || nats, required: false }
      : {
          name: 'nats-server',
          status: 'warn',
          detail: 'not on PATH',
          fix: 'only needed to run a NATS server on this machine: `apt-get install nats-server`',
          required: false,
        },
  );

  try {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    accessSync(config.dataDir, constants.W_OK);
    checks.push({ name: 'Data dir', status: 'ok', detail: `${config.dataDir} (writable)`, required: true });
  } catch (err) {
    checks.push({
      name: 'Data dir',
      status: 'missing',
      detail: `${config.dataDir}: ${err instanceof Error ? err.message : String(err)}`,
      fix: 'pick a writable folder with --data-dir or REEF_DATA_DIR',
      required: true,
    });
  }

  try {
    const fs = statfsSync(config.dataDir);
    const freeGiB = (fs.bavail * fs.bsize) / 2 ** 30;
    checks.push({
      name: 'Free disk',
      status: freeGiB >= 1 ? 'ok' : 'missing',
      detail: `${freeGiB.toFixed(1)} GiB free in the data dir`,
      fix: 'free at least 1 GiB where the data dir is, or move it with --data-dir',
      required: true,
    });
  } catch {
    checks.push({ name: 'Free disk', status: 'warn', detail: 'could not measure', required: false });
  }
  return checks;
}

const MARK = { ok: '✓', missing: '✗', warn: '!' } as const;

export async function runDoctor(config: HostConfig, out: { log: (s: string) => void }, db?: string): Promise<number> {
  const checks = await collectChecks(config, db ?? config.db);
  const width = Math.max(...checks.map((c) => c.name.length));
  for (const c of checks) {
    out.log(`${MARK[c.status]} ${c.name.padEnd(width)}  ${c.detail}`);
    if (c.status !== 'ok' && c.fix) out.log(`  ${' '.repeat(width)}  fix: ${c.fix}`);
  }
  const failed = checks.filter((c) => c.required && c.status === 'missing');
  out.log(failed.length ? `\n${failed.length} required part(s) missing.` : '\nEverything Reef needs is here.');
  return failed.length ? 1 : 0;
}
