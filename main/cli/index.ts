/** The `reef` command line (commander): serve, start, token, doctor. */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { REEF_VERSION, ReefError } from '../../sdk/index.js';
import { ConfigError, LOG_LEVELS, natsUrls, resolveConfig, type HostConfig } from '../host/config.js';
import { openDatabase } from '../db/open.js';
import { AgentTokens } from '../host/agent-tokens.js';
import { ensureOperatorToken, operatorTokenPath } from '../server/tokens.js';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { runAuditExport, runAuditVerify, type AuditTarget } from './audit.js';
import { runDoctor } from './doctor.js';
import { runMigrate } from './migrate.js';
import { electronBinary, launchElectron } from './electron-launch.js';
import { serve } from './serve.js';
import { runReembed } from './memory.js';
import { runMcpStdio } from './mcp.js';

export interface HostFlags {
  dataDir?: string;
  port?: number;
  host?: string;
  db?: string;
  nats?: string;
  connect?: string;
  connectToken?: string;
  natsCa?: string;
  natsUser?: string;
  natsPass?: string;
  natsToken?: string;
  natsNkey?: string;
  natsCreds?: string;
  durability?: 'normal' | 'full';
  logLevel?: (typeof LOG_LEVELS)[number];
  pluginsDir?: string[];
  modelsDir?: string;
  open?: boolean;
}

function parsePort(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number from 0 to 65535 (0 picks a free port)');
  const n = Number(value);
  if (n > 65535) throw new InvalidArgumentError('must be from 0 to 65535 (0 picks a free port)');
  return n;
}

function parseBatch(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 5000) throw new InvalidArgumentError('must be a whole number from 1 to 5000');
  return Number(value);
}

function parseNats(value: string): string {
  if (!natsUrls.safeParse(value).success) {
    throw new InvalidArgumentError('must be nats://HOST:PORT (or tls://, ws://, wss://), or several separated by commas');
  }
  return value;
}

function parseDb(value: string): string {
  if (!/^postgres(ql)?:\/\/.+/.test(value) && !/^sqlite:.+/.test(value)) {
    throw new InvalidArgumentError('must be postgres://USER@HOST:PORT/DB or sqlite:PATH');
  }
  return value;
}

/** The arguments after the subcommand (argv[2]), handed to the desktop app as given. */
function argvAfter(command: string, argv: string[]): string[] {
  return argv[2] === command ? argv.slice(3) : [];
}

function parseSeq(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new InvalidArgumentError('must be a whole number (an audit entry\'s seq)');
  return Number(value);
}

function parseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('must be the host\'s address, e.g. http://127.0.0.1:7420');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('must be an http:// or https:// address');
  return url.origin;
}

interface AuditFlags {
  url?: string;
  dataDir?: string;
  port?: number;
}

/** The host to ask and the operator token: $REEF_TOKEN, else the data dir's (never made here). */
function auditTarget(flags: AuditFlags): AuditTarget | string {
  const config = configFromFlags(flags);
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = flags.url ?? `http://${host}:${config.port}`;
  const fromEnv = process.env.REEF_TOKEN?.trim();
  if (fromEnv) return { url, token: fromEnv };
  const file = operatorTokenPath(config.dataDir);
  if (!existsSync(file)) return `no operator token in ${config.dataDir}: pass --data-dir, or set $REEF_TOKEN to the host's operator token (reef token, on the host)`;
  return { url, token: readFileSync(file, 'utf8').trim() };
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

function withHostOptions(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'where Reef keeps its database, token and logs (default ~/.reef, or $REEF_DATA_DIR)')
    .option('--port <port>', 'HTTP port on the host; 0 picks a free one (default 7420)', parsePort)
    .option('--host <address>', 'address to listen on (default 127.0.0.1; anything else exposes the API)')
    .option('--db <url>', 'database: postgres://… for the factory tier, or sqlite:PATH (default: reef.db in the data dir)', parseDb)
    .option('--nats <url>', 'also serve every plugin subject on this NATS server (nats://HOST:4222, or ws://… through a WebSocket port)', parseNats)
    .option('--connect <url>', 'run as a control center for the factory at this NATS URL (no local services)', parseNats)
    .option('--connect-token <token>', "the factory's operator token (reef token, on the factory host); or $REEF_CONNECT_TOKEN")
    .option('--nats-ca <file>', 'trust the certificate authorities in this PEM file for tls:// and wss:// NATS servers; or $REEF_NATS_CA')
    .option('--nats-user <name>', 'log in to NATS (--nats or --connect) as this user, with --nats-pass; or $REEF_NATS_USER')
    .option('--nats-pass <password>', "the NATS user's password; prefer $REEF_NATS_PASS, which other users cannot see in the process list")
    .option('--nats-token <token>', 'log in to NATS with this token; prefer $REEF_NATS_TOKEN')
    .option('--nats-nkey <file>', 'log in to NATS with the user NKey seed in this file; or $REEF_NATS_NKEY')
    .option('--nats-creds <file>', 'log in to NATS with this .creds file (user JWT and seed); or $REEF_NATS_CREDS')
    .addOption(new Option('--durability <mode>', 'normal survives a killed process; full also survives power loss').choices(['normal', 'full']))
    .addOption(new Option('--log-level <level>', 'log level of <data-dir>/logs/reef.log').choices([...LOG_LEVELS]))
    .option('--plugins-dir <dir>', 'load plugins from this folder too (repeatable)', collect)
    .option('--models-dir <dir>', "the folder of .gguf models for local inference (the gpu plugin's models-dir setting; default: models in the data dir)");
}

