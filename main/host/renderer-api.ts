/**
 * The host side of the renderer contract. Electron IPC and the WebSocket both hand calls to a
 * RendererSession, which validates each against sdk/contract.ts before acting.
 */
import { randomUUID } from 'node:crypto';
import { ReefError, describeIssues, type Bus, type Caller, type RequestOptions, type Subscription } from '../../sdk/index.js';
import { rendererContract, type BusLink, type HostEvent, type HostInfo, type ManifestProblem, type MethodName, type MethodParams, type MethodReply, type PluginStatus } from '../../sdk/contract.js';

export interface RendererHost {
  bus: Bus;
  hostInfo(): HostInfo;
  plugins(): PluginStatus[];
  manifestProblems(): ManifestProblem[];
  onPluginsChanged(listener: () => void): () => void;
  /** The last message on a status-item subject, replayed to a window that subscribes to it. */
  lastStatus?(subject: string): { body: unknown } | undefined;
  /** Where the host talks NATS: calls `listener` when that link changes state. */
  onBusLink?(listener: (link: BusLink) => void): () => void;
  /** Raises a native notification where there is one (Electron); false in browser mode. */
  /** A native notification; `onClick` runs when the person clicks it. False where there are none (browser mode). */
  notify(title: string, body?: string, onClick?: () => void): boolean;
}

const MAX_SUBSCRIPTIONS = 256;

/**
 * One window's calls. Each busRequest runs under an AbortController whose signal the bus hands
 * the handler as `info.signal`: busCancel aborts the one named by its `requestId`, and closing
 * the session (the window's socket closed, the window went away) aborts every one in flight.
 * On the NATS bus the signal ends this host's wait and, the request being host-signed, tells
 * the serving host (`reef.hosts.cancel`), which aborts its handler's signal; a request that
 * reached a handler anywhere else stops only at its own deadline.
 */
export class RendererSession {
  private readonly subscriptions = new Map<string, Subscription>();
  /** Every busRequest waiting for its reply, named or not. */
  private readonly inFlight = new Set<AbortController>();
  /** Those that carried a requestId, by that id: what busCancel can reach. */
  private readonly cancellable = new Map<string, AbortController>();
  private readonly stopWatching: () => void;
  private closed = false;

  constructor(
    private readonly host: RendererHost,
    private readonly push: (event: HostEvent) => void,
    private readonly caller: Caller = { kind: 'operator', id: 'operator' },
  ) {
    const stopPlugins = host.onPluginsChanged(() => this.push({ type: 'plugins-changed' }));
    const stopLink = host.onBusLink?.((link) => this.push({ type: 'bus-link', link }));
    this.stopWatching = () => {
      stopPlugins();
      stopLink?.();
    };
  }

  /** Validates `params` for `method`; a bad call is refused with the failing field and changes nothing. */
  async call(method: string, params: unknown): Promise<unknown> {
    if (this.closed) throw new ReefError('unavailable', 'this session is closed');
    if (!Object.hasOwn(rendererContract, method)) throw new ReefError('not_found', `no method "${method}"`);
    return this.dispatch(method as MethodName, params);
  }

  /** Parses with the method's own schema, so each handler gets its params typed: no casts. */
  private dispatch<M extends MethodName>(method: M, params: unknown): Promise<MethodReply<M>> {
    const parsed = rendererContract[method].request.safeParse(params ?? {});
    if (!parsed.success) throw new ReefError('invalid_request', `${method}: ${describeIssues(parsed.error.issues)}`);
    const handler = this.handlers[method] as (p: MethodParams<M>) => Promise<MethodReply<M>>;
    return handler(parsed.data as MethodParams<M>);
  }

  /** One handler per contract method; a method missing here fails to typecheck. */
  private readonly handlers: { [M in MethodName]: (params: MethodParams<M>) => Promise<MethodReply<M>> } = {
    hostInfo: async () => this.host.hostInfo(),
    listPlugins: async () => ({ plugins: this.host.plugins(), problems: this.host.manifestProblems() }),
    busRequest: async (p) => {
      // Everything up to the bus call runs before the first await: a busCancel sent right after
      // this request (the transports keep a window's calls in order) always finds it.
      const { requestId } = p;
      if (requestId !== undefined && this.cancellable.has(requestId)) {
        throw new ReefError('conflict', `busRequest: request ${requestId} is already in flight in this window`);
      }
      const controller = new AbortController();
      this.inFlight.add(controller);
      if (requestId !== undefined) this.cancellable.set(requestId, controller);
      const opts: RequestOptions = { caller: this.caller, signal: controller.signal };
      if (p.timeoutMs !== undefined) opts.timeoutMs = p.timeoutMs;
      try {
        return { body: await this.host.bus.request(p.subject, p.body ?? {}, opts) };
      } finally {
        this.inFlight.delete(controller);
        if (requestId !== undefined && this.cancellable.get(requestId) === controller) this.cancellable.delete(requestId);
      }
    },
    busCancel: async (p) => {
      const controller = this.cancellable.get(p.requestId);
      // Answered already, or never sent: nothing to do (the window cannot know which came first).
      if (!controller) return { cancelled: false };
      this.cancellable.delete(p.requestId);
      controller.abort(new ReefError('unavailable', `request ${p.requestId} was cancelled by the window`));
      return { cancelled: true };
    },
    busSubscribe: async (p) => {
      if (this.subscriptions.size >= MAX_SUBSCRIPTIONS) {
        throw new ReefError('busy', `at most ${MAX_SUBSCRIPTIONS} subscriptions per window`);
      }
      const subscriptionId = randomUUID();
      const sub = await this.host.bus.subscribe(p.pattern, (body, subject) => {
        if (!this.closed) this.push({ type: 'bus', subscriptionId, subject, body });
      });
      if (this.closed) {
        // The window went away while we subscribed: nobody would ever end this one.
        await sub.unsubscribe();
        throw new ReefError('unavailable', 'this session is closed');
      }
      this.subscriptions.set(subscriptionId, sub);
      const retained = this.host.lastStatus?.(p.pattern);
      if (retained) {
        // After the reply, so the window knows the subscription id by the time it arrives.
        setImmediate(() => {
          if (!this.closed && this.subscriptions.has(subscriptionId)) this.push({ type: 'bus', subscriptionId, subject: p.pattern, body: retained.body });
        });
      }
      return { subscriptionId };
    },
    busUnsubscribe: async (p) => {
      const sub = this.subscriptions.get(p.subscriptionId);
      if (!sub) throw new ReefError('not_found', `no subscription ${p.subscriptionId}`);
      this.subscriptions.delete(p.subscriptionId);
      await sub.unsubscribe();
      return {};
    },
    notify: async (p) => {
      const tag = p.tag;
      const onClick = tag === undefined ? undefined : () => void (!this.closed && this.push({ type: 'notification-clicked', tag }));
      return { shown: this.host.notify(p.title, p.body, onClick) };
    },
  };

  async close(): Promise<void> {
    this.closed = true;
    this.stopWatching();
    // Nobody is left to receive these replies: their handlers stop (a generation, a long poll).
    const inFlight = [...this.inFlight];
    this.inFlight.clear();
    this.cancellable.clear();
    for (const c of inFlight) c.abort(new ReefError('unavailable', 'the window went away'));
    const subs = [...this.subscriptions.values()];
    this.subscriptions.clear();
    await Promise.all(subs.map((s) => s.unsubscribe()));
  }
}
