/** Activates plugins, hands each a ctx scoped by its permissions, and disposes all it registered. */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReefError, type Bus, type Disposable, type HttpRoute, type KeyValue, type Manifest, type PluginContext, type PluginDatabase, type PluginModule, type WorkerProcessLauncher } from '../../sdk/index.js';
import { type HostInfo, type ManifestProblem, type PluginStatus } from '../../sdk/contract.js';
import type { Database } from '../db/database.js';
import { pluginDatabase } from '../db/plugin-database.js';
import { scopedKv } from '../kv/kv.js';
import type { Logger } from './log.js';
import { assertAllowed } from './permissions.js';
import { assertNoRouteShadow, assertNoServeOverlap } from './plugin-conflicts.js';
import type { DiscoveredPlugin } from './plugin-loader.js';
import type { MetricsRegistry } from './metrics.js';
import type { AgentToolTable } from '../server/agent-tools.js';
import type { RouteTable } from '../server/routes.js';

type PluginState = PluginStatus['state'];

interface PluginRecord {
  discovered: DiscoveredPlugin;
  state: PluginState;
  error?: string;
  module?: PluginModule;
  disposables: Disposable[];
  /** Bumped on every activation and teardown: a ctx from an earlier one can no longer register anything. */
  generation: number;
  /** A conflict with another plugin met while activating: it fails the plugin even if its code caught the error. */
  refusal?: ReefError;
}

export interface PluginHostDeps {
  bus: Bus;
  db: Database | undefined;
  routes: RouteTable;
  /** What plugins offer agents over MCP; without it ctx.tools keeps nothing. */
  tools?: AgentToolTable;
  log: Logger;
  hostInfo: () => HostInfo;
  settings: Record<string, Record<string, string | number | boolean>>;
  /** The host's shared state; plugins see it scoped to their id. */
  kv?: KeyValue;
  /** A control center: plugins' services run on the factory, so their host code is not run here. */
  remote?: boolean;
  now?: () => number;
  activationTimeoutMs?: number;
  /** Where plugins' metrics go (GET /metrics); without it ctx.metrics.collect keeps nothing. */
  metrics?: MetricsRegistry;
  /** How plugins' worker processes start, where the shell has its own way (Electron); plugins see it as ctx.host.launchWorker. */
  launchWorker?: WorkerProcessLauncher;
}

/** What ctx.kv is when the host was given no store (some tests): every call says so. */
const NO_KV: KeyValue = new Proxy({} as KeyValue, {
  get: () => async () => {
    throw new ReefError('unavailable', 'this host has no key-value store');
  },
});

export class PluginHost {
  private readonly records = new Map<string, PluginRecord>();
  private readonly listeners = new Set<() => void>();
  private problems: ManifestProblem[] = [];

  constructor(private readonly deps: PluginHostDeps) {}

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setProblems(problems: ManifestProblem[]): void {
    this.problems = problems;
    this.changed();
  }

  manifestProblems(): ManifestProblem[] {
    return [...this.problems];
  }

  /** How many things the plugin holds for undoing at deactivate (diagnostics: it must not grow with time). */
  heldCount(id: string): number {
    return this.records.get(id)?.disposables.length ?? 0;
  }

  list(): PluginStatus[] {
    return [...this.records.values()].map((r) => {
      const m = r.discovered.manifest;
      const status: PluginStatus = {
        id: m.id,
        version: m.version,
        displayName: m.displayName,
        state: r.state,
        builtin: r.discovered.builtin,
        contributes: m.contributes,
      };
      if (r.error) status.error = r.error;
      if (this.deps.remote) status.location = 'remote';
      return status;
    });
  }

  pluginDir(id: string): string | undefined {
    return this.records.get(id)?.discovered.dir;
  }

  add(plugin: DiscoveredPlugin): void {
    this.records.set(plugin.manifest.id, { discovered: plugin, state: 'loaded', disposables: [], generation: 0 });
    this.changed();
  }

  async activateAll(): Promise<void> {
    for (const id of this.records.keys()) await this.activate(id);
  }

