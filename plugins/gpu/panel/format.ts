/** How the GPU panel writes its figures and explains a missing GPU. A figure the driver does not report (null) is "—". */
import type { GpuProblem, GpuProblemCode, GpuStatus } from './types.js';

export const NONE = '—';

const known = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** 0..100 as "37 %" (one decimal below 10, so an idle GPU's 0.4 % is not "0 %"). */
export function formatPercent(v: number | null | undefined): string {
  if (!known(v)) return NONE;
  const r = v > 0 && v < 10 ? Math.round(v * 10) / 10 : Math.round(v);
  return `${r} %`;
}

/** MiB as MiB below 1 GiB, else GiB with one decimal below 100 ("512 MiB", "79.6 GiB", "640 GiB"). */
export function formatMiB(v: number | null | undefined): string {
  if (!known(v)) return NONE;
  if (v < 1024) return `${Math.round(v)} MiB`;
  const g = v / 1024;
  return `${g < 100 ? (Math.round(g * 10) / 10).toFixed(1) : Math.round(g)} GiB`;
}

/** "12.3 / 79.6 GiB": both in the total's unit, so the two read against each other. */
export function formatMemory(used: number | null | undefined, total: number | null | undefined): string {
  if (!known(total)) return formatMiB(used);
  if (total < 1024) return `${known(used) ? Math.round(used) : NONE} / ${Math.round(total)} MiB`;
  const digits = total / 1024 < 100 ? 1 : 0;
  const g = (mib: number) => (mib / 1024).toFixed(digits);
  return `${known(used) ? g(used) : NONE} / ${g(total)} GiB`;
}

/** Used as a share of total, 0..100, or null when either is unknown or total is 0. */
export function share(used: number | null | undefined, total: number | null | undefined): number | null {
  if (!known(used) || !known(total) || total <= 0) return null;
  return Math.min(100, Math.max(0, (used / total) * 100));
}

export function formatTemperature(v: number | null | undefined): string {
  return known(v) ? `${Math.round(v)} °C` : NONE;
}

/** "212 / 700 W", "212 W" without a limit. */
export function formatPower(draw: number | null | undefined, limit: number | null | undefined): string {
  const w = (x: number) => (x < 10 ? (Math.round(x * 10) / 10).toString() : Math.round(x).toString());
  if (!known(draw) && !known(limit)) return NONE;
  if (!known(limit)) return `${w(draw as number)} W`;
  return `${known(draw) ? w(draw) : NONE} / ${w(limit)} W`;
}

/** MHz as MHz below 1000, else GHz with two decimals ("1.98 GHz"). */
export function formatClock(v: number | null | undefined): string {
  if (!known(v)) return NONE;
  return v < 1000 ? `${Math.round(v)} MHz` : `${(v / 1000).toFixed(2)} GHz`;
}

/** The program of a process name as printed: the last part of a Linux or Windows path. */
export function processProgram(name: string | null): string {
  if (name === null || name.trim() === '') return '(unknown)';
  const parts = name.trim().split(/[\\/]/);
  return parts[parts.length - 1] || name.trim();
}

/** A tone for a share of something that runs out (memory, utilization is not one). */
export function loadTone(percent: number | null): 'neutral' | 'warn' | 'error' {
  if (percent === null) return 'neutral';
  if (percent >= 95) return 'error';
  if (percent >= 85) return 'warn';
  return 'neutral';
}

/** GPU temperatures: most throttle in the upper 80s. */
export function temperatureTone(c: number | null): 'neutral' | 'warn' | 'error' {
  if (c === null) return 'neutral';
  if (c >= 90) return 'error';
  if (c >= 80) return 'warn';
  return 'neutral';
}

/** What an operator can do about each reason there is no GPU reading. */
const ADVICE: Record<GpuProblemCode, string> = {
  not_installed: 'Install the NVIDIA driver (it brings nvidia-smi), or set settings.gpu.nvidia-smi in config.json to its full path.',
  not_executable: 'Make nvidia-smi executable by the user Reef runs as, or point settings.gpu.nvidia-smi at one that is.',
  no_driver: 'Install the NVIDIA driver for the running kernel (and blacklist nouveau, sign the module under Secure Boot), then reboot.',
  nvml_not_found: "Install the driver's libraries (libnvidia-ml); in a container, start it with the NVIDIA Container Toolkit (--gpus all).",
  driver_mismatch: 'Reboot, so the kernel module matches the updated driver libraries (or unload and reload the nvidia modules).',
  nvml_error: 'Check the driver installation: dmesg, and nvidia-smi run by hand.',
  no_devices: 'Check that the GPU is seated and powered, and that this machine or container was given it (--gpus, CUDA_VISIBLE_DEVICES).',
  unsupported_query: "Update the NVIDIA driver: this one's nvidia-smi does not know a field Reef asks for.",
  permission_denied: 'Run Reef as a user allowed to open /dev/nvidia* (often the video group).',
  gpu_lost: 'Reset the GPU (nvidia-smi -r) or reboot, and check its power and cooling.',
  timeout: 'The driver may be hung: check dmesg and run nvidia-smi by hand; if it is only slow, raise settings.gpu.timeout-ms.',
  failed: 'Run nvidia-smi by hand to see what it says; its first lines are below.',
  not_csv: 'This nvidia-smi does not answer CSV queries: update the NVIDIA driver.',
  bad_output: 'Run nvidia-smi by hand to see what it prints; its first lines are below.',
};

export function adviceFor(problem: GpuProblem): string {
  return ADVICE[problem.code] ?? ADVICE.failed;
}

/** A duration ahead, for "tried again in 12 s". */
export function formatIn(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  return s % 60 === 0 ? `${m} min` : `${m} min ${s % 60} s`;
}

/** One line on whether and when nvidia-smi is tried again, or undefined while it answers. */
export function retryLine(status: GpuStatus, now: number): string | undefined {
  if (status.state !== 'unavailable') return undefined;
  const tries = status.consecutiveFailures === 1 ? '1 try' : `${status.consecutiveFailures} tries in a row`;
  if (status.nextAttemptAt === undefined) return `Failed ${tries}; tried again while this panel is open.`;
  const wait = status.nextAttemptAt - now;
  return wait > 0 ? `Failed ${tries}; tried again in ${formatIn(wait)}.` : `Failed ${tries}; trying again now.`;
}

/**
 * The seconds a chart spans: the points' own span, at least a minute and at most the host's
 * history, so a panel just opened is not a few dots at the edge of ten empty minutes.
 */
export function chartWindowSeconds(times: readonly number[], historyMs: number): number {
  const history = Math.max(1, Math.round(historyMs / 1000));
  const span = times.length > 1 ? (times[times.length - 1]! - times[0]!) / 1000 : 0;
  return Math.min(history, Math.max(60, Math.ceil(span / 60) * 60));
}