export function configFromFlags(flags: HostFlags, env: NodeJS.ProcessEnv = process.env): HostConfig {
  return resolveConfig(
    {
      ...(flags.dataDir !== undefined && { dataDir: flags.dataDir }),
      ...(flags.port !== undefined && { port: flags.port }),
      ...(flags.host !== undefined && { host: flags.host }),
      ...(flags.db !== undefined && { db: flags.db }),
      ...(flags.nats !== undefined && { nats: flags.nats }),
      ...(flags.connect !== undefined && { connect: flags.connect }),
      ...(flags.connectToken !== undefined && { connectToken: flags.connectToken }),
      ...(flags.natsCa !== undefined && { natsCa: flags.natsCa }),
      ...(flags.natsUser !== undefined && { natsUser: flags.natsUser }),
      ...(flags.natsPass !== undefined && { natsPass: flags.natsPass }),
      ...(flags.natsToken !== undefined && { natsToken: flags.natsToken }),
      ...(flags.natsNkey !== undefined && { natsNkey: flags.natsNkey }),
      ...(flags.natsCreds !== undefined && { natsCreds: flags.natsCreds }),
      ...(flags.durability !== undefined && { durability: flags.durability }),
      ...(flags.logLevel !== undefined && { logLevel: flags.logLevel }),
      ...(flags.pluginsDir !== undefined && { pluginDirs: flags.pluginsDir }),
      ...(flags.modelsDir !== undefined && { modelsDir: flags.modelsDir }),
    },
    env,
  );
}

