/**
 * GPU telemetry, wire schemas: what nvidia-smi readings become, what the sampler keeps, and the
 * bodies of the telemetry subjects. Readings are validated with these schemas after parsing, so
 * a value nvidia-smi prints out of any sane range becomes `null` (unknown) instead of a number
 * that would draw a chart off the scale.
 */
import { z } from 'zod';

/** A measured number, or null where nvidia-smi printed "[N/A]", "[Not Supported]" and the like. */
const measure = (min: number, max: number) => z.number().min(min).max(max).nullable();

/** One GPU as `--query-gpu` reports it (memory in MiB, power in W, clocks in MHz, temperature in °C). */
export const GpuReadingSchema = z.object({
  index: z.number().int().min(0).max(1023),
  uuid: z.string().max(200).nullable(),
  name: z.string().max(200).nullable(),
  driverVersion: z.string().max(100).nullable(),
  /** Percent of time a kernel ran; null on MIG-enabled GPUs (nvidia-smi prints [N/A]). */
  utilizationGpu: measure(0, 100),
  utilizationMemory: measure(0, 100),
  memoryUsedMiB: measure(0, 1e9),
  memoryTotalMiB: measure(0, 1e9),
  temperatureC: measure(-100, 300),
  powerDrawW: measure(0, 1e6),
  powerLimitW: measure(0, 1e6),
  clockSmMHz: measure(0, 1e6),
  clockMemMHz: measure(0, 1e6),
});
export type GpuReading = z.infer<typeof GpuReadingSchema>;

/** One compute process as `--query-compute-apps` reports it. */
export const ComputeProcessSchema = z.object({
  gpuUuid: z.string().max(200).nullable(),
  pid: z.number().int().min(0).max(2 ** 32),
  /** As printed: a Linux path, a Windows path (C:\…\x.exe), or null ([Not Found]). */
  processName: z.string().max(4096).nullable(),
  /** null on Windows (WDDM), where nvidia-smi cannot tell. */
  usedMemoryMiB: measure(0, 1e9),
});
export type ComputeProcess = z.infer<typeof ComputeProcessSchema>;

/** Why there is no GPU reading: what a person is told, and a code for programs. */
export const GpuProblemCodeSchema = z.enum([
  /** no nvidia-smi on PATH (or at the configured path) */
  'not_installed',
  /** found but not runnable (permissions) */
  'not_executable',
  /** "couldn't communicate with the NVIDIA driver" (exit 9): no driver loaded */
  'no_driver',
  /** "couldn't find libnvidia-ml.so" / nvml.dll (exit 12) */
  'nvml_not_found',
  /** "Failed to initialize NVML: Driver/library version mismatch" (exit 18): usually a driver update without a reboot */
  'driver_mismatch',
  /** "Failed to initialize NVML: …" with another reason */
  'nvml_error',
  /** "No devices were found" (exit 6) */
  'no_devices',
  /** nvidia-smi refused a field we asked for (an old driver) */
  'unsupported_query',
  /** "Insufficient Permissions" (exit 4) */
  'permission_denied',
  /** the GPU has fallen off the bus (exit 15) */
  'gpu_lost',
  /** it ran past the timeout and was killed */
  'timeout',
  /** it exited non-zero with output we do not recognise, or was killed by a signal */
  'failed',
  /** it answered, but not in CSV: an XML report or the default table */
  'not_csv',
  /** it answered CSV we cannot read: wrong columns, text where a number belongs */
  'bad_output',
]);
export type GpuProblemCode = z.infer<typeof GpuProblemCodeSchema>;

export const GpuProblemSchema = z.object({
  code: GpuProblemCodeSchema,
  /** One sentence for the operator, e.g. "nvidia-smi cannot reach the NVIDIA driver: no driver is loaded". */
  message: z.string(),
  exitCode: z.number().int().optional(),
  /** The first lines of what nvidia-smi printed, for the logs and the curious (at most 500 characters). */
  output: z.string().max(500).optional(),
});
export type GpuProblem = z.infer<typeof GpuProblemSchema>;

/** The host's CPU and memory at one moment. */
export const HostReadingSchema = z.object({
  /** Busy share of all cores since the previous reading, 0..100; null on the first reading. */
  cpuPercent: measure(0, 100),
  cpuCount: z.number().int().min(0),
  /** 1-minute load average (0 on Windows). */
  loadAverage1m: z.number().min(0),
  memoryUsedMiB: z.number().min(0),
  memoryTotalMiB: z.number().min(0),
});
export type HostReading = z.infer<typeof HostReadingSchema>;

