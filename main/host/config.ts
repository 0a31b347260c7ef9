/** Host configuration: command-line flags over REEF_* environment over <dataDir>/config.json over defaults. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { describeIssues } from '../../sdk/index.js';
import type { NatsCredentials } from '../bus/nats-connection.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;

// Digits from the environment become a number; anything else (true, null, "8o80", 1e3 as text) is refused, not coerced.
const port = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v),
  z
    .number({ error: 'must be a whole number from 0 to 65535' })
    .int('must be a whole number from 0 to 65535')
    .min(0, 'must be a whole number from 0 to 65535')
    .max(65535, 'must be a whole number from 0 to 65535'),
);
const dbSpec = z
  .string()
  .refine((s) => /^postgres(ql)?:\/\/.+/.test(s) || /^sqlite:.+/.test(s), 'must be postgres://… or sqlite:PATH');

/** One NATS URL, or several separated by commas (the nodes of a cluster). */
export const natsUrls = z
  .string()
  .refine(
    (s) => s.split(',').every((u) => /^(nats|tls|ws|wss):\/\/.+/.test(u.trim())),
    'must be nats://HOST:PORT (or tls://, ws://, wss://), or several of them separated by commas',
  );

/** The URLs of a NATS setting. */
export function natsServers(setting: string): string[] {
  return setting.split(',').map((u) => u.trim()).filter(Boolean);
}

/** What can be set in config.json and the environment (all optional; defaults below). */
export const ConfigFileSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: port.optional(),
    db: dbSpec.optional(),
    nats: natsUrls.optional(),
    connect: natsUrls.optional(),
    connectToken: z.string().min(16, 'must be the factory operator token (reef token on the factory host)').optional(),
    natsCa: z.string().min(1).optional(),
    // How the host proves itself to the NATS server (for --nats and --connect alike): one of these.
    natsUser: z.string().min(1).optional(),
    natsPass: z.string().min(1).optional(),
    natsToken: z.string().min(1).optional(),
    natsNkey: z.string().min(1).optional(),
    natsCreds: z.string().min(1).optional(),
    durability: z.enum(['normal', 'full']).optional(),
    logLevel: z.enum(LOG_LEVELS).optional(),
    pluginDirs: z.array(z.string().min(1)).optional(),
    disabledPlugins: z.array(z.string()).optional(),
    settings: z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    // A password alone is not a way to log in: it may come from another layer than its user
    // (--nats-user on the command line, REEF_NATS_PASS in the environment); resolveNatsAuth pairs them.
    const ways = [c.natsUser !== undefined, c.natsToken !== undefined, c.natsNkey !== undefined, c.natsCreds !== undefined];
    if (ways.filter(Boolean).length > 1) {
      ctx.addIssue({ code: 'custom', path: ['natsUser'], message: 'give one way to log in to NATS: a user and password, a token, an NKey seed file or a .creds file, not several' });
    }
  });
export type ConfigFile = z.infer<typeof ConfigFileSchema>;

/** The config keys of a NATS login (see resolveNatsAuth). */
type CredentialKey = 'natsUser' | 'natsPass' | 'natsToken' | 'natsNkey' | 'natsCreds';

export interface HostConfig {
  dataDir: string;
  host: string;
  port: number;
  db: string | undefined;
  /** A NATS server: every subject plugins serve is served there too, for agents in any language. */
  nats: string | undefined;
  /** Run as a control center for the factory at this NATS URL: no local services. */
  connect: string | undefined;
  /** The factory's operator token, sent with every request of a control center. */
  connectToken: string | undefined;
  /** A PEM file of certificate authorities to trust for tls:// and wss:// NATS servers (besides the system's). */
  natsCa: string | undefined;
  /** How the host logs in to the NATS server (--nats or --connect); undefined: anonymous. Never logged. */
  natsAuth: NatsCredentials | undefined;
  durability: 'normal' | 'full';
  logLevel: (typeof LOG_LEVELS)[number];
  pluginDirs: string[];
  disabledPlugins: string[];
  settings: Record<string, Record<string, string | number | boolean>>;
}

/**
 * What the command line (and the desktop app's arguments) may set: the config file's NATS login
 * fields instead of natsAuth, and `modelsDir` (--models-dir), the gpu plugin's setting `models-dir`.
 */