export function buildProgram(out: { log: (s: string) => void; error: (s: string) => void }, argv: string[] = process.argv): {
  program: Command;
  result: Promise<number>;
} {
  let settle: (code: number) => void = () => {};
  const result = new Promise<number>((resolve) => (settle = resolve));
  const program = new Command()
    .name('reef')
    .description("Reef: the operator's control center for an AI-agent factory")
    .version(REEF_VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => out.log(s.trimEnd()), writeErr: (s) => out.error(s.trimEnd()) })
    .exitOverride();

  withHostOptions(program.command('serve'))
    .description('run the host and serve the app to a browser (browser mode); prints the URL with the token')
    .option('--open', 'open the URL in the default browser')
    .action(async (flags: HostFlags) => settle(await serve(configFromFlags(flags), { open: flags.open === true, out })));

  withHostOptions(program.command('start'))
    .description('start the desktop app (Electron); falls back to browser mode when the Electron binary is missing')
    .action(async (flags: HostFlags) => {
      const config = configFromFlags(flags);
      const binary = electronBinary();
      if (binary.ok) {
        // The desktop app parses the same flags itself: hand them over as given.
        settle(await launchElectron(binary.path, argvAfter('start', argv)));
        return;
      }
      out.log(`Electron is not available (${binary.reason}); starting in browser mode instead.`);
      settle(await serve(config, { open: false, out }));
    });

  const token = program.command('token').description('print the operator token, or manage agent tokens');
  token
    .command('show', { isDefault: true })
    .description('print the operator token (made on first run, stored in the data dir with mode 0600)')
    .option('--data-dir <dir>', 'the data dir (default ~/.reef, or $REEF_DATA_DIR)')
    .action((flags: { dataDir?: string }) => {
      const config = configFromFlags(flags);
      out.log(ensureOperatorToken(config.dataDir));
      settle(0);
    });
  token
    .command('create')
    .description('make a token for an agent (printed once; stored hashed)')
    .addOption(new Option('--scope <scope>', 'what the token may do').choices(['agent']).makeOptionMandatory())
    .requiredOption('--name <name>', 'who holds it, e.g. forge; shown as the caller in logs and audits')
    .option('--data-dir <dir>', 'the data dir (default ~/.reef, or $REEF_DATA_DIR)')
    .option('--db <url>', 'the database the hosts use (default: the data dir\'s SQLite)', parseDb)
    .action(async (flags: { name: string; dataDir?: string; db?: string }) => {
      settle(await withTokens(configFromFlags(flags), async (tokens) => out.log((await tokens.create(flags.name)).token)));
    });
  token
    .command('list')
    .description('list agent tokens (names and dates, never the tokens)')
    .option('--data-dir <dir>', 'the data dir (default ~/.reef, or $REEF_DATA_DIR)')
    .option('--db <url>', 'the database the hosts use', parseDb)
    .action(async (flags: { dataDir?: string; db?: string }) => {
      settle(
        await withTokens(configFromFlags(flags), async (tokens) => {
          const list = await tokens.list();
          if (list.length === 0) out.log('no agent tokens yet: reef token create --scope agent --name NAME');
          for (const t of list) out.log(`${t.name}\t${t.scope}\tcreated ${t.createdAt}${t.revokedAt ? `\trevoked ${t.revokedAt}` : ''}`);
        }),
      );
    });
  token
    .command('revoke <name>')
    .description('revoke an agent token at once (hosts forget it within 5 s)')
    .option('--data-dir <dir>', 'the data dir (default ~/.reef, or $REEF_DATA_DIR)')
    .option('--db <url>', 'the database the hosts use', parseDb)
    .action(async (name: string, flags: { dataDir?: string; db?: string }) => {
      settle(await withTokens(configFromFlags(flags), async (tokens) => {
        await tokens.revoke(name);
        out.log(`revoked ${name}`);
      }));
    });

  program
    .command('migrate')
    .description('copy every plugin\'s data to another database (SQLite to PostgreSQL), verified; safe to run again')
    .requiredOption('--from <db>', 'where the data is now: sqlite:PATH (e.g. sqlite:~/.reef/reef.db) or postgres://…', parseDb)
    .requiredOption('--to <db>', 'where it goes: postgres://USER@HOST:PORT/DB (or sqlite:PATH)', parseDb)
    .option('--force', 'copy into a target that already holds data (rows whose key exists are kept)')
    .option('--batch <rows>', 'rows per transaction (default 1000)', parseBatch)
    .option('--data-dir <dir>', 'the data dir (for plugin folders in its config.json)')
    .action(async (flags: { from: string; to: string; force?: boolean; batch?: number; dataDir?: string }) => {
      const config = configFromFlags(flags);
      settle(await runMigrate(config, { from: flags.from, to: flags.to, force: flags.force === true, batch: flags.batch ?? 1000 }, out));
    });

  /** Runs a command against the running host (its URL and the operator token), or says why it cannot: exit 1. */
  const onHost = async (flags: AuditFlags, run: (target: AuditTarget) => Promise<number>) => {
    const target = auditTarget(flags);
    if (typeof target === 'string') {
      out.error(target);
      return settle(1);
    }
    settle(await run(target));
  };
  const audit = program.command('audit').description('the approvals audit log: check its hash chain, export it (asks the running host)');
  const auditOptions = (cmd: Command) =>
    cmd
      .option('--url <url>', 'the host to ask (default http://127.0.0.1:7420, or --port)', parseUrl)
      .option('--port <port>', "the local host's port", parsePort)
      .option('--data-dir <dir>', 'where the operator token is (default ~/.reef, or $REEF_DATA_DIR); $REEF_TOKEN overrides');
  auditOptions(audit.command('verify'))
    .description('check that no entry was edited, removed or reordered; exit 1 naming the first broken entry')
    .action(async (flags: AuditFlags) => {
      await onHost(flags, (target) => runAuditVerify(target, out));
    });
  auditOptions(audit.command('export'))
    .description('write the log as JSON lines, oldest first (to stdout, or --out FILE with a progress bar)')
    .option('--out <file>', 'write to this file (created with mode 0600) instead of stdout')
    .option('--after-seq <seq>', 'only entries after this one (to continue an earlier export)', parseSeq)
    .action(async (flags: AuditFlags & { out?: string; afterSeq?: number }) => {
      await onHost(flags, (target) => runAuditExport(target, { ...(flags.out && { file: flags.out }), ...(flags.afterSeq !== undefined && { afterSeq: flags.afterSeq }) }, out));
    });

  const memory = program.command('memory').description('agent memory (asks the running host)');
  auditOptions(memory.command('reembed'))
    .description('give every memory a vector from MODEL, with a progress bar; rerun to resume after a stop')
    .requiredOption('--model <model>', 'the embedding model (a local .gguf model, or the embedding upstream\'s)', (v: string) => {
      if (!/^[\w.:/-]{1,256}$/.test(v)) throw new InvalidArgumentError('a model name: letters, digits, ".", "_", "-", ":", "/"');
      return v;
    })
    .option('--batch <n>', 'memories per step (1-1000, default 64)', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InvalidArgumentError('a whole number from 1 to 1000');
      return n;
    })
    .action(async (flags: AuditFlags & { model: string; batch?: number }) => {
      await onHost(flags, (target) => runReembed(target, { model: flags.model, batch: flags.batch ?? 64 }, out));
    });

  program
    .command('mcp')
    .description("Reef's MCP server on stdin/stdout, forwarding to a running host's /mcp (for agent runtimes that start tools as a process)")
    .option('--url <url>', 'the host (default http://127.0.0.1:7420, or --port)', parseUrl)
    .option('--port <port>', "the local host's port", parsePort)
    .option('--token <token>', "the agent's token (reef token create --scope agent); prefer $REEF_TOKEN, which other users cannot see in the process list")
    .action(async (flags: { url?: string; port?: number; token?: string }) => {
      const token = (flags.token ?? process.env.REEF_TOKEN ?? '').trim();
      if (!token) {
        out.error('reef mcp: no token: pass --token TOKEN or set $REEF_TOKEN (an agent token: reef token create --scope agent --name NAME, on the host)');
        return settle(2);
      }
      if (/\s/.test(token)) {
        out.error('reef mcp: --token must be one word (a token has no spaces)');
        return settle(2);
      }
      const url = flags.url ?? `http://127.0.0.1:${flags.port ?? 7420}`;
      // stdout is the protocol channel: diagnostics go to stderr only.
      settle(await runMcpStdio({ url, token }, { stdin: process.stdin, stdout: process.stdout, error: (s) => process.stderr.write(`${s}\n`) }));
    });

  program
    .command('doctor')
    .description('say what is available and what is missing, each with how to fix it')
    .option('--data-dir <dir>', 'the data dir to check (default ~/.reef, or $REEF_DATA_DIR)')
    .option('--db <url>', 'also check that this PostgreSQL URL answers', parseDb)
    .action(async (flags: { dataDir?: string; db?: string }) => {
      const config = configFromFlags(flags);
      settle(await runDoctor(config, out, flags.db));
    });

  return { program, result };
}

/** Opens the database the hosts use, runs `fn` on its agent tokens, closes it. */
async function withTokens(config: HostConfig, fn: (tokens: AgentTokens) => Promise<void>): Promise<number> {
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const db = await openDatabase(config.db, config.dataDir, config.durability);
  try {
    const tokens = new AgentTokens(db);
    await tokens.init();
    await fn(tokens);
    return 0;
  } finally {
    await db.close();
  }
}

/** Runs the CLI; resolves to the exit code (0 ok, 1 failure, 2 bad usage). */
export async function main(argv: string[], out = { log: console.log, error: console.error }): Promise<number> {
  const { program, result } = buildProgram(out, argv);
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return 0;
    }
    await program.parseAsync(argv);
    return await result;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage errors were already printed by commander.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ReefError) {
      out.error(`reef: ${err.message}`);
      return err.code === 'invalid_request' ? 2 : 1;
    }
    if (err instanceof ConfigError) {
      out.error(`reef: ${err.message}`);
      return 2;
    }
    out.error(`reef: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
