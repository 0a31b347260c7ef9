/**
 * A throwaway PostgreSQL for integration tests: initdb + pg_ctl in a temp dir on a free port,
 * or the server named by REEF_TEST_PG_URL. Each test file gets its own database, so files
 * running in parallel never see each other's tables.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { findBinary, postgresBinDirs, requireOrSkip, type Availability } from './binaries.js';
import { freePort } from './ports.js';

const run = promisify(execFile);

export interface RunningPostgres {
  /** Connection URL of a database made for the caller. */
  url: string;
  /** Drops the database (and stops the server when the harness started it). */
  stop(): Promise<void>;
}

interface Binaries {
  initdb: string;
  pgCtl: string;
}

function locateBinaries(
  env: NodeJS.ProcessEnv = process.env,
  base?: string,
): { ok: true; binaries: Binaries } | { ok: false; reason: string } {
  const dirs = postgresBinDirs(base);
  const initdb = findBinary('initdb', dirs, env);
  const pgCtl = findBinary('pg_ctl', dirs, env);
  if (initdb && pgCtl) return { ok: true, binaries: { initdb, pgCtl } };
  const missing = [!initdb && 'initdb', !pgCtl && 'pg_ctl'].filter(Boolean).join(' and ');
  return {
    ok: false,
    reason: `PostgreSQL binary ${missing} not found in /usr/lib/postgresql/*/bin or on PATH; install postgresql or set REEF_TEST_PG_URL`,
  };
}

/** Whether PostgreSQL tests can run here. */
export function postgresAvailability(env: NodeJS.ProcessEnv = process.env, base?: string): Availability {
  if (env.REEF_TEST_PG_URL) return { ok: true };
  const found = locateBinaries(env, base);
  return found.ok ? { ok: true } : found;
}

/** The one way a suite needs PostgreSQL: `describe.runIf(postgresOrSkip(name))`; false (with the reason printed) when missing, a thrown error under CI. */
export function postgresOrSkip(suite: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return requireOrSkip(suite, postgresAvailability(env), env);
}

/** Runs a command as the `postgres` user when we are root (initdb refuses to run as root). */
function asPostgres(binary: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

/** The failed start was a port another process took between freePort() and the bind ("could not bind IPv4 address ...: Address already in use"). */
const portTaken = (text: string) => /address already in use/i.test(text);

async function startServer(binaries: Binaries): Promise<{ serverUrl: string; stop(): Promise<void> }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reef-pg-'));
  const dataDir = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (process.getuid?.() === 0) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const [initCmd, initArgs] = asPostgres(binaries.initdb, ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--no-sync']);
  try {
    await run(initCmd, initArgs, { timeout: 60_000 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  const serverOptions = (port: number) => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const stopServerSync = () => {
    const [cmd, args] = asPostgres(binaries.pgCtl, ['-D', dataDir, '-m', 'immediate', '-w', 'stop']);
    try {
      execFileSync(cmd, args, { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // already stopped
    }
  };
  const stopSync = () => {
    stopServerSync();
    rmSync(dir, { recursive: true, force: true });
  };
  /** The server log from byte `from` on ('' when none was written). */
  const logFrom = (from: number) => {
    try {
      return readFileSync(logFile).subarray(from).toString('utf8');
    } catch {
      return ''; // no log written
    }
  };
  const logSize = () => {
    try {
      return statSync(logFile).size;
    } catch {
      return 0;
    }
  };
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    // -l keeps the postmaster off our stdout pipe, so pg_ctl returns once the server is up.
    const [startCmd, startArgs] = asPostgres(binaries.pgCtl, ['-D', dataDir, '-l', logFile, '-o', serverOptions(port), '-w', '-t', '60', 'start']);
    const logStart = logSize();
    try {
      await run(startCmd, startArgs, { timeout: 90_000 });
      break;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Another process took the port between freePort() and the bind: try again on a new one.
      if (attempt < 3 && portTaken(`${message}\n${logFrom(logStart)}`)) {
        stopServerSync();
        continue;
      }
      const log = logFrom(0).slice(-2000);
      stopSync();
      throw new Error(`pg_ctl start failed: ${message}\n${log}`);
    }
  }
  // A test process that dies without its afterAll must not leave a server running.
  process.once('exit', stopSync);
  return {
    serverUrl: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: async () => {
      process.off('exit', stopSync);
      const [cmd, args] = asPostgres(binaries.pgCtl, ['-D', dataDir, '-m', 'fast', '-w', 'stop']);
      try {
        await run(cmd, args, { timeout: 30_000 });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function withDatabase(serverUrl: string, database: string): string {
  const u = new URL(serverUrl);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * Starts a server (unless REEF_TEST_PG_URL names one) and creates a fresh database on it.
 * Call in `beforeAll`; call `stop()` in `afterAll`.
 */
export async function startPostgres(env: NodeJS.ProcessEnv = process.env): Promise<RunningPostgres> {
  let serverUrl = env.REEF_TEST_PG_URL;
  let stopServer: (() => Promise<void>) | undefined;
  if (!serverUrl) {
    const found = locateBinaries(env);
    if (!found.ok) throw new Error(found.reason);
    const server = await startServer(found.binaries);
    serverUrl = server.serverUrl;
    stopServer = server.stop;
  }
  const database = `reef_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${database}`);
  const admin = serverUrl;
  return {
    url: withDatabase(serverUrl, database),
    stop: async () => {
      if (stopServer) {
        await stopServer();
        return;
      }
      await adminQuery(admin, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    },
  };
}
