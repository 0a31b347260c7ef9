/**
 * GPU telemetry on the bus: the latest sample and the series (`reef.v1.gpu.telemetry`), and the
 * watch leases that keep the sampler running while a window shows them (`reef.v1.gpu.watch`,
 * `reef.v1.gpu.unwatch`). All of it is the operator's: process names and paths are the host's.
 */
import { parseBody, requireOperator, type RequestHandler } from '../../../../sdk/index.js';
import type { WatchLeases } from './leases.js';
import type { TelemetrySampler } from './sampler.js';
import { TelemetryRequestSchema, UnwatchRequestSchema, WatchRequestSchema, type TelemetryReply } from './schemas.js';

export class TelemetryService {
  constructor(
    private readonly sampler: TelemetrySampler,
    private readonly leases: WatchLeases,
  ) {}

  /**
   * The status, the latest sample and the series. Nobody watching, the latest may be old: then a
   * sample is taken first (nvidia-smi's timeout bounds the wait), so a one-off GET is current.
   */
  telemetry: RequestHandler = async (body, info): Promise<TelemetryReply> => {
    requireOperator(info, 'reading GPU telemetry');
    const request = parseBody(TelemetryRequestSchema, body);
    if (!this.sampler.sampling) await this.sampler.fresh(this.sampler.intervalMs * 2, this.sampler.timeoutMs + 1500);
    return this.sampler.snapshot({ ...(request.since !== undefined && { since: request.since }), series: request.series });
  };

  /** Takes or renews a watch lease: `{leaseId?, ttlMs?}` → `{leaseId, expiresAt, renewEveryMs}`. */
  watch: RequestHandler = (body, info) => {
    requireOperator(info, 'watching GPU telemetry');
    const request = parseBody(WatchRequestSchema, body);
    return this.leases.renew(request.leaseId, request.ttlMs);
  };

  /** Ends a watch lease at once (a panel closing): `{leaseId}` → `{released}`. */
  unwatch: RequestHandler = (body, info) => {
    requireOperator(info, 'watching GPU telemetry');
    const request = parseBody(UnwatchRequestSchema, body);
    return { released: this.leases.release(request.leaseId) };
  };
}