/** One sample: the host always, the GPUs and their processes when nvidia-smi answered. */
export const TelemetrySampleSchema = z.object({
  at: z.number(),
  host: HostReadingSchema,
  gpus: z.array(GpuReadingSchema),
  processes: z.array(ComputeProcessSchema),
});
export type TelemetrySample = z.infer<typeof TelemetrySampleSchema>;

/**
 * Whether GPU readings come in: `unknown` before the first try, `ok`, or `unavailable` with the
 * reason (no GPU, a driver problem, a hang); CPU and memory are sampled whatever this says.
 */
export const GpuStatusSchema = z.object({
  state: z.enum(['unknown', 'ok', 'unavailable']),
  reason: GpuProblemSchema.optional(),
  /** When the state last changed (ms since epoch). */
  since: z.number(),
  /** The last time nvidia-smi answered with readings. */
  lastOkAt: z.number().optional(),
  /** Failed tries in a row; the sampler backs off as they grow. */
  consecutiveFailures: z.number().int().min(0),
  /** While backing off: when nvidia-smi will be tried again. */
  nextAttemptAt: z.number().optional(),
  /** Failed tries since the plugin started. */
  failuresTotal: z.number().int().min(0),
});
export type GpuStatus = z.infer<typeof GpuStatusSchema>;

/** A point of a GPU's rolling series. */
export const GpuPointSchema = GpuReadingSchema.omit({ index: true, uuid: true, name: true, driverVersion: true }).extend({ at: z.number() });
export type GpuPoint = z.infer<typeof GpuPointSchema>;
/** A point of the host's rolling series. */
export const HostPointSchema = HostReadingSchema.pick({ cpuPercent: true, memoryUsedMiB: true, memoryTotalMiB: true }).extend({ at: z.number() });
export type HostPoint = z.infer<typeof HostPointSchema>;

/** Who keeps the sampler running: windows (leases on the bus), the engine's loaded models, … */
export const WatchersSchema = z.object({
  total: z.number().int().min(0),
  byReason: z.record(z.string(), z.number().int().min(0)),
});

/** `reef.v1.gpu.telemetry` reply (and GET /v1/gpu/telemetry). */
export const TelemetryReplySchema = z.object({
  status: GpuStatusSchema,
  sampling: z.boolean(),
  watchers: WatchersSchema,
  intervalMs: z.number(),
  historyMs: z.number(),
  latest: TelemetrySampleSchema.optional(),
  series: z.object({
    host: z.array(HostPointSchema),
    gpus: z.array(z.object({ index: z.number().int(), uuid: z.string().nullable(), name: z.string().nullable(), points: z.array(GpuPointSchema) })),
  }),
});
export type TelemetryReply = z.infer<typeof TelemetryReplySchema>;

/** `reef.v1.events.gpu.telemetry`: each sample while someone watches. */
export const TelemetryEventSchema = z.object({ status: GpuStatusSchema, sample: TelemetrySampleSchema });
export type TelemetryEvent = z.infer<typeof TelemetryEventSchema>;

const MAX_EPOCH_MS = 253402300799999;

/** `reef.v1.gpu.telemetry` request. */
export const TelemetryRequestSchema = z
  .object({
    /** Only points after this time (ms since epoch): a panel polls on from its last point. */
    since: z.coerce.number().int().min(0).max(MAX_EPOCH_MS).optional(),
    /** false: the status and the latest sample only. */
    series: z
      .union([z.boolean(), z.enum(['true', 'false'])])
      .transform((v) => v === true || v === 'true')
      .default(true),
  })
  .strict();

/** The longest a watch lease may be asked for; the window renews it. */
export const MAX_LEASE_MS = 120_000;
export const DEFAULT_LEASE_MS = 15_000;

/** `reef.v1.gpu.watch`: take or renew a lease that keeps the sampler running. */
export const WatchRequestSchema = z
  .object({
    /** Renew this lease (from an earlier reply); a lease that expired meanwhile is taken again. */
    leaseId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
    ttlMs: z.number().int().min(1000).max(MAX_LEASE_MS).default(DEFAULT_LEASE_MS),
  })
  .strict();
export const UnwatchRequestSchema = z.object({ leaseId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }).strict();