  /** A plugin that throws (or hangs) in activate is marked failed with its error; the host goes on. */
  async activate(id: string): Promise<PluginState> {
    const record = this.records.get(id);
    if (!record) throw new ReefError('not_found', `no plugin "${id}"`);
    if (record.state === 'active') return record.state;
    const { manifest, dir } = record.discovered;
    record.state = 'activating';
    record.generation++;
    delete record.error;
    delete record.refusal;
    this.changed();
    try {
      // Checked before any of its code runs: a refused plugin never gets to serve anything.
      assertNoServeOverlap(manifest, this.claimHolders(id));
      if (manifest.host && !this.deps.remote) {
        const mod = (await import(pathToFileURL(path.join(dir, manifest.host)).href)) as Partial<PluginModule>;
        if (typeof mod.activate !== 'function') throw new Error(`${manifest.host} does not export an activate function`);
        record.module = mod as PluginModule;
        const ctx = this.contextFor(record);
        await withTimeout(
          Promise.resolve(record.module.activate(ctx)),
          this.deps.activationTimeoutMs ?? 15_000,
          `activate did not finish within ${this.deps.activationTimeoutMs ?? 15_000} ms`,
        );
        if (record.refusal) throw record.refusal;
      }
      record.state = 'active';
      this.deps.log.info({ plugin: id }, 'plugin active');
    } catch (err) {
      record.state = 'failed';
      record.error = err instanceof Error ? err.message : String(err);
      this.deps.log.error({ plugin: id, err: record.error }, 'plugin failed to activate');
      await this.disposeAll(record);
    }
    this.changed();
    return record.state;
  }

  async deactivate(id: string): Promise<void> {
    const record = this.records.get(id);
    if (!record || record.state === 'inactive' || record.state === 'loaded') return;
    try {
      await record.module?.deactivate?.();
    } catch (err) {
      this.deps.log.error({ plugin: id, err: String(err) }, 'plugin deactivate threw');
    }
    await this.disposeAll(record);
    if (record.state !== 'failed') record.state = 'inactive';
    this.changed();
  }

  async deactivateAll(): Promise<void> {
    for (const id of [...this.records.keys()].reverse()) await this.deactivate(id);
  }

  /** Manifests of the other plugins that run or are starting: their serve grants are taken. */
  private claimHolders(id: string): Manifest[] {
    return [...this.records.values()]
      .filter((r) => r.discovered.manifest.id !== id && (r.state === 'active' || r.state === 'activating'))
      .map((r) => r.discovered.manifest);
  }

