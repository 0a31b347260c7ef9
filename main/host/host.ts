/** Assembles a host: config, logs, bus, database, plugins and the server, and takes them down in order. */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { REEF_VERSION, ReefError, prometheusFamily, type Bus, type BusStats, type Caller, type KeyValue, type WorkerProcessLauncher } from '../../sdk/index.js';
import { type BusLink, type HostInfo, type PluginStatus, type Tier } from '../../sdk/contract.js';
import { LocalBus } from '../bus/local-bus.js';
import { DEFAULT_EVENT_LIMITS, ensureEventStream } from '../bus/event-stream.js';
import { connectNatsBus, NatsBus } from '../bus/nats-bus.js';
import { openNatsKv, type NatsKeyValue } from '../kv/nats-kv.js';
import { SqlKeyValue } from '../kv/sql-kv.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open.js';
import { startServer, type RunningServer } from '../server/http-server.js';
import { AgentToolTable } from '../server/agent-tools.js';
import { RouteTable } from '../server/routes.js';
import { MetricsRegistry } from './metrics.js';
import { ensureOperatorToken, tokensEqual } from '../server/tokens.js';
import { isLoopback, natsServers, type HostConfig } from './config.js';
import { AgentTokens } from './agent-tokens.js';
import { busSecret } from './host-tables.js';
import { lockDataDir } from './instance-lock.js';
import { secureDataDir, type SecuredDataDir } from './data-dir.js';
import { createLogger, type Logger } from './log.js';
import { builtinPluginsDir, rendererDir } from './paths.js';
import { discoverPlugins } from './plugin-loader.js';
import { PluginHost } from './plugin-host.js';
import type { RendererHost } from './renderer-api.js';
import { StatusCache } from './status-cache.js';

export interface HostOptions {
  mode: 'electron' | 'browser';
  /** Native notifications (Electron); absent in browser mode. */
  notify?: (title: string, body?: string, onClick?: () => void) => void;
  /** How plugins' worker processes start (Electron: utility processes); absent: they fork their own. */
  launchWorker?: WorkerProcessLauncher;
  logger?: Logger;
  builtinPluginsDir?: string;
  rendererDir?: string | undefined;
  now?: () => number;
}

export interface Host {
  config: HostConfig;
  log: Logger;
  bus: Bus;
  /** Absent on a remote control center, which has no database of its own. */
  db: Database | undefined;
  plugins: PluginHost;
  server: RunningServer;
  operatorToken: string;
  rendererHost: RendererHost;
  info(): HostInfo;
  /** The URL a browser opens: the token rides once in the query, then becomes a cookie. */
  openUrl(): string;
  stop(): Promise<void>;
}

/**
 * The in-process bus, or NATS when configured: then every subject the plugins serve is served
 * on NATS, for agents in any language and for other hosts. Callers on NATS are who their
 * Reef-Token says (the operator or an agent), or a peer host proven by its signature, keyed
 * with the bus secret that never goes on the wire (which may relay its own caller).
 */