export type HostFlagLayer = Partial<Omit<HostConfig, 'settings' | 'natsAuth'>> &
  Partial<Pick<ConfigFile, CredentialKey>> & { dataDir?: string; modelsDir?: string };

/** The plugin and setting --models-dir sets: the folder of .gguf models local inference serves. */
export const MODELS_DIR_SETTING = { plugin: 'gpu', key: 'models-dir' } as const;

/** --models-dir as an absolute path; refused when it names something that is not a folder (a missing one is fine: no models yet). */
function modelsDirFlag(value: string): string {
  if (value.trim() === '') throw new ConfigError('--models-dir: needs a folder');
  const dir = path.resolve(value);
  let stat;
  try {
    stat = statSync(dir, { throwIfNoEntry: false });
  } catch (err) {
    throw new ConfigError(`--models-dir: cannot read ${dir} (${err instanceof Error ? err.message : String(err)})`);
  }
  if (stat && !stat.isDirectory()) throw new ConfigError(`--models-dir: ${dir} is not a folder (it should hold the .gguf model files)`);
  return dir;
}

export const DEFAULT_PORT = 7420;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.REEF_DATA_DIR || path.join(os.homedir(), '.reef');
}

function fromEnv(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (env.REEF_HOST) out.host = env.REEF_HOST;
  if (env.REEF_PORT) out.port = env.REEF_PORT;
  if (env.REEF_DB) out.db = env.REEF_DB;
  if (env.REEF_NATS) out.nats = env.REEF_NATS;
  if (env.REEF_CONNECT) out.connect = env.REEF_CONNECT;
  if (env.REEF_CONNECT_TOKEN) out.connectToken = env.REEF_CONNECT_TOKEN;
  if (env.REEF_NATS_CA) out.natsCa = env.REEF_NATS_CA;
  if (env.REEF_NATS_USER) out.natsUser = env.REEF_NATS_USER;
  if (env.REEF_NATS_PASS) out.natsPass = env.REEF_NATS_PASS;
  if (env.REEF_NATS_TOKEN) out.natsToken = env.REEF_NATS_TOKEN;
  if (env.REEF_NATS_NKEY) out.natsNkey = env.REEF_NATS_NKEY;
  if (env.REEF_NATS_CREDS) out.natsCreds = env.REEF_NATS_CREDS;
  if (env.REEF_DURABILITY) out.durability = env.REEF_DURABILITY;
  if (env.REEF_LOG_LEVEL) out.logLevel = env.REEF_LOG_LEVEL;
  if (env.REEF_PLUGIN_DIRS) out.pluginDirs = env.REEF_PLUGIN_DIRS.split(path.delimiter).filter(Boolean);
  return out;
}

function parseLayer(layer: Record<string, unknown>, where: string): ConfigFile {
  const parsed = ConfigFileSchema.safeParse(layer);
  if (!parsed.success) throw new ConfigError(`${where}: ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

function readConfigFile(file: string): ConfigFile {
  if (!existsSync(file)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(`${file}: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: must hold a JSON object`);
  return parseLayer(raw as Record<string, unknown>, file);
}

/** A file named by a setting, read at start so a typo fails there; `where` names the setting in the error. */
function readSettingFile(file: string, where: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${where}: cannot read ${file} (${err instanceof Error ? err.message : String(err)})`);
  }
}

