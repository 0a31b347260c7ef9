// Bus subscriptions for the whole window: one host subscription per pattern, shared by every listener, renewed after a reconnect.
import type { ConnectionState, HostEvent, ReefTransport } from '../../../sdk/contract.js';
import type { ReefError } from '../../../sdk/errors.js';
import { toReefError } from '../transport/errors.js';

export type BusListener = (body: unknown, subject: string) => void;

interface PatternEntry {
  pattern: string;
  listeners: Set<BusListener>;
  onError: Set<(err: ReefError) => void>;
  /** The host's id for the current connection; undefined while (re)subscribing or disconnected. */
  subscriptionId: string | undefined;
  /** Bumped on each subscribe attempt so a late reply from an older attempt is dropped. */
  generation: number;
}

export class BusSubscriptions {
  private readonly byPattern = new Map<string, PatternEntry>();
  private readonly byId = new Map<string, PatternEntry>();
  private connected = false;
  private readonly stop: Array<() => void>;

  constructor(private readonly transport: ReefTransport) {
    this.stop = [
      transport.onEvent((event) => this.onEvent(event)),
      transport.onConnection((state) => this.onConnection(state)),
    ];
  }

  /** Listens on `pattern`; returns the function that stops listening. `onError` hears a refused subscription. */
  subscribe(pattern: string, listener: BusListener, onError?: (err: ReefError) => void): () => void {
    let entry = this.byPattern.get(pattern);
    if (!entry) {
      entry = { pattern, listeners: new Set(), onError: new Set(), subscriptionId: undefined, generation: 0 };
      this.byPattern.set(pattern, entry);
      if (this.connected) this.subscribeRemote(entry);
    }
    entry.listeners.add(listener);
    if (onError) entry.onError.add(onError);
    const current = entry;
    return () => {
      current.listeners.delete(listener);
      if (onError) current.onError.delete(onError);
      if (current.listeners.size === 0) this.drop(current);
    };
  }

  /** Patterns with at least one listener (for tests and diagnostics). */
  patterns(): string[] {
    return [...this.byPattern.keys()];
  }

  dispose(): void {
    for (const s of this.stop) s();
    for (const entry of [...this.byPattern.values()]) this.drop(entry);
  }

  private onConnection(state: ConnectionState): void {
    const wasConnected = this.connected;
    this.connected = state === 'open';
    if (this.connected && !wasConnected) {
      // A new connection is a new host session: every subscription has to be made again.
      this.byId.clear();
      for (const entry of this.byPattern.values()) this.subscribeRemote(entry);
    } else if (!this.connected && wasConnected) {
      this.byId.clear();
      for (const entry of this.byPattern.values()) {
        entry.subscriptionId = undefined;
        entry.generation++;
      }
    }
  }

  private subscribeRemote(entry: PatternEntry): void {
    const generation = ++entry.generation;
    entry.subscriptionId = undefined;
    this.transport.api.busSubscribe({ pattern: entry.pattern }).then(
      ({ subscriptionId }) => {
        const stale = entry.generation !== generation || this.byPattern.get(entry.pattern) !== entry;
        if (stale) {
          // Unsubscribed (or reconnected) while the host was answering: give the host its subscription back.
          if (this.connected) this.unsubscribeRemote(subscriptionId);
          return;
        }
        entry.subscriptionId = subscriptionId;
        this.byId.set(subscriptionId, entry);
      },
      (err: unknown) => {
        if (entry.generation !== generation) return;
        const error = toReefError(err);
        // Losing the connection mid-call is handled by resubscribing on reconnect.
        if (error.code === 'unavailable' && !this.connected) return;
        for (const report of [...entry.onError]) report(error);
        if (entry.onError.size === 0) console.error(`reef: subscription to ${entry.pattern} refused: ${error.message}`);
      },
    );
  }

  private drop(entry: PatternEntry): void {
    if (this.byPattern.get(entry.pattern) !== entry) return;
    this.byPattern.delete(entry.pattern);
    entry.generation++;
    const id = entry.subscriptionId;
    entry.subscriptionId = undefined;
    if (id !== undefined) {
      this.byId.delete(id);
      if (this.connected) this.unsubscribeRemote(id);
    }
  }

  private unsubscribeRemote(subscriptionId: string): void {
    this.transport.api.busUnsubscribe({ subscriptionId }).catch((err: unknown) => {
      const error = toReefError(err);
      // A dropped connection ends the host's session and its subscriptions with it.
      if (error.code !== 'unavailable') console.error(`reef: could not end subscription: ${error.message}`);
    });
  }

  private onEvent(event: HostEvent): void {
    if (event.type !== 'bus') return;
    const entry = this.byId.get(event.subscriptionId);
    if (!entry) return;
    for (const listener of [...entry.listeners]) {
      try {
        listener(event.body, event.subject);
      } catch (err) {
        // One broken listener must not starve the others of messages.
        console.error(`reef: a listener on ${entry.pattern} threw: ${toReefError(err).message}`);
      }
    }
  }
}
