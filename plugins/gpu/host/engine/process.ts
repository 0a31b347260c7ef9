/**
 * The host's side of one engine process: starts it, sends it requests, matches the answers by
 * id, and fails every request in flight with `engine_crashed` when the process dies.
 *
 * Seam for Electron: `launch` starts the worker script. Under Node it is `child_process.fork`
 * (`forkLauncher`); the desktop shell can hand in one built on `utilityProcess.fork`, whose
 * `postMessage`/`on('message')`/`on('exit')`/`kill()` map onto `WorkerHandle` one to one.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { ReefError } from '../../../../sdk/index.js';
import {
  WorkerMessageSchema,
  type EmbedResult,
  type GenerateParams,
  type GenerateResult,
  type HostMessage,
  type LoadParams,
  type LoadResult,
  type WorkerMessage,
} from './protocol.js';

export interface WorkerHandle {
  readonly pid: number | undefined;
  send(message: HostMessage): void;
  onMessage(fn: (message: unknown) => void): void;
  /** Called once, when the process has ended, however it ended. */
  onExit(fn: (code: number | null, signal: string | null) => void): void;
  kill(): void;
}

export type WorkerLauncher = (script: string) => WorkerHandle;

/** Plain Node: a forked child with an IPC channel; its stderr is kept for the crash message. */
export const forkLauncher: WorkerLauncher = (script) => {
  const child = fork(script, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (m) => {
      if (child.connected) child.send(m);
    },
    onMessage: (fn) => child.on('message', fn),
    onExit: (fn) => child.once('exit', (code, signal) => fn(code, signal ? `${signal}${stderr ? `; stderr: ${stderr.trim().slice(-500)}` : ''}` : stderr ? `stderr: ${stderr.trim().slice(-500)}` : null)),
    kill: () => child.kill('SIGKILL'),
  };
};

/** The code, in `details.reason`, of a request failed because its engine process died. */
export const ENGINE_CRASHED = 'engine_crashed';

export function isEngineCrash(err: unknown): boolean {
  return err instanceof ReefError && (err.details as { reason?: string } | undefined)?.reason === ENGINE_CRASHED;
}

interface Pending {
  resolve(message: WorkerMessage): void;
  reject(err: Error): void;
  onChunk?: (text: string) => void;
}

export class EngineProcess {
  private readonly handle: WorkerHandle;
  private readonly pending = new Map<string, Pending>();
  private readonly ready: Promise<void>;
  private exitError: ReefError | undefined;
  /** Resolved when the process has ended. */
  readonly exited: Promise<void>;

  constructor(
    readonly model: string,
    script: string,
    launch: WorkerLauncher = forkLauncher,
    private readonly onProtocolError: (message: string) => void = () => {},
  ) {
    this.handle = launch(script);
    let ready!: () => void;
    let failed!: (err: Error) => void;
    this.ready = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    this.ready.catch(() => {});
    this.handle.onMessage((raw) => {
      const parsed = WorkerMessageSchema.safeParse(raw);
      if (!parsed.success) {
        this.onProtocolError(`engine process for ${model} sent a malformed message: ${parsed.error.message}`);
        return;
      }
      const message = parsed.data;
      if (message.type === 'ready') return ready();
      const pending = this.pending.get(message.id);
      if (!pending) return;
      if (message.type === 'chunk') return pending.onChunk?.(message.text);
      this.pending.delete(message.id);
      if (message.type === 'error') pending.reject(new ReefError('internal', `model ${model}: ${message.message}`));
      else pending.resolve(message);
    });
    this.exited = new Promise<void>((resolve) => {
      this.handle.onExit((code, signal) => {
        this.exitError = new ReefError(
          'unavailable',
          `engine_crashed: the engine process for model ${model} ended (${signal ? `signal ${signal}` : `exit code ${code}`}) while serving the request; it is restarted on the next request`,
          { reason: ENGINE_CRASHED, model, exitCode: code, signal },
        );
        failed(this.exitError);
        for (const p of this.pending.values()) p.reject(this.exitError);
        this.pending.clear();
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.handle.pid;
  }

  get alive(): boolean {
    return this.exitError === undefined;
  }

  private async call(message: HostMessage, onChunk?: (text: string) => void, signal?: AbortSignal): Promise<WorkerMessage> {
    await this.ready;
    if (this.exitError) throw this.exitError;
    return new Promise<WorkerMessage>((resolve, reject) => {
      const onAbort = () => this.handle.send({ type: 'cancel', id: message.id });
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      this.pending.set(message.id, {
        resolve: (m) => {
          done();
          resolve(m);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        onChunk,
      });
      this.handle.send(message);
    });
  }

  async load(params: LoadParams): Promise<LoadResult> {
    const m = await this.call({ type: 'load', id: randomUUID(), params });
    if (m.type !== 'loaded') throw new ReefError('internal', `engine answered ${m.type} to load`);
    return m.result;
  }

  async generate(params: GenerateParams, onChunk?: (text: string) => void, signal?: AbortSignal): Promise<GenerateResult> {
    const m = await this.call({ type: 'generate', id: randomUUID(), params }, onChunk, signal);
    if (m.type !== 'done') throw new ReefError('internal', `engine answered ${m.type} to generate`);
    return m.result;
  }

  async embed(input: string[]): Promise<EmbedResult> {
    const m = await this.call({ type: 'embed', id: randomUUID(), input });
    if (m.type !== 'embedded') throw new ReefError('internal', `engine answered ${m.type} to embed`);
    return m.result;
  }

  /** Asks the process to free the model and exit; kills it if it has not within `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (!this.alive) return;
    this.handle.send({ type: 'unload', id: randomUUID() });
    const timer = setTimeout(() => this.handle.kill(), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** Ends the process at once (tests use it to crash one). */
  kill(): void {
    this.handle.kill();
  }
}
