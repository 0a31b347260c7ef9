/**
 * Plugins' worker processes in the desktop app (ctx.host.launchWorker): Electron utility
 * processes. `child_process.fork` would start the Electron executable as Node, which the
 * packaged app forbids (fuse runAsNode: false); a utility process is Electron's own Node child,
 * with asar support and a message channel (`process.parentPort` on the script's side).
 *
 * Mapping onto WorkerProcess: send → postMessage (dropped once ended: Electron throws on a dead
 * process's postMessage), 'message' → onMessage, 'exit' (a code only) → onExit once, with a
 * reason in `signal` when there is one (our kill, a fatal V8 error, stderr's last lines),
 * kill → kill() (SIGTERM on POSIX, reaped by Electron).
 */
import { utilityProcess } from 'electron';
import type { WorkerProcess, WorkerProcessLauncher } from '../../sdk/index.js';

const STDERR_KEPT = 4000;
const STDERR_SHOWN = 500;

export const utilityLauncher: WorkerProcessLauncher = (script): WorkerProcess => {
  // stdin must be 'ignore' for a utility process; stderr is kept for the crash message.
  const child = utilityProcess.fork(script, [], { stdio: ['ignore', 'ignore', 'pipe'], serviceName: 'Reef worker' });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer | string) => {
    stderr = (stderr + d.toString()).slice(-STDERR_KEPT);
  });
  let ended = false;
  let exitCode: number | null = null;
  let killed = false;
  let fatal: string | undefined;
  child.on('error', (type, location) => {
    fatal = `${type}${location ? ` at ${location}` : ''}`;
  });
  child.once('exit', (code) => {
    ended = true;
    exitCode = code;
  });
  const reason = (): string | null => {
    const parts = [killed ? 'SIGTERM' : undefined, fatal, stderr.trim() ? `stderr: ${stderr.trim().slice(-STDERR_SHOWN)}` : undefined];
    const said = parts.filter((p): p is string => p !== undefined);
    return said.length > 0 ? said.join('; ') : null;
  };
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => {
      if (!ended) child.postMessage(message);
    },
    onMessage: (fn) => {
      child.on('message', (message: unknown) => fn(message));
    },
    onExit: (fn) => {
      // Asked after the end: told at once (on the next turn, as an event would be).
      if (ended) queueMicrotask(() => fn(exitCode, reason()));
      else child.once('exit', (code) => fn(code, reason()));
    },
    kill: () => {
      if (ended) return;
      killed = true;
      child.kill();
    },
  };
};
