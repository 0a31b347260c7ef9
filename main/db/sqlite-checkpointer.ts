/**
 * WAL checkpoints off the event loop. In WAL mode each commit appends the pages it changed to
 * the -wal file, and by default the committing connection copies them back into the database
 * (with an fsync) whenever the WAL passes 1,000 pages: a 5–50 ms stall of the host's only
 * thread every few hundred commits, half the time the queue spent committing (issue 10.4).
 * Here a second connection in a worker thread runs PASSIVE checkpoints, which copy what they
 * can without blocking the writer; the host's own connection keeps a far larger automatic
 * checkpoint only as a backstop (it then has almost nothing left to copy, and it restarts the
 * WAL from its first page). Durability is unchanged: a commit is in the WAL before it returns.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** The worker, as CommonJS source: no file to locate beside the compiled host or inside an asar. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const db = new Database(workerData.file, { fileMustExist: true, ...(workerData.nativeBinding ? { nativeBinding: workerData.nativeBinding } : {}) });
let stopped = false;
function checkpoint(asked) {
  if (stopped) return;
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (asked) parentPort.postMessage({ kind: 'checkpoint', log: r.log, checkpointed: r.checkpointed });
  } catch (err) {
    parentPort.postMessage({ kind: 'error', message: String(err && err.message || err) });
  }
}
const timer = setInterval(() => checkpoint(false), workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'now') checkpoint(true);
  if (m === 'stop') {
    stopped = true;
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
`;

export interface CheckpointerOptions {
  file: string;
  nativeBinding?: string;
  /** How often the worker checkpoints. */
  intervalMs?: number;
  /** Told of a checkpoint that failed (the backstop keeps the WAL bounded meanwhile). */
  onError?: (message: string) => void;
}

export interface CheckpointResult {
  /** Pages in the WAL, and how many of them are in the database now. */
  log: number;
  checkpointed: number;
}

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private readonly exited: Promise<void>;
  private waiting: Array<(r: CheckpointResult) => void> = [];

  constructor(options: CheckpointerOptions) {
    const require = createRequire(import.meta.url);
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        file: options.file,
        nativeBinding: options.nativeBinding,
        modulePath: require.resolve('better-sqlite3'),
        intervalMs: options.intervalMs ?? 100,
      },
    });
    // It must never keep the process alive on its own, nor end it.
    this.worker.unref();
    this.worker.on('message', (m: { kind: string; message?: string; log?: number; checkpointed?: number }) => {
      if (m.kind === 'error') options.onError?.(m.message ?? 'unknown error');
      if (m.kind === 'checkpoint') {
        // One reply per request, in order.
        this.waiting.shift()?.({ log: m.log ?? 0, checkpointed: m.checkpointed ?? 0 });
      }
    });
    this.worker.on('error', (err) => options.onError?.(err.message));
    this.exited = new Promise((resolve) => this.worker.once('exit', () => resolve()));
  }

  /** Runs a checkpoint now and resolves with what it did (tests, and anyone who wants the WAL small). */
  checkpointNow(): Promise<CheckpointResult> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.worker.postMessage('now');
    });
  }

  /** Closes the worker's connection; the host's own connection then checkpoints the rest as it closes. */
  async stop(): Promise<void> {
    this.worker.postMessage('stop');
    const timeout = setTimeout(() => void this.worker.terminate(), 5000);
    await this.exited;
    clearTimeout(timeout);
  }
}
