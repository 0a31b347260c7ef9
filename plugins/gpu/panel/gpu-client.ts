/** The panel's client for the GPU telemetry subjects: typed requests and the live event, nothing else. */
import type { PanelApi } from '../../../sdk/panel/index.js';
import type { TelemetryEvent, TelemetryReply, WatchLease } from './types.js';

export const TELEMETRY_EVENT = 'reef.v1.events.gpu.telemetry';
/** How long a lease lasts without a renewal: a window that closes or hangs stops the sampler this soon. */
export const LEASE_TTL_MS = 15_000;

function eventOf(body: unknown): TelemetryEvent | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const e = body as Partial<TelemetryEvent>;
  const s = e.sample;
  if (typeof e.status !== 'object' || e.status === null || typeof s !== 'object' || s === null) return undefined;
  return typeof s.at === 'number' && typeof s.host === 'object' && s.host !== null && Array.isArray(s.gpus) && Array.isArray(s.processes) ? (body as TelemetryEvent) : undefined;
}

export class GpuClient {
  constructor(private readonly api: PanelApi) {}

  /** The status, the latest sample and the rolling series (only points after `since`, when given). */
  telemetry(since?: number): Promise<TelemetryReply> {
    // Nobody watching yet, the host takes a sample first: nvidia-smi's timeout, and some.
    return this.api.request<TelemetryReply>('reef.v1.gpu.telemetry', since === undefined ? {} : { since }, { timeoutMs: 10_000 });
  }

  /** Takes a lease (no id) or renews one: the sampler runs while it lives. */
  watch(leaseId?: string): Promise<WatchLease> {
    return this.api.request<WatchLease>('reef.v1.gpu.watch', { ...(leaseId !== undefined && { leaseId }), ttlMs: LEASE_TTL_MS });
  }

  unwatch(leaseId: string): Promise<{ released: boolean }> {
    return this.api.request<{ released: boolean }>('reef.v1.gpu.unwatch', { leaseId });
  }

  /** Each sample while someone watches; malformed bodies are dropped. */
  onTelemetry(listener: (event: TelemetryEvent) => void): () => void {
    return this.api.subscribe(TELEMETRY_EVENT, (body) => {
      const event = eventOf(body);
      if (event) listener(event);
    });
  }

  toast(message: string, tone: 'info' | 'success' | 'error' = 'info'): void {
    this.api.toast(message, tone);
  }
}