  private async disposeAll(record: PluginRecord): Promise<void> {
    record.generation++;
    const items = record.disposables.splice(0).reverse();
    for (const d of items) {
      try {
        await d.dispose();
      } catch (err) {
        this.deps.log.error({ plugin: record.discovered.manifest.id, err: String(err) }, 'dispose failed');
      }
    }
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  private contextFor(record: PluginRecord): PluginContext {
    const { manifest } = record.discovered;
    const { bus, routes } = this.deps;
    const caller = { kind: 'plugin' as const, id: manifest.id };
    const generation = record.generation;
    // An activate that timed out (or a stray callback after deactivate) must not leave live registrations behind.
    const track = (d: Disposable): Disposable => {
      if (record.generation !== generation) {
        void Promise.resolve()
          .then(() => d.dispose())
          .catch(() => {});
        throw new ReefError('unavailable', `plugin ${manifest.id} is no longer active; nothing more can be registered`);
      }
      record.disposables.push(d);
      return d;
    };
    /** Done with before deactivation (a timeout that fired, a route removed): off the list, so it does not grow. */
    const untrack = (d: Disposable): void => {
      const i = record.disposables.indexOf(d);
      if (i >= 0) record.disposables.splice(i, 1);
    };
    const subscription = (sub: { unsubscribe(): Promise<void> }): Disposable => track({ dispose: () => sub.unsubscribe() });
    const log = this.deps.log.child({ plugin: manifest.id });
    const settings: Record<string, string | number | boolean> = {};
    for (const s of manifest.contributes.settings) if (s.default !== undefined) settings[s.key] = s.default;
    Object.assign(settings, this.deps.settings[manifest.id] ?? {});

    return {
      manifest,
      log: {
        debug: (msg, fields) => log.debug(fields ?? {}, msg),
        info: (msg, fields) => log.info(fields ?? {}, msg),
        warn: (msg, fields) => log.warn(fields ?? {}, msg),
        error: (msg, fields) => log.error(fields ?? {}, msg),
      },
      bus: {
        request: async (subject, body, options) => {
          assertAllowed(manifest, 'request', subject);
          return bus.request(subject, body, { ...options, caller });
        },
        publish: async (subject, body) => {
          assertAllowed(manifest, 'publish', subject);
          return bus.publish(subject, body);
        },
        subscribe: async (pattern, onMessage, options) => {
          assertAllowed(manifest, 'subscribe', pattern);
          return subscription(await bus.subscribe(pattern, onMessage, options));
        },
        serve: async (pattern, handler, options) => {
          assertAllowed(manifest, 'serve', pattern);
          return subscription(await bus.serve(pattern, handler, options));
        },
      },
      db: manifest.permissions.database ? this.databaseFor(manifest, track) : undefined,
      kv: this.deps.kv ? scopedKv(this.deps.kv, manifest.id, track) : NO_KV,
      host: {
        info: () => this.deps.hostInfo(),
        plugins: () => this.list(),
        busStats: () => bus.stats(),
        ...(this.deps.launchWorker ? { launchWorker: this.deps.launchWorker } : {}),
      },
      timers: {
        setInterval: (fn, ms) => {
          const t = setInterval(fn, ms);
          t.unref();
          return track({ dispose: () => clearInterval(t) });
        },
        setTimeout: (fn, ms) => {
          const handle: Disposable = {
            dispose: () => {
              clearTimeout(t);
              untrack(handle);
            },
          };
          const t = setTimeout(() => {
            untrack(handle);
            fn();
          }, ms);
          t.unref();
          return track(handle);
        },
      },
      http: {
        route: (route: HttpRoute) => {
          if (!manifest.permissions.http) {
            throw new ReefError('forbidden', `plugin ${manifest.id} may not add HTTP routes: permissions.http is not true in its manifest`);
          }
          assertAllowed(manifest, 'serve', route.subject);
          try {
            assertNoRouteShadow(manifest.id, route, routes.list());
          } catch (err) {
            if (err instanceof ReefError && record.state === 'activating' && record.generation === generation) record.refusal ??= err;
            throw err;
          }
          return track(routes.add(route, manifest.id));
        },
      },
      tools: {
        register: (tool) => {
          assertAllowed(manifest, 'serve', tool.subject);
          return track(this.deps.tools ? this.deps.tools.add(tool, manifest.id) : { dispose: () => {} });
        },
        resource: (resource) => {
          assertAllowed(manifest, 'serve', resource.subject);
          return track(this.deps.tools ? this.deps.tools.addResource(resource, manifest.id) : { dispose: () => {} });
        },
      },
      metrics: {
        collect: (collector) => track(this.deps.metrics ? this.deps.metrics.add(manifest.id, collector) : { dispose: () => {} }),
      },
      now: this.deps.now ?? Date.now,
      onDispose: (fn) => void track({ dispose: fn }),
      settings,
    };
  }

  /** The plugin's handle on the host database; its LISTENs are disposed with the plugin. */
  private databaseFor(manifest: Manifest, track: (d: Disposable) => Disposable): PluginDatabase | undefined {
    const db = this.deps.db;
    if (!db) return undefined;
    const handle = pluginDatabase(db, manifest.id, this.deps.now);
    const n = handle.notifications;
    if (!n) return handle;
    return {
      ...handle,
      notifications: {
        ...n,
        listen: async (channel, onNotify) => track(await n.listen(channel, onNotify)),
        onReconnect: (fn) => {
          const stop = n.onReconnect(fn);
          track({ dispose: stop });
          return stop;
        },
      },
    };
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
