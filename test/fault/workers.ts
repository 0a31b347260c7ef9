/** Spawns agent-worker.mjs processes and collects what they report (one JSON line per event). */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'agent-worker.mjs');

export interface WorkerEvent {
  kind: 'claimed' | 'completed' | 'refused' | 'failed' | 'exit';
  id?: string;
  attempt?: number;
  worker?: string;
  pid: number;
  at: number;
  status?: number;
  code?: string;
  state?: string;
}

export interface WorkerFleet {
  processes: ChildProcess[];
  events: WorkerEvent[];
  /** Starts `count` more processes. */
  add(count: number): void;
  /** Resolves when every process has exited (on its own, or killed). */
  done(): Promise<void>;
  kill(): void;
}

export function startWorkers(options: {
  url: string;
  token: string;
  queue: string;
  processes: number;
  workersPerProcess: number;
  leaseMs: number;
}): WorkerFleet {
  const processes: ChildProcess[] = [];
  const events: WorkerEvent[] = [];
  const exits: Promise<void>[] = [];
  const add = (count: number) => {
    for (let i = 0; i < count; i++) {
      const child = spawn(
        process.execPath,
        [SCRIPT, options.url, options.token, String(options.workersPerProcess), options.queue, String(options.leaseMs)],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let buffer = '';
      child.stdout?.on('data', (d: Buffer) => {
        buffer += d.toString();
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          // `at` is stamped by the worker when it happened, not when we got round to reading it.
          if (line) events.push({ at: Date.now(), ...(JSON.parse(line) as Omit<WorkerEvent, 'pid' | 'at'> & { at?: number }), pid: child.pid as number });
        }
      });
      exits.push(new Promise((resolve) => child.once('exit', () => resolve())));
      processes.push(child);
    }
  };
  add(options.processes);
  return {
    processes,
    events,
    add,
    done: async () => {
      // Processes added while waiting are waited for too.
      let seen = 0;
      while (seen < exits.length) {
        const batch = exits.slice(seen);
        seen = exits.length;
        await Promise.all(batch);
      }
    },
    kill: () => {
      for (const p of processes) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    },
  };
}
