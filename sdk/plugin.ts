/** What a plugin's host module receives in `activate(ctx)`: everything it may use comes through ctx. */
import type { Manifest } from './manifest.js';
import type { Caller, MessageHandler, RequestHandler, RequestOptions, BusStats } from './bus.js';
import type { HostInfo, PluginStatus } from './host-types.js';
import type { MetricsCollector } from './metrics.js';
import type { PluginTools } from './tools.js';

/** Something that can be undone; the host disposes all of a plugin's registrations on deactivate. @since 0.1.0 */
export interface Disposable {
  dispose(): void | Promise<void>;
}

/** @since 0.1.0 */
export interface PluginLogger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** The bus as a plugin sees it: every call checked against the manifest's permissions. @since 0.1.0 */
export interface PluginBus {
  request<T = unknown>(subject: string, body: unknown, options?: Omit<RequestOptions, 'caller'>): Promise<T>;
  publish(subject: string, body: unknown): Promise<void>;
  subscribe(pattern: string, onMessage: MessageHandler, options?: { queue?: string }): Promise<Disposable>;
  serve(pattern: string, handler: RequestHandler, options?: { queue?: string }): Promise<Disposable>;
}

/** One migration of a plugin's tables; `sql` per dialect, or one string used for both. @since 0.1.0 */
export interface Migration {
  /** Ordered id, e.g. "001_tasks". Applied in ascending order, each once. */
  id: string;
  sql: string | { sqlite: string; postgres: string };
}

/** Rows come back as plain objects. Placeholders are `?`; the PostgreSQL driver numbers them. @since 0.1.0 */
export type Row = Record<string, unknown>;

/** @since 0.1.0 */
export interface SqlExecutor {
  readonly dialect: 'sqlite' | 'postgres';
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  execute(sql: string, params?: readonly unknown[]): Promise<{ changes: number }>;
}

/**
 * LISTEN/NOTIFY, present on PostgreSQL: wake other hosts without polling. Channel names are
 * scoped to the plugin. A notification can be lost (a dropped connection): keep a slow poll.
 * @since 0.1.0
 */
export interface PluginNotifications {
  listen(channel: string, onNotify: (payload: string) => void): Promise<Disposable>;
  notify(channel: string, payload: string): Promise<void>;
  /** Called when the listening connection came back after a loss. */
  onReconnect(fn: () => void): () => void;
}

/** @since 0.1.0 */
export interface PluginDatabase extends SqlExecutor {
  /** Present on PostgreSQL only. */
  readonly notifications?: PluginNotifications;
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Applies the plugin's migrations in order; refuses a changed migration that was already applied. */
  migrate(migrations: readonly Migration[]): Promise<{ applied: string[] }>;
}

/** One value in the shared key-value store. @since 0.1.0 */
export interface KvEntry {
  key: string;
  value: unknown;
  /** Grows with every write of this key; compare-and-set writes name the revision they read. */
  revision: number;
}

/** A change seen by `watch`: the new entry, or the key's deletion. @since 0.1.0 */
export type KvChange = { key: string; deleted: false; entry: KvEntry } | { key: string; deleted: true };

/**
 * Shared state with compare-and-set, the same on every tier: a NATS KV bucket where the host
 * runs with NATS, else a table in the host's database. Keys are scoped to the plugin and use
 * letters, digits, "-", "_", "=", "/" and ".".
 * @since 0.1.0
 */
export interface KeyValue {
  get(key: string): Promise<KvEntry | undefined>;
  /** Writes whatever is there; returns the new revision. */
  put(key: string, value: unknown): Promise<number>;
  /** Writes only if the key does not exist; else `conflict`. */
  create(key: string, value: unknown): Promise<number>;
  /** Writes only if the key is still at `revision`; else `conflict`. */
  update(key: string, value: unknown, revision: number): Promise<number>;
  delete(key: string): Promise<void>;
  /** Keys under a prefix ("" for all). */
  keys(prefix?: string): Promise<string[]>;
  /** Calls `onChange` for every later change of keys under the prefix. */
  watch(prefix: string, onChange: (change: KvChange) => void): Promise<Disposable>;
}

/** Maps an HTTP route under /v1 onto a bus subject (the HTTP gateway). @since 0.1.0 */
export interface HttpRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** e.g. `/v1/tasks/:id/complete`; `:name` segments are copied into the body. */
  path: string;
  subject: string;
  /** Which token scopes may call it. */
  scopes: ReadonlyArray<'operator' | 'agent'>;
  /** Query parameters are copied into the body (GET routes). */
  query?: boolean;
  /**
   * How long the gateway waits for the subject's answer before replying 503 `unavailable`
   * (1 ms to 10 min). Default 15 s: long polls and bulk actions name a longer one.
   * @since 0.2.0
   */
  timeoutMs?: number;
  /**
   * The route may answer with server-sent events (`text/event-stream`) when the request body has
   * `"stream": true`. The gateway then sets `streamTo` in the body (a subject under
   * `STREAM_SUBJECT_PREFIX`, replacing any the client sent); the handler publishes each event
   * on it as `{seq, data}` (`seq` 0, 1, 2, …; `data` any JSON, written as `data: <json>`), then
   * replies `{streamed: <events published>}`. The gateway writes the events in `seq` order, then
   * `data: [DONE]`, and ends. A failure before the first event is the usual JSON error reply;
   * after it, a last event `data: {"error": {...}}`. The plugin needs `permissions.bus.publish`
   * on `reef.v1.streams.>`. `timeoutMs` bounds the whole stream.
   * @since 0.2.0
   */
  stream?: boolean;
  /**
   * Request headers copied into the body: header name (lower case) → body field, e.g.
   * `{'x-reef-agent': 'reefAgent'}`. A header that is present replaces the field the client may
   * have put in the body; the handler decides what to believe (callers can send any header).
   * @since 0.2.0
   */
  headers?: Readonly<Record<string, string>>;
}

