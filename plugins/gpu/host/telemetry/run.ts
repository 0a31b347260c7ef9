/**
 * Runs nvidia-smi once, with a deadline that always holds: past `timeoutMs` the whole process
 * group is killed (a wrapper script's children too) and the run ends at once, without waiting for
 * pipes a stray child may still hold open. Output past `maxBytes` is cut and the process killed,
 * so a binary that floods cannot fill the host's memory.
 */
import { spawn } from 'node:child_process';
import type { RunOutcome } from './problems.js';

export interface RunOptions {
  timeoutMs: number;
  env?: NodeJS.ProcessEnv;
  /** Per stream; default 1 MiB (a 64-GPU box prints a few KiB). */
  maxBytes?: number;
}

const GROUPS = process.platform !== 'win32';

export function runCommand(binary: string, args: readonly string[], options: RunOptions): Promise<RunOutcome> {
  const started = performance.now();
  const maxBytes = options.maxBytes ?? 1024 * 1024;
  return new Promise<RunOutcome>((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let settled = false;
    let timedOut = false;
    let child: ReturnType<typeof spawn>;
    const finish = (o: Partial<RunOutcome>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        exitCode: null,
        signal: null,
        timedOut,
        durationMs: Math.round(performance.now() - started),
        ...o,
      });
    };
    const kill = () => {
      if (child.pid === undefined) return;
      try {
        // A negative pid is the group: nvidia-smi, or a script and everything it started.
        if (GROUPS) process.kill(-child.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        child.kill('SIGKILL'); // the group is gone already; the child itself, in case
      }
    };
    try {
      child = spawn(binary, [...args], {
        env: options.env ?? process.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        // Its own process group, so a timeout kills what it started too.
        detached: GROUPS,
        windowsHide: true,
      });
    } catch (e) {
      const error = e as NodeJS.ErrnoException;
      resolve({ stdout: '', stderr: '', exitCode: null, signal: null, timedOut: false, durationMs: 0, spawnError: { code: error.code ?? 'EINVAL', message: error.message } });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
      // Do not wait for 'close': a grandchild could keep the pipes open for as long as it lives.
      child.stdout?.destroy();
      child.stderr?.destroy();
      finish({ signal: 'SIGKILL' });
    }, options.timeoutMs);
    const collect = (into: Buffer[], which: 'out' | 'err') => (chunk: Buffer) => {
      const size = which === 'out' ? (outBytes += chunk.length) : (errBytes += chunk.length);
      if (size <= maxBytes) into.push(chunk);
      else if (size - chunk.length < maxBytes) {
        into.push(chunk.subarray(0, maxBytes - (size - chunk.length)));
        kill();
      }
    };
    child.stdout?.on('data', collect(out, 'out'));
    child.stderr?.on('data', collect(err, 'err'));
    child.once('error', (e: NodeJS.ErrnoException) => finish({ spawnError: { code: e.code ?? 'UNKNOWN', message: e.message } }));
    child.once('close', (code, signal) => finish({ exitCode: code, signal }));
    // Exited, but a child it left behind holds the pipes: take what came, a moment later.
    child.once('exit', (code, signal) => {
      setTimeout(() => {
        if (settled) return;
        kill();
        child.stdout?.destroy();
        child.stderr?.destroy();
        finish({ exitCode: code, signal });
      }, 200).unref();
    });
  });
}