async function openBus(config: HostConfig, log: Logger, db: Database, operatorToken: string, agentTokens: AgentTokens): Promise<Bus> {
  const onListenerError = (err: unknown, subject: string) => log.error({ err: String(err), subject }, 'bus listener threw');
  if (!config.nats) return new LocalBus(onListenerError);
  const secret = await busSecret(db);
  // Refused publishes are logged at most once every 10 s, with how many were not: a client
  // sending them in a loop (on ever new subjects) must not fill the log.
  let lastRefusalAt = 0;
  let unlogged = 0;
  const refusedPublish = (subject: string, why: string) => {
    const now = Date.now();
    if (now - lastRefusalAt < 10_000) {
      unlogged++;
      return;
    }
    log.warn({ subject, why, ...(unlogged > 0 && { refusedSinceLastLine: unlogged }) }, 'NATS message refused: its sender did not prove who it is');
    lastRefusalAt = now;
    unlogged = 0;
  };
  const bus = await connectNatsBus(natsServers(config.nats), {
    name: `reef ${os.hostname()} ${process.pid}`,
    hostKey: secret,
    ...(config.natsCa !== undefined && { caFile: config.natsCa }),
    ...(config.natsAuth !== undefined && { credentials: config.natsAuth }),
    eventStream: true,
    durableEvents: durablePrefix(config),
    onListenerError: (err, subject) => {
      if (err instanceof ReefError && err.code === 'unauthorized') refusedPublish(subject, err.message);
      else onListenerError(err, subject);
    },
    onPublishDropped: (subject) => log.warn({ subject }, 'NATS unreachable: event not published'),
    // A heartbeat published on NATS has no reply to refuse: it counts only when it carries the
    // token of the agent its subject names (or the operator's), so no one else can speak for an
    // agent or add made-up agents to the registry (PROTOCOL.md, Agents).
    attributedPublishes: {
      pattern: 'reef.v1.agents.*.heartbeat',
      admit: (caller, subject) => caller.kind === 'operator' || (caller.kind === 'agent' && caller.id === subject.split('.')[3]),
    },
    authenticate: async (token): Promise<Caller> => {
      // No anonymous callers: an agent without a token could otherwise work under a shared
      // name that no pause reaches.
      if (token === undefined) {
        throw new ReefError('unauthorized', 'a request on NATS needs a Reef-Token header: an agent token (`reef token create --scope agent --name NAME`) or the operator token');
      }
      if (tokensEqual(token, operatorToken)) return { kind: 'operator', id: 'operator' };
      const agent = await agentTokens.verify(token);
      if (!agent) throw new ReefError('unauthorized', 'the Reef-Token header holds an unknown or revoked token');
      return agent;
    },
  });
  try {
    // Three copies on a cluster, so losing a node loses no event.
    await ensureEventStream(bus.connection, { ...DEFAULT_EVENT_LIMITS, replicas: bus.connection.info?.cluster ? 3 : 1 });
    bus.useEventStream();
  } catch (err) {
    log.warn({ err: String(err) }, 'no JetStream on the NATS server: events are live only, a reconnecting control center cannot replay them');
  }
  return bus;
}

/** Durable event consumers are named after the data dir, so a restarted host finds its own. */
function durablePrefix(config: HostConfig): string {
  return `reef_${createHash('sha1').update(`${os.hostname()}:${config.dataDir}`).digest('hex').slice(0, 12)}`;
}

/**
 * A control center's bus: NATS to a factory whose services answer. With the factory's
 * operator token (--connect-token) it acts as the operator; without one, as an anonymous agent.
 */
async function connectRemote(config: HostConfig, log: Logger): Promise<Bus> {
  return connectNatsBus(natsServers(config.connect as string), {
    name: `reef control center ${os.hostname()} ${process.pid}`,
    ...(config.connectToken ? { token: config.connectToken } : {}),
    ...(config.natsCa !== undefined && { caFile: config.natsCa }),
    ...(config.natsAuth !== undefined && { credentials: config.natsAuth }),
    eventStream: true,
    durableEvents: durablePrefix(config),
    onListenerError: (err, subject) => log.error({ err: String(err), subject }, 'bus listener threw'),
    onPublishDropped: (subject) => log.warn({ subject }, 'factory unreachable: message not published'),
  });
}

export async function startHost(config: HostConfig, options: HostOptions): Promise<Host> {
  // Before anything is written there: the dir holds the operator token, the signing key and token hashes.
  const secured = secureDataDir(config.dataDir);
  const lock = lockDataDir(config.dataDir);
  try {
    return await assemble(config, options, () => lock.release(), secured);
  } catch (err) {
    lock.release();
    throw err;
  }
}

