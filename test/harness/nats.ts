/**
 * Throwaway nats-server processes for integration tests: one node (JetStream, TCP and
 * WebSocket listeners) or a 3-node JetStream cluster, on loopback free ports, each with a
 * monitoring port the harness polls for readiness. Nodes can be killed and restarted on the
 * same ports and store dirs, so tests can play outages. With `users`, the server takes the
 * users and permissions of docs/nats/reef-users.conf (the example shipped to operators).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findBinary, requireOrSkip, type Availability } from './binaries.js';
import { freePort } from './ports.js';

const HOST = '127.0.0.1';
const BINARY_DIRS = ['/usr/sbin', '/usr/local/sbin', '/usr/local/bin', '/usr/bin'];
const READY_TIMEOUT_MS = 20_000;
/** The example users file operators are given; the tests run against it, so it stays right. */
export const REEF_USERS_CONF = fileURLToPath(new URL('../../docs/nats/reef-users.conf', import.meta.url));

/** A NATS login of docs/nats/reef-users.conf. */
export interface NatsLogin {
  user: string;
  pass: string;
}

/** The users of docs/nats/reef-users.conf, with passwords made for this server. */
export interface NatsUsers {
  host: NatsLogin;
  center: NatsLogin;
  /** Agents: they may use only the agent subjects, and their inbox prefix must be `_INBOX.<user>`. */
  forge: NatsLogin;
  quill: NatsLogin;
}

function makeUsers(): { users: NatsUsers; env: Record<string, string> } {
  // nats-server parses a variable's value as config: one starting with a digit would be read as a number.
  const pass = () => `pw${randomBytes(12).toString('hex')}`;
  const users: NatsUsers = {
    host: { user: 'reef-host', pass: pass() },
    center: { user: 'reef-center', pass: pass() },
    forge: { user: 'forge', pass: pass() },
    quill: { user: 'quill', pass: pass() },
  };
  return {
    users,
    env: {
      REEF_NATS_HOST_PASS: users.host.pass,
      REEF_NATS_CENTER_PASS: users.center.pass,
      REEF_NATS_AGENT_FORGE_PASS: users.forge.pass,
      REEF_NATS_AGENT_QUILL_PASS: users.quill.pass,
    },
  };
}

function locateBinary(env: NodeJS.ProcessEnv, dirs: readonly string[] = BINARY_DIRS): string | undefined {
  if (env.REEF_TEST_NATS_SERVER) return env.REEF_TEST_NATS_SERVER;
  return findBinary('nats-server', dirs, env);
}

/** Whether NATS tests can run here (`dirs`: where to look before PATH). */
export function natsAvailability(env: NodeJS.ProcessEnv = process.env, dirs: readonly string[] = BINARY_DIRS): Availability {
  return locateBinary(env, dirs)
    ? { ok: true }
    : { ok: false, reason: 'nats-server not found in /usr/sbin, /usr/local/bin or on PATH; install nats-server or set REEF_TEST_NATS_SERVER' };
}

/** The one way a suite needs nats-server: `describe.runIf(natsOrSkip(name))`; false (with the reason printed) when missing, a thrown error under CI. */
export function natsOrSkip(suite: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return requireOrSkip(suite, natsAvailability(env), env);
}

