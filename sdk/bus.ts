/** The Bus interface: every Reef operation is a subject, served locally or over NATS. */

/** Who is calling, as established by the gateway the call came through. @since 0.1.0 */
export interface Caller {
  kind: 'operator' | 'agent' | 'plugin' | 'host';
  /** Token name, agent name or plugin id. */
  id: string;
}

/** @since 0.1.0 */
export interface RequestOptions {
  /** Milliseconds before the request fails with `unavailable`. Default 5000. */
  timeoutMs?: number;
  caller?: Caller;
  /**
   * Aborted when whoever asked is gone (an HTTP client closed its connection, a window cancelled
   * the request or closed): the handler's `info.signal` aborts with it, so a long poll ends early
   * and nothing is taken for nobody. On NATS it ends this side's wait at once; the serving side
   * learns of it only for a host-signed request (the host publishes a signed cancel), otherwise
   * it stops at the request's deadline.
   * @since 0.2.0
   */
  signal?: AbortSignal;
}

/** What a handler learns about the request it serves. @since 0.1.0 */
export interface RequestInfo {
  subject: string;
  caller: Caller;
  /**
   * Aborted once the requester can no longer receive the reply: its connection closed, or its
   * deadline passed (the local bus's timeout, the NATS requester's timeout). A handler that
   * waits stops waiting; a handler that took something for the requester (a claimed task)
   * checks it before answering and gives back what cannot be delivered. Absent: the bus cannot tell.
   * @since 0.2.0
   */
  signal?: AbortSignal;
}

/** Serves one request; its return value is the JSON reply, a thrown ReefError the error reply. @since 0.1.0 */
export type RequestHandler = (body: unknown, info: RequestInfo) => unknown;

/** Receives one published message. @since 0.1.0 */
export type MessageHandler = (body: unknown, subject: string) => void;

/** Ends a subscription or a served subject. @since 0.1.0 */
export interface Subscription {
  readonly subject: string;
  unsubscribe(): Promise<void>;
}

/** Running counts of bus traffic since the bus started. @since 0.1.0 */
export interface BusStats {
  requests: number;
  publishes: number;
  errors: number;
}

/**
 * One interface for the in-process bus and NATS. Everything is async and bodies are JSON:
 * no caller may assume the handler runs in its own process.
 * @since 0.1.0
 */
export interface Bus {
  request<T = unknown>(subject: string, body: unknown, options?: RequestOptions): Promise<T>;
  publish(subject: string, body: unknown): Promise<void>;
  /** With `queue`, each message goes to one subscriber of that group (hosts sharing the work). */
  subscribe(pattern: string, onMessage: MessageHandler, options?: { queue?: string }): Promise<Subscription>;
  /** Serves requests on `pattern`; with `queue`, servers in one queue group share the load. */
  serve(pattern: string, handler: RequestHandler, options?: { queue?: string }): Promise<Subscription>;
  stats(): BusStats;
  close(): Promise<void>;
}

/** @since 0.1.0 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