async function assemble(config: HostConfig, options: HostOptions, releaseLock: () => void, secured: SecuredDataDir): Promise<Host> {
  const log = options.logger ?? createLogger(config);
  if (secured.tightened.length) {
    log.warn({ dataDir: config.dataDir, paths: secured.tightened.slice(0, 20), count: secured.tightened.length }, 'the data dir was open to other users: took their access away (it holds tokens and keys)');
  }
  if (secured.untouched.length) {
    log.warn({ dataDir: config.dataDir, files: secured.untouched.slice(0, 20) }, 'files in the data dir are open to other users and could not be changed (another owner?): fix their modes by hand');
  }
  if (!isLoopback(config.host)) {
    log.warn({ host: config.host }, `listening on ${config.host}: the API is reachable from other machines; keep the operator token secret`);
  }
  const startedAt = Date.now();
  const operatorToken = ensureOperatorToken(config.dataDir);
  // A remote control center runs no services of its own: no database, no plugin host code.
  const remote = config.connect !== undefined;
  const db = remote ? undefined : await openDatabase(config.db, config.dataDir, config.durability, (message) =>
        log.warn({ err: message }, 'a background WAL checkpoint failed; the next one or the commit-time backstop will catch up'),
      );
  const tier: Tier = remote ? 'control-center' : db?.dialect === 'postgres' ? 'factory' : 'single-box';
  const agentTokens = db ? new AgentTokens(db) : undefined;
  let bus: Bus | undefined;
  let kv: KeyValue | undefined;
  // With NATS, hosts share state (leader leases, pause flags) in the KV bucket "reef"; else the database.
  let natsKv: NatsKeyValue | undefined;
  try {
    await agentTokens?.init();
    bus = db && agentTokens ? await openBus(config, log, db, operatorToken, agentTokens) : await connectRemote(config, log);
    if (db && config.nats && bus instanceof NatsBus) {
      // Replicated on a cluster (the server reports one), a single copy on a lone server.
      natsKv = await openNatsKv(bus.connection, { bucket: 'reef', replicas: bus.connection.info?.cluster ? 3 : 1 }).catch((err: unknown) => {
        log.warn({ err: String(err) }, 'no NATS KV (JetStream) on the NATS server: shared state stays in the database');
        return undefined;
      });
      kv = natsKv;
    }
    if (db && !kv) {
      const sqlKv = new SqlKeyValue(db);
      await sqlKv.init();
      kv = sqlKv;
    }
  } catch (err) {
    await bus?.close();
    await db?.close();
    throw err;
  }
  // The NATS link the header shows (a factory host on NATS, or a control center).
  const natsLink = bus instanceof NatsBus ? bus : undefined;
  const info = (): HostInfo => ({
    version: REEF_VERSION,
    tier,
    mode: options.mode,
    database: db?.dialect ?? 'none',
    bus: config.nats || remote ? 'nats' : 'local',
    pid: process.pid,
    startedAt,
    node: process.versions.node,
    platform: `${os.platform()}-${os.arch()}`,
    dataDir: config.dataDir,
    ...(natsLink && { link: { state: natsLink.status(), server: natsLink.serverUrl() } }),
  });
  const routes = new RouteTable();
  const tools = new AgentToolTable();
  const metrics = new MetricsRegistry((msg, fields) => log.warn(fields, msg));
  const plugins = new PluginHost({
    metrics,
    bus,
    db,
    ...(kv ? { kv } : {}),
    remote,
    routes,
    tools,
    log,
    hostInfo: info,
    settings: config.settings,
    ...(options.now ? { now: options.now } : {}),
    ...(options.launchWorker ? { launchWorker: options.launchWorker } : {}),
  });
  const discovery = discoverPlugins([
    { dir: options.builtinPluginsDir ?? builtinPluginsDir(), builtin: true },
    ...config.pluginDirs.map((dir) => ({ dir, builtin: false })),
  ]);
  for (const p of discovery.problems) log.error({ file: p.file }, `plugin manifest refused: ${p.message}`);
  plugins.setProblems(discovery.problems);
  for (const p of discovery.plugins) if (!config.disabledPlugins.includes(p.manifest.id)) plugins.add(p);

  // Status-bar values are retained, so a window opening later shows them at once.
  const statusCache = new StatusCache(bus, (err, subject) => log.warn({ err: String(err), subject }, 'status item not followed'));
  const statusSubjects = () => plugins.list().flatMap((p) => (p.state === 'failed' ? [] : p.contributes.statusItems.map((i) => i.subject)));
  const stopTrackingStatus = plugins.onChange(() => void statusCache.track(statusSubjects()));
  await statusCache.track(statusSubjects());

  const rendererHost: RendererHost = {
    bus,
    lastStatus: (subject) => statusCache.get(subject),
    hostInfo: info,
    plugins: () => plugins.list(),
    manifestProblems: () => plugins.manifestProblems(),
    onPluginsChanged: (l) => plugins.onChange(l),
    ...(natsLink && { onBusLink: (l: (link: BusLink) => void) => natsLink.onStatus((state, server) => l({ state, server })) }),
    notify: (title, body, onClick) => {
      if (!options.notify) return false;
      options.notify(title, body, onClick);
      return true;
    },
  };

  metrics.add('host', () => hostMetrics(startedAt, bus?.stats(), plugins.list()));
  await plugins.activateAll();
  let server: RunningServer;
  try {
    server = await startServer({
      host: config.host,
      port: config.port,
      operatorToken,
      ...(agentTokens ? { verifyAgentToken: (token: string) => agentTokens.verify(token) } : {}),
      routes,
      tools,
      bus,
      rendererHost,
      rendererDir: options.rendererDir === undefined && !('rendererDir' in options) ? rendererDir() : options.rendererDir,
      pluginDir: (id) => plugins.pluginDir(id),
      log,
      version: REEF_VERSION,
      tier: () => tier,
      metrics: () => metrics.render(),
    });
  } catch (err) {
    stopTrackingStatus();
    await statusCache.close();
    await plugins.deactivateAll();
    natsKv?.close();
    await bus.close();
    await db?.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') throw new Error(`port ${config.port} on ${config.host} is in use: pick another with --port (0 picks a free one)`);
    throw err;
  }
  log.info({ url: server.url, db: db?.description ?? `remote ${config.connect}` }, 'host started');

  let stopping: Promise<void> | undefined;
  return {
    config,
    log,
    bus,
    db,
    plugins,
    server,
    operatorToken,
    rendererHost,
    info,
    openUrl: () => `${server.url}/?token=${encodeURIComponent(operatorToken)}`,
    stop: () => {
      stopping ??= (async () => {
        await server.close();
        stopTrackingStatus();
        await statusCache.close();
        await plugins.deactivateAll();
        natsKv?.close();
        await bus.close();
        await db?.close();
        releaseLock();
        log.info('host stopped');
        log.flush?.();
      })();
      return stopping;
    },
  };
}