/** `nats-server -t`: whether this server accepts a configuration file (with `env` for its variables), and what it says. */
export function checkNatsConfig(file: string, env: Record<string, string>): { ok: boolean; output: string } {
  const r = spawnSync(binaryOrThrow(process.env), ['-t', '-c', file], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { ok: r.status === 0, output: `${r.stdout}${r.stderr}` };
}

/** One nats-server process. */
export interface NatsNode {
  /** nats://127.0.0.1:PORT */
  url: string;
  port: number;
  /** http://127.0.0.1:MONITOR_PORT, for /varz, /routez, /jsz, /healthz */
  monitorUrl: string;
  storeDir: string;
  running(): boolean;
  /** SIGKILL: no goodbye to clients or routes, as when a machine dies. */
  kill(): Promise<void>;
  /** Starts again on the same ports and store dir (killing it first if it still runs); resolves when ready. */
  restart(): Promise<void>;
}

export interface RunningNats extends NatsNode {
  /** With `users`: the logins of docs/nats/reef-users.conf (anonymous clients are refused). */
  users?: NatsUsers;
  /** ws://127.0.0.1:WSPORT (WebSocket listener, no TLS) */
  wsUrl: string;
  wsPort: number;
  /** Stops the server (SIGTERM, then SIGKILL) and removes its files. */
  stop(): Promise<void>;
}

export interface NatsCluster {
  urls: string[];
  /** With `users`: the logins of docs/nats/reef-users.conf. */
  users?: NatsUsers;
  nodes: NatsNode[];
  /** Resolves when every running node routes to every other running node and JetStream has a meta leader. */
  healthy(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

interface NodePorts {
  client: number;
  monitor: number;
  websocket?: number;
  cluster?: number;
}

interface NodeConfig {
  name: string;
  ports: NodePorts;
  storeDir: string;
  cluster?: { name: string; routes: number[] };
  /** Serve clients (TCP and WebSocket) over TLS with this certificate. */
  tls?: TlsFiles;
  /** Include the example users file (its passwords come from the server's environment). */
  usersFrom?: { configDir: string };
  /** A config block of the test's own, e.g. `authorization { token: "…" }`. */
  extra?: string;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

function renderConfig(c: NodeConfig): string {
  const q = JSON.stringify;
  const lines = [
    `server_name: ${q(c.name)}`,
    `listen: ${q(`${HOST}:${c.ports.client}`)}`,
    `http: ${q(`${HOST}:${c.ports.monitor}`)}`,
    // Modest limits: tests share the machine.
    `jetstream { store_dir: ${q(c.storeDir)}, max_memory_store: 268435456, max_file_store: 1073741824 }`,
  ];
  const tls = c.tls && `tls { cert_file: ${q(c.tls.certFile)}, key_file: ${q(c.tls.keyFile)} }`;
  if (tls) lines.push(tls);
  if (c.ports.websocket !== undefined) lines.push(`websocket { listen: ${q(`${HOST}:${c.ports.websocket}`)}, ${tls ?? 'no_tls: true'} }`);
  // nats-server reads an include relative to the including file, never as an absolute path.
  if (c.usersFrom) lines.push(`include ${q(path.relative(c.usersFrom.configDir, REEF_USERS_CONF))}`);
  if (c.extra) lines.push(c.extra);
  if (c.cluster && c.ports.cluster !== undefined) {
    const routes = c.cluster.routes.map((p) => q(`nats-route://${HOST}:${p}`)).join(', ');
    lines.push(`cluster { name: ${q(c.cluster.name)}, listen: ${q(`${HOST}:${c.ports.cluster}`)}, routes: [${routes}] }`);
  }
  return `${lines.join('\n')}\n`;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

/** A nats-server child process with a fixed config file; start and stop it as often as needed. */
class NatsProcess {
  private child: ChildProcess | undefined;
  private log = '';
  private readonly exitHook = () => this.child?.kill('SIGKILL');

  constructor(
    private readonly binary: string,
    readonly configFile: string,
    readonly config: NodeConfig,
    private readonly env: Record<string, string> = {},
  ) {}

  running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  logTail(): string {
    return this.log.slice(-3000);
  }

  /** Spawns the server and resolves once `isReady` passes; rejects with the log when it exits first. */
  async start(isReady: () => Promise<boolean>): Promise<void> {
    this.log = '';
    const child = spawn(this.binary, ['-c', this.configFile], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...this.env } });
    this.child = child;
    process.once('exit', this.exitHook);
    child.stderr?.on('data', (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-20_000);
    });
    let exited = false;
    child.once('exit', () => {
      exited = true;
      process.off('exit', this.exitHook);
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exited) throw new Error(`nats-server ${this.config.name} exited during start\n${this.logTail()}`);
      if (await isReady().catch(() => false)) return;
      if (Date.now() > deadline) {
        await this.signal('SIGKILL');
        throw new Error(`nats-server ${this.config.name} not ready within ${READY_TIMEOUT_MS} ms\n${this.logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Sends `signal` and waits for the exit (SIGKILL after 5 s if SIGTERM is not enough). */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running()) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

async function nodeReady(p: NatsProcess): Promise<boolean> {
  const health = (await getJson(`http://${HOST}:${p.config.ports.monitor}/healthz`)) as { status?: string };
  return health.status === 'ok';
}

function nodeHandle(p: NatsProcess, isReady: () => Promise<boolean>): NatsNode {
  return {
    url: `nats://${HOST}:${p.config.ports.client}`,
    port: p.config.ports.client,
    monitorUrl: `http://${HOST}:${p.config.ports.monitor}`,
    storeDir: p.config.storeDir,
    running: () => p.running(),
    kill: () => p.signal('SIGKILL'),
    restart: async () => {
      await p.signal('SIGKILL');
      await p.start(isReady);
    },
  };
}

function binaryOrThrow(env: NodeJS.ProcessEnv): string {
  const binary = locateBinary(env);
  if (!binary) throw new Error((natsAvailability(env) as { reason: string }).reason);
  return binary;
}

/** The failed start was a port another process took between freePort() and the bind. */
const portTaken = (err: unknown) => err instanceof Error && /address already in use/i.test(err.message);

/**
 * Starts one nats-server with JetStream (store in a temp dir), a TCP and a WebSocket
 * listener on loopback free ports. Call in `beforeAll`; call `stop()` in `afterAll`.
 */
export async function startNats(
  options: { env?: NodeJS.ProcessEnv; name?: string; tls?: TlsFiles; users?: boolean; extraConfig?: string } = {},
): Promise<RunningNats> {
  const binary = binaryOrThrow(options.env ?? process.env);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reef-nats-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  // A test process that dies without its afterAll must not leave store dirs behind (the servers die with it).
  process.once('exit', removeDir);
  const logins = options.users ? makeUsers() : undefined;
  for (let attempt = 1; ; attempt++) {
    const [client, monitor, websocket] = await Promise.all([freePort(), freePort(), freePort()]);
    const config: NodeConfig = {
      name: options.name ?? 'reef-test',
      ports: { client, monitor, websocket },
      storeDir: path.join(dir, 'js'),
      ...(options.tls && { tls: options.tls }),
      ...(options.users && { usersFrom: { configDir: dir } }),
      ...(options.extraConfig !== undefined && { extra: options.extraConfig }),
    };
    const configFile = path.join(dir, 'nats.conf');
    writeFileSync(configFile, renderConfig(config));
    const p = new NatsProcess(binary, configFile, config, logins?.env);
    const ready = () => nodeReady(p);
    try {
      await p.start(ready);
    } catch (err) {
      if (attempt < 3 && portTaken(err)) continue;
      process.off('exit', removeDir);
      removeDir();
      throw err;
    }
    return {
      ...nodeHandle(p, ready),
      ...(options.tls && { url: `tls://${HOST}:${client}` }),
      ...(logins && { users: logins.users }),
      wsUrl: `${options.tls ? 'wss' : 'ws'}://${HOST}:${websocket}`,
      wsPort: websocket,
      stop: async () => {
        await p.signal('SIGTERM');
        process.off('exit', removeDir);
        removeDir();
      },
    };
  }
}

interface RouteInfo {
  num_routes?: number;
  routes?: Array<{ remote_id?: string }>;
}

/**
 * A node is part of the cluster when it routes to every other running node and knows the
 * JetStream meta leader; the leader itself, when it counts every other running node as a
 * current peer. Without that last check a stream with one replica per node could be refused
 * ("no suitable peers for placement") by a leader that had not heard from a peer yet: it
 * failed a CI run once.
 */
async function clusterNodeReady(p: NatsProcess, peers: number): Promise<boolean> {
  const base = `http://${HOST}:${p.config.ports.monitor}`;
  const routez = (await getJson(`${base}/routez`)) as RouteInfo;
  const remotes = new Set((routez.routes ?? []).map((r) => r.remote_id));
  if (remotes.size < peers) return false;
  const jsz = (await getJson(`${base}/jsz`)) as { meta_cluster?: { leader?: string; replicas?: Array<{ current?: boolean; offline?: boolean }> } };
  const meta = jsz.meta_cluster;
  if (!meta?.leader) return false;
  if (meta.leader !== p.config.name) return true;
  return (meta.replicas ?? []).filter((r) => r.current && !r.offline).length >= peers;
}

/**
 * Starts `size` nats-servers routed into one cluster with clustered JetStream (distinct
 * server names and store dirs, one cluster name). Resolves once all routes are up and
 * JetStream has elected a meta leader.
 */
export async function startNatsCluster(size = 3, options: { env?: NodeJS.ProcessEnv; users?: boolean } = {}): Promise<NatsCluster> {
  const binary = binaryOrThrow(options.env ?? process.env);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'reef-nats-cluster-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.once('exit', removeDir);
  const clusterName = `reef-test-${path.basename(dir).slice(-6)}`;
  const logins = options.users ? makeUsers() : undefined;
  for (let attempt = 1; ; attempt++) {
    const ports: NodePorts[] = [];
    for (let i = 0; i < size; i++) {
      const [client, monitor, cluster] = await Promise.all([freePort(), freePort(), freePort()]);
      ports.push({ client, monitor, cluster });
    }
    const processes = ports.map((nodePorts, i) => {
      const nodeDir = path.join(dir, `n${i + 1}`);
      mkdirSync(nodeDir, { recursive: true });
      const config: NodeConfig = {
        name: `n${i + 1}`,
        ports: nodePorts,
        storeDir: path.join(nodeDir, 'js'),
        cluster: { name: clusterName, routes: ports.filter((_, j) => j !== i).map((p) => p.cluster ?? 0) },
        ...(options.users && { usersFrom: { configDir: nodeDir } }),
      };
      const configFile = path.join(nodeDir, 'nats.conf');
      writeFileSync(configFile, renderConfig(config));
      return new NatsProcess(binary, configFile, config, logins?.env);
    });
    const peersUp = (p: NatsProcess) => clusterNodeReady(p, processes.filter((q) => q !== p && q.running()).length);
    const healthy = async (timeoutMs = READY_TIMEOUT_MS) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const running = processes.filter((p) => p.running());
        const states = await Promise.all(running.map((p) => peersUp(p).catch(() => false)));
        if (states.every(Boolean)) return;
        if (Date.now() > deadline) {
          const logs = running.map((p) => `--- ${p.config.name}\n${p.logTail()}`).join('\n');
          throw new Error(`NATS cluster not healthy within ${timeoutMs} ms\n${logs}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const stopAll = () => Promise.all(processes.map((p) => p.signal('SIGTERM')));
    try {
      // A node alone cannot elect a meta leader, so each one is only "listening" here; health comes after.
      await Promise.all(processes.map((p) => p.start(async () => (await getJson(`http://${HOST}:${p.config.ports.monitor}/varz`)) !== undefined)));
      await healthy();
    } catch (err) {
      await stopAll();
      if (attempt < 3 && portTaken(err)) continue;
      process.off('exit', removeDir);
      removeDir();
      throw err;
    }
    const nodes = processes.map((p) => {
      const handle = nodeHandle(p, async () => (await getJson(`http://${HOST}:${p.config.ports.monitor}/varz`)) !== undefined);
      return {
        ...handle,
        restart: async () => {
          await handle.restart();
          await healthy();
        },
      };
    });
    return {
      urls: nodes.map((n) => n.url),
      ...(logins && { users: logins.users }),
      nodes,
      healthy,
      stop: async () => {
        await stopAll();
        process.off('exit', removeDir);
        removeDir();
      },
    };
  }
}
