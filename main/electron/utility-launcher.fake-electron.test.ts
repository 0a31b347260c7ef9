/**
 * utility-launcher.ts against a FAKE of Electron's `utilityProcess` (the Electron binary cannot
 * be downloaded here): how fork's options, postMessage, 'message', 'error', 'exit', stderr and
 * kill() map onto the WorkerProcess a plugin gets as ctx.host.launchWorker.
 */
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import { beforeEach, describe, expect, it, vi } from 'vitest';

const fake = vi.hoisted(() => ({
  forks: [] as Array<{ modulePath: string; args: string[] | undefined; options: Record<string, unknown> | undefined; child: unknown }>,
}));

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');
  const { PassThrough: Pipe } = await import('node:stream');
  /** Behaves as Electron documents UtilityProcess: postMessage throws once the process is gone, kill() then answers false. */
  class FakeUtilityProcess extends Emitter {
    pid: number | undefined = undefined;
    stderr: InstanceType<typeof Pipe> | null = new Pipe();
    posted: unknown[] = [];
    kills = 0;
    private gone = false;
    postMessage(message: unknown): void {
      if (this.gone) throw new TypeError("Cannot read properties of null (reading 'postMessage')");
      this.posted.push(structuredClone(message));
    }
    kill(): boolean {
      if (this.gone) return false;
      this.kills += 1;
      return true;
    }
    /** The test's side: the process starts, then ends with `code`. */
    spawned(pid: number): void {
      this.pid = pid;
      this.emit('spawn');
    }
    exited(code: number): void {
      this.gone = true;
      this.emit('exit', code);
      this.pid = undefined;
      this.stderr = null;
    }
  }
  return {
    utilityProcess: {
      fork: (modulePath: string, args?: string[], options?: Record<string, unknown>) => {
        const child = new FakeUtilityProcess();
        fake.forks.push({ modulePath, args, options, child });
        return child;
      },
    },
  };
});

const { utilityLauncher } = await import('./utility-launcher.js');

interface FakeChild extends EventEmitter {
  pid: number | undefined;
  stderr: PassThrough | null;
  posted: unknown[];
  kills: number;
  spawned(pid: number): void;
  exited(code: number): void;
}

function launch(script = '/app/dist/plugins/gpu/host/engine/worker.js') {
  const worker = utilityLauncher(script);
  const forked = fake.forks.at(-1);
  if (!forked) throw new Error('utilityProcess.fork was not called');
  return { worker, forked, child: forked.child as FakeChild };
}

beforeEach(() => {
  fake.forks.length = 0;
});

describe('utilityLauncher (fake utilityProcess)', () => {
  it('forks the script as a utility process, stdin ignored and stderr piped', () => {
    const { forked } = launch('/opt/Reef/resources/app.asar/dist/plugins/gpu/host/engine/worker.js');
    expect(forked.modulePath).toBe('/opt/Reef/resources/app.asar/dist/plugins/gpu/host/engine/worker.js');
    expect(forked.args).toEqual([]);
    expect(forked.options).toMatchObject({ stdio: ['ignore', 'ignore', 'pipe'], serviceName: expect.any(String) });
  });

  it('pid follows the process: undefined before spawn and after exit', () => {
    const { worker, child } = launch();
    expect(worker.pid).toBeUndefined();
    child.spawned(4242);
    expect(worker.pid).toBe(4242);
    child.exited(0);
    expect(worker.pid).toBeUndefined();
  });

  it('send is postMessage; messages from the script reach onMessage as sent', () => {
    const { worker, child } = launch();
    const got: unknown[] = [];
    worker.onMessage((m) => got.push(m));
    worker.send({ type: 'load', id: 'a', params: { model: 'm' } });
    expect(child.posted).toEqual([{ type: 'load', id: 'a', params: { model: 'm' } }]);
    child.emit('message', { type: 'ready' });
    child.emit('message', { type: 'chunk', id: 'a', text: 'hi' });
    expect(got).toEqual([{ type: 'ready' }, { type: 'chunk', id: 'a', text: 'hi' }]);
  });

  it('after the exit, send is dropped (Electron would throw) and kill does nothing', () => {
    const { worker, child } = launch();
    child.spawned(7);
    child.exited(1);
    expect(() => worker.send({ type: 'unload', id: 'b' })).not.toThrow();
    expect(child.posted).toEqual([]);
    worker.kill();
    expect(child.kills).toBe(0);
  });

  it('onExit is told once, with the code and no reason on a clean exit', () => {
    const { worker, child } = launch();
    const exits: Array<[number | null, string | null]> = [];
    worker.onExit((code, signal) => exits.push([code, signal]));
    child.exited(0);
    child.emit('exit', 0);
    expect(exits).toEqual([[0, null]]);
  });

  it('kill() ends the process and the exit says it was killed', () => {
    const { worker, child } = launch();
    const exits: Array<[number | null, string | null]> = [];
    worker.onExit((code, signal) => exits.push([code, signal]));
    child.spawned(9);
    worker.kill();
    expect(child.kills).toBe(1);
    child.exited(15);
    expect(exits).toEqual([[15, 'SIGTERM']]);
  });

  it('a crash reports the fatal error and the end of stderr', async () => {
    const { worker, child } = launch();
    const exits: Array<[number | null, string | null]> = [];
    worker.onExit((code, signal) => exits.push([code, signal]));
    child.stderr?.write('loading model\n');
    child.stderr?.write('GGML_ASSERT failed\n');
    await new Promise((r) => setImmediate(r));
    child.emit('error', 'FatalError', 'llama.cpp:123', '{}');
    child.exited(134);
    expect(exits).toHaveLength(1);
    expect(exits[0]?.[0]).toBe(134);
    expect(exits[0]?.[1]).toBe('FatalError at llama.cpp:123; stderr: loading model\nGGML_ASSERT failed');
  });

  it('onExit asked after the process ended is still told', async () => {
    const { worker, child } = launch();
    child.exited(3);
    const exits: Array<[number | null, string | null]> = [];
    worker.onExit((code, signal) => exits.push([code, signal]));
    await Promise.resolve();
    expect(exits).toEqual([[3, null]]);
  });

  it('each call starts its own process', () => {
    launch('/a/worker.js');
    launch('/b/worker.js');
    expect(fake.forks.map((f) => f.modulePath)).toEqual(['/a/worker.js', '/b/worker.js']);
    expect(fake.forks[0]?.child).not.toBe(fake.forks[1]?.child);
  });
});