/** The host's own part of GET /metrics. */
function hostMetrics(startedAt: number, stats: BusStats | undefined, plugins: readonly PluginStatus[]): string {
  const states = new Map<string, number>();
  for (const p of plugins) states.set(p.state, (states.get(p.state) ?? 0) + 1);
  return [
    prometheusFamily('reef_up', 'gauge', 'The host is running.', [{ value: 1 }]),
    prometheusFamily('reef_uptime_seconds', 'gauge', 'Seconds since the host started.', [{ value: Math.round((Date.now() - startedAt) / 1000) }]),
    prometheusFamily('reef_info', 'gauge', 'The host version.', [{ labels: { version: REEF_VERSION }, value: 1 }]),
    ...(stats
      ? [
          prometheusFamily('reef_bus_requests_total', 'counter', 'Requests over the bus since the host started.', [{ value: stats.requests }]),
          prometheusFamily('reef_bus_publishes_total', 'counter', 'Messages published on the bus since the host started.', [{ value: stats.publishes }]),
          prometheusFamily('reef_bus_errors_total', 'counter', 'Bus requests answered with an error since the host started.', [{ value: stats.errors }]),
        ]
      : []),
    prometheusFamily('reef_plugins', 'gauge', 'Plugins by state.', [...states].map(([state, value]) => ({ labels: { state }, value }))),
  ].join('\n');
}
