/**
 * Why nvidia-smi gave no readings, as a typed problem: recognised from what it printed (it writes
 * its errors to stdout, so the text is checked whatever the stream), then from how the run ended
 * (not found, killed by the timeout, an exit code nvidia-smi(1) documents).
 */
import type { GpuProblem, GpuProblemCode } from './schemas.js';

/** How one run of nvidia-smi ended (see run.ts). */
export interface RunOutcome {
  stdout: string;
  stderr: string;
  /** null when it was killed or never started. */
  exitCode: number | null;
  signal: string | null;
  /** The spawn failed: ENOENT (not found), EACCES (not executable), … */
  spawnError?: { code: string; message: string };
  timedOut: boolean;
  /** ms the run took. */
  durationMs: number;
}

/** The first lines of an output, for a problem's `output` (at most 500 characters). */
export function excerpt(text: string): string | undefined {
  const lines = text.replace(/\r\n?/g, '\n').split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
  if (lines.length === 0) return undefined;
  const joined = lines.slice(0, 4).join('\n');
  return joined.length > 500 ? `${joined.slice(0, 497)}...` : joined;
}

const problem = (code: GpuProblemCode, message: string, text: string, exitCode?: number | null): GpuProblem => {
  const output = excerpt(text);
  return { code, message, ...(exitCode !== undefined && exitCode !== null && { exitCode }), ...(output !== undefined && { output }) };
};

/** The error messages nvidia-smi prints, newest wording first where it changed. */
const KNOWN_ERRORS: Array<{ test: RegExp; code: GpuProblemCode; message: (m: RegExpExecArray) => string }> = [
  {
    test: /couldn't communicate with the NVIDIA driver/i,
    code: 'no_driver',
    message: () => 'nvidia-smi cannot communicate with the NVIDIA driver: no driver is loaded (not installed for this kernel, or blocked)',
  },
  {
    test: /couldn't find (libnvidia-ml\.so|nvml\.dll)|NVML Shared Library Not Found|libnvidia-ml\.so[^\n]*(not found|cannot open)/i,
    code: 'nvml_not_found',
    message: () => 'nvidia-smi cannot find the NVML library (libnvidia-ml.so or nvml.dll): the driver is not fully installed, or not mounted into this container',
  },
  {
    test: /Driver\/library version mismatch(?:[\s\S]*?NVML library version:\s*([\w.]+))?/i,
    code: 'driver_mismatch',
    message: (m) =>
      `the NVIDIA driver and its NVML library differ in version${m[1] ? ` (library ${m[1]})` : ''}: usually a driver update that waits for a reboot`,
  },
  {
    test: /Failed to initialize NVML:\s*([^\n]*)/i,
    code: 'nvml_error',
    message: (m) => `NVML failed to initialise: ${(m[1] ?? '').trim() || 'no reason given'}`,
  },
  { test: /No devices were found/i, code: 'no_devices', message: () => 'nvidia-smi found no GPU' },
  {
    test: /Field "([^"]+)" is not a valid field to query/i,
    code: 'unsupported_query',
    message: (m) => `this driver's nvidia-smi does not know the field "${m[1]}" (an old driver?)`,
  },
  { test: /Insufficient Permissions/i, code: 'permission_denied', message: () => 'nvidia-smi was refused access to the GPU (insufficient permissions)' },
  { test: /fallen off the bus/i, code: 'gpu_lost', message: () => 'the GPU has fallen off the bus: it needs a reset or a reboot' },
];

/** A known nvidia-smi error message in `text`, or undefined: readings may follow. */
export function recognizeError(text: string, exitCode?: number | null): GpuProblem | undefined {
  // An error is printed on its own, before any data: look at the first lines only, so that a
  // process name or a GPU name can never be taken for one.
  const head = text.replace(/\r\n?/g, '\n').split('\n').slice(0, 6).join('\n');
  for (const known of KNOWN_ERRORS) {
    const m = known.test.exec(head);
    if (m) return problem(known.code, known.message(m), text, exitCode);
  }
  return undefined;
}

/** nvidia-smi(1) RETURN VALUE, for a failure whose text we do not recognise. */
const EXIT_CODES: Record<number, { code: GpuProblemCode; message: string }> = {
  2: { code: 'failed', message: 'nvidia-smi refused its arguments (exit 2)' },
  3: { code: 'failed', message: 'the operation is not available on this GPU (exit 3)' },
  4: { code: 'permission_denied', message: 'nvidia-smi was refused access to the GPU (exit 4, insufficient permissions)' },
  6: { code: 'no_devices', message: 'nvidia-smi found no GPU (exit 6)' },
  9: { code: 'no_driver', message: 'the NVIDIA driver is not loaded (exit 9)' },
  12: { code: 'nvml_not_found', message: 'nvidia-smi cannot find the NVML library (exit 12)' },
  15: { code: 'gpu_lost', message: 'the GPU has fallen off the bus (exit 15): it needs a reset or a reboot' },
  18: { code: 'driver_mismatch', message: 'the NVIDIA driver and its NVML library differ in version (exit 18): usually a driver update that waits for a reboot' },
};

/**
 * The problem with a run, or undefined when it exited 0 (its output may still be garbage: the
 * parsers judge that). `binary` and `timeoutMs` only make the messages concrete.
 */
export function problemOfRun(run: RunOutcome, binary: string, timeoutMs: number): GpuProblem | undefined {
  const text = `${run.stdout}\n${run.stderr}`;
  if (run.spawnError) {
    const { code, message } = run.spawnError;
    if (code === 'ENOENT') return { code: 'not_installed', message: `no ${binary} found: no NVIDIA driver is installed, or nvidia-smi is not on PATH` };
    if (code === 'EACCES' || code === 'EPERM') return { code: 'not_executable', message: `${binary} cannot be run (${code}): check its permissions` };
    return { code: 'failed', message: `${binary} could not be started: ${message}` };
  }
  if (run.timedOut) return problem('timeout', `nvidia-smi did not answer within ${timeoutMs} ms and was stopped (a hung driver?)`, text);
  if (run.exitCode === 0) return undefined;
  const known = recognizeError(text, run.exitCode);
  if (known) return known;
  if (run.exitCode === null) return problem('failed', `nvidia-smi was killed by ${run.signal ?? 'a signal'}`, text);
  const byCode = EXIT_CODES[run.exitCode];
  const first = excerpt(text)?.split('\n')[0];
  if (byCode) return problem(byCode.code, byCode.message, text, run.exitCode);
  return problem('failed', `nvidia-smi failed (exit ${run.exitCode})${first ? `: ${first}` : ''}`, text, run.exitCode);
}
