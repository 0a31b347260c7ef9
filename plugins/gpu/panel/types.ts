/** The wire types of GPU telemetry as the panel uses them: types only, from the host's schemas. */
export type {
  ComputeProcess,
  GpuPoint,
  GpuProblem,
  GpuProblemCode,
  GpuReading,
  GpuStatus,
  HostPoint,
  HostReading,
  TelemetryEvent,
  TelemetryReply,
  TelemetrySample,
} from '../host/telemetry/schemas.js';

/** `reef.v1.gpu.watch` reply. */
export interface WatchLease {
  leaseId: string;
  expiresAt: number;
  renewEveryMs: number;
}