/** Where a streaming route's events are published (see `HttpRoute.stream`). @since 0.2.0 */
export const STREAM_SUBJECT_PREFIX = 'reef.v1.streams.';

/** The gateway's wait for a route without its own `timeoutMs`. @since 0.2.0 */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;
/** The longest `timeoutMs` a route may ask for. @since 0.2.0 */
export const MAX_ROUTE_TIMEOUT_MS = 600_000;

/**
 * A process the host started to run one of a plugin's scripts, with a message channel both
 * ways (what `child_process.fork` gives under plain Node; in the desktop app, an Electron
 * utility process, whose script talks through `process.parentPort`).
 * @since 0.2.0
 */
export interface WorkerProcess {
  /** Undefined until the process has started, and after it has ended. */
  readonly pid: number | undefined;
  /** Sends a message (structured-cloneable; plain JSON is safe everywhere). Dropped once the process has ended. */
  send(message: unknown): void;
  /** Every message the script sends, as it sent it. */
  onMessage(fn: (message: unknown) => void): void;
  /** Called once, when the process has ended, however it ended; `signal` may carry why (a signal, a fatal error, stderr's end). */
  onExit(fn: (code: number | null, signal: string | null) => void): void;
  /** Ends the process now. */
  kill(): void;
}

/**
 * Starts a script (an absolute path to a built `.js` file) in a process of its own.
 * @since 0.2.0
 */
export type WorkerProcessLauncher = (script: string) => WorkerProcess;

/** @since 0.1.0 */
export interface PluginContext {
  readonly manifest: Manifest;
  readonly log: PluginLogger;
  readonly bus: PluginBus;
  /** Present when the manifest asks for `permissions.database`. */
  readonly db: PluginDatabase | undefined;
  /** Shared state with compare-and-set (keys scoped to the plugin). */
  readonly kv: KeyValue;
  readonly host: {
    info(): HostInfo;
    plugins(): PluginStatus[];
    busStats(): BusStats;
    /**
     * How this host wants a plugin's worker processes started, where it has a way of its own:
     * the desktop app (`info().mode === 'electron'`) runs them as Electron utility processes,
     * because `child_process.fork` there would start the Electron executable, whose run-as-Node
     * switch the packaged app turns off. Absent where `child_process.fork` is right (`reef serve`, tests).
     * @since 0.2.0
     */
    readonly launchWorker?: WorkerProcessLauncher;
  };
  readonly timers: {
    setInterval(fn: () => void, ms: number): Disposable;
    setTimeout(fn: () => void, ms: number): Disposable;
  };
  readonly http: {
    route(route: HttpRoute): Disposable;
  };
  /**
   * Adds to GET /metrics (Prometheus text, the operator's token): `collect` runs on each scrape
   * and returns samples named `reef_<plugin>_…` (prometheusFamily writes them). Removed on deactivate.
   * @since 0.2.0
   */
  readonly metrics: {
    collect(collector: MetricsCollector): Disposable;
  };
  /**
   * Tools and resources for agents over the Model Context Protocol (`/mcp`, `reef mcp`): each a
   * gateway onto one of this plugin's subjects (its `serve` permission). Removed on deactivate.
   * @since 0.2.0
   */
  readonly tools: PluginTools;
  /** Current time in ms; tests control it. */
  now(): number;
  /** Registers anything else to dispose on deactivate. */
  onDispose(fn: () => void | Promise<void>): void;
  /** Settings from the host config, with the manifest's defaults. */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
}

/**
 * One of a plugin's tables, as `reef migrate` copies it: in `key` order, in batches, never
 * twice (rows whose key exists are skipped). Parents come before children in `tables`.
 * @since 0.1.0
 */
export interface TableExport {
  name: string;
  /** The primary key's columns. */
  key: string[];
  /** A column filled by a sequence on PostgreSQL (advanced past the copied values). */
  serial?: string;
}

/** What a plugin's host module exports. @since 0.1.0 */
export interface PluginModule {
  activate(ctx: PluginContext): void | Promise<void>;
  deactivate?(): void | Promise<void>;
  /** The plugin's migrations, so `reef migrate` can make its tables on a new database. */
  migrations?: readonly Migration[];
  /** The plugin's data, for `reef migrate`: which tables, in which order. */
  tables?: readonly TableExport[];
}

export type { Caller };
