/**
 * The host flags the desktop app accepts, the same names as `reef start` passes through
 * (--data-dir, --port, --host, --db, --nats, --connect, --connect-token, --nats-ca, the NATS logins
 * --nats-user/--nats-pass/--nats-token/--nats-nkey/--nats-creds, --durability, --log-level,
 * --plugins-dir, --models-dir). Unknown switches
 * are left alone: Chromium, the inspector and Playwright add their own.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { HostConfig, HostFlagLayer } from '../host/config.js';

export type { HostFlagLayer };

export type LaunchArgs = { ok: true; flags: HostFlagLayer } | { ok: false; message: string };

const STRING_FLAGS = ['data-dir', 'port', 'host', 'db', 'nats', 'connect', 'connect-token', 'nats-ca', 'nats-user', 'nats-pass', 'nats-token', 'nats-nkey', 'nats-creds', 'durability', 'log-level', 'models-dir'] as const;

function single(values: Record<string, unknown>, name: string): { value?: string; error?: string } {
  const v = values[name];
  if (v === undefined) return {};
  if (typeof v !== 'string' || v === '') return { error: `--${name} needs a value` };
  return { value: v };
}

export function parseLaunchArgs(argv: readonly string[]): LaunchArgs {
  const { values } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    options: {
      ...Object.fromEntries(STRING_FLAGS.map((name) => [name, { type: 'string' as const }])),
      'plugins-dir': { type: 'string', multiple: true },
    },
  });
  const flags: HostFlagLayer = {};
  const raw: Partial<Record<(typeof STRING_FLAGS)[number], string>> = {};
  for (const name of STRING_FLAGS) {
    const { value, error } = single(values, name);
    if (error) return { ok: false, message: error };
    if (value !== undefined) raw[name] = value;
  }
  if (raw['data-dir'] !== undefined) flags.dataDir = raw['data-dir'];
  if (raw.port !== undefined) {
    if (!/^\d+$/.test(raw.port) || Number(raw.port) > 65535) {
      return { ok: false, message: `--port must be a whole number from 0 to 65535 (0 picks a free port), not "${raw.port}"` };
    }
    flags.port = Number(raw.port);
  }
  if (raw.host !== undefined) flags.host = raw.host;
  if (raw.db !== undefined) flags.db = raw.db;
  // The NATS URL, like durability below, is checked by resolveConfig.
  if (raw.nats !== undefined) flags.nats = raw.nats;
  if (raw.connect !== undefined) flags.connect = raw.connect;
  if (raw['connect-token'] !== undefined) flags.connectToken = raw['connect-token'];
  if (raw['nats-ca'] !== undefined) flags.natsCa = raw['nats-ca'];
  // Checked (pairs, files) by resolveConfig, as for `reef serve`.
  if (raw['nats-user'] !== undefined) flags.natsUser = raw['nats-user'];
  if (raw['nats-pass'] !== undefined) flags.natsPass = raw['nats-pass'];
  if (raw['nats-token'] !== undefined) flags.natsToken = raw['nats-token'];
  if (raw['nats-nkey'] !== undefined) flags.natsNkey = raw['nats-nkey'];
  if (raw['nats-creds'] !== undefined) flags.natsCreds = raw['nats-creds'];
  // durability and log level are checked by resolveConfig, whose message names the allowed values.
  if (raw.durability !== undefined) flags.durability = raw.durability as HostConfig['durability'];
  if (raw['log-level'] !== undefined) flags.logLevel = raw['log-level'] as HostConfig['logLevel'];
  // Resolved, and refused when not a folder, by resolveConfig.
  if (raw['models-dir'] !== undefined) flags.modelsDir = raw['models-dir'];
  const pluginDirs = values['plugins-dir'];
  if (Array.isArray(pluginDirs)) {
    const dirs = pluginDirs.filter((d): d is string => typeof d === 'string' && d !== '');
    if (dirs.length !== pluginDirs.length) return { ok: false, message: '--plugins-dir needs a folder' };
    flags.pluginDirs = dirs;
  }
  return { ok: true, flags };
}

/**
 * The data dir: --data-dir, else $REEF_DATA_DIR (as for `reef serve`), else Electron's per-user
 * app folder. `explicit` says whether it differs from that folder, in which case Chromium's own
 * files and the single-instance lock move under it, so two data dirs can run side by side.
 */
export function chooseDataDir(
  flagDir: string | undefined,
  env: NodeJS.ProcessEnv,
  userDataDir: string,
): { dataDir: string; explicit: boolean } {
  const chosen = flagDir ?? (env.REEF_DATA_DIR || undefined);
  if (chosen === undefined) return { dataDir: path.resolve(userDataDir), explicit: false };
  return { dataDir: path.resolve(chosen), explicit: path.resolve(chosen) !== path.resolve(userDataDir) };
}