/** The CA file must exist and hold PEM certificates: a typo fails at start, not at the first TLS handshake. */
function readCaFile(file: string): string {
  const where = 'the NATS CA file (--nats-ca, REEF_NATS_CA or natsCa)';
  if (!readSettingFile(file, where).includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`${where}: ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  return file;
}

/** The NKey seed file must hold a user seed: a wrong file fails at start, not as "authorization violation" at connect. */
function checkNkeyFile(file: string): string {
  const where = 'the NATS NKey seed file (--nats-nkey, REEF_NATS_NKEY or natsNkey)';
  const text = readSettingFile(file, where);
  // Never echo the file's content: it is the secret.
  if (!/^SU[A-Z2-7]{56}$/.test(text.trim())) throw new ConfigError(`${where}: ${file} does not hold a user NKey seed (one line starting with SU, as \`nsc\` or \`nk -gen user\` writes)`);
  return file;
}

/** A .creds file holds a user JWT and its seed (nsc generate creds). */
function checkCredsFile(file: string): string {
  const where = 'the NATS credentials file (--nats-creds, REEF_NATS_CREDS or natsCreds)';
  const text = readSettingFile(file, where);
  if (!text.includes('-----BEGIN NATS USER JWT-----') || !/-----BEGIN USER NKEY SEED-----/.test(text)) {
    throw new ConfigError(`${where}: ${file} is not a .creds file (it needs a NATS USER JWT and a USER NKEY SEED block, as \`nsc generate creds\` writes)`);
  }
  return file;
}

/**
 * The NATS login from the highest layer that gives one (flags, then environment, then
 * config.json): that layer decides the kind, so a token on the command line is not mixed with
 * a user in config.json. A user's password is the highest one given, wherever: the usual setup
 * is `--nats-user` on the command line and REEF_NATS_PASS in the environment, out of `ps`.
 */
function resolveNatsAuth(layers: ConfigFile[]): NatsCredentials | undefined {
  const pass = layers.find((l) => l.natsPass !== undefined)?.natsPass;
  const layer = layers.find((l) => l.natsUser !== undefined || l.natsToken !== undefined || l.natsNkey !== undefined || l.natsCreds !== undefined);
  if (!layer) {
    if (pass !== undefined) throw new ConfigError('natsPass: a NATS password needs its user (--nats-user, REEF_NATS_USER or natsUser)');
    return undefined;
  }
  if (layer.natsUser !== undefined) {
    if (pass === undefined) throw new ConfigError('natsUser: a NATS user needs its password (--nats-pass, REEF_NATS_PASS or natsPass)');
    return { kind: 'user', user: layer.natsUser, pass };
  }
  if (layer.natsToken !== undefined) return { kind: 'token', token: layer.natsToken };
  if (layer.natsNkey !== undefined) return { kind: 'nkey', seedFile: checkNkeyFile(path.resolve(layer.natsNkey)) };
  if (layer.natsCreds !== undefined) return { kind: 'creds', credsFile: checkCredsFile(path.resolve(layer.natsCreds)) };
  return undefined;
}

/** Flags are already parsed by the CLI; each layer is validated on its own so an error names its source. */
export function resolveConfig(flags: HostFlagLayer, env: NodeJS.ProcessEnv = process.env): HostConfig {
  const dataDir = path.resolve(flags.dataDir ?? defaultDataDir(env));
  const file = readConfigFile(path.join(dataDir, 'config.json'));
  const environment = parseLayer(fromEnv(env), 'environment (REEF_*)');
  const { dataDir: _ignored, modelsDir: modelsDirValue, ...flagLayer } = flags;
  const modelsDir = modelsDirValue === undefined ? undefined : modelsDirFlag(modelsDirValue);
  const cli = parseLayer(
    Object.fromEntries(Object.entries(flagLayer).filter(([, v]) => v !== undefined)),
    'command-line flags',
  );
  const merged = { ...file, ...environment, ...cli };
  if (merged.connect && (merged.nats || merged.db)) {
    throw new ConfigError(`connect: a control center runs no services of its own, so it takes neither ${merged.nats ? '--nats' : '--db'}; start the factory host with those`);
  }
  return {
    dataDir,
    host: merged.host ?? '127.0.0.1',
    port: merged.port ?? DEFAULT_PORT,
    db: merged.db,
    nats: merged.nats,
    connect: merged.connect,
    connectToken: merged.connectToken,
    natsCa: merged.natsCa === undefined ? undefined : readCaFile(path.resolve(merged.natsCa)),
    natsAuth: merged.nats || merged.connect ? resolveNatsAuth([cli, environment, file]) : undefined,
    durability: merged.durability ?? 'normal',
    logLevel: merged.logLevel ?? 'info',
    pluginDirs: [...(file.pluginDirs ?? []), ...(environment.pluginDirs ?? []), ...(cli.pluginDirs ?? [])].map((d) =>
      path.resolve(d),
    ),
    disabledPlugins: merged.disabledPlugins ?? [],
    settings: withSetting(file.settings ?? {}, MODELS_DIR_SETTING, modelsDir),
  };
}

/** The settings with one plugin's setting replaced, when a flag gives it (flags beat config.json). */
function withSetting(
  settings: HostConfig['settings'],
  { plugin, key }: { plugin: string; key: string },
  value: string | undefined,
): HostConfig['settings'] {
  if (value === undefined) return settings;
  return { ...settings, [plugin]: { ...settings[plugin], [key]: value } };
}

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}
