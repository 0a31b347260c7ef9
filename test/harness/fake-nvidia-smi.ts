/**
 * Drives the nvidia-smi STAND-IN (test/harness/fake-nvidia-smi/nvidia-smi, a sh script that is
 * not NVIDIA's tool) for tests: a temp folder put first on PATH that holds it or not (a missing
 * binary), and the files that choose what it prints (a fixture) or how it fails (a driver error
 * with its exit code, garbage, a hang).
 *
 * The PATH it gives holds only that folder and one with `cat` and `sleep` (which the stand-in
 * uses), so a real nvidia-smi elsewhere on the machine is never found instead.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const STAND_IN = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-nvidia-smi', 'nvidia-smi');

export type FakeMode =
  | { mode: 'answer'; gpu: string; apps?: string }
  | { mode: 'fail'; output: string; exitCode: number }
  | { mode: 'garbage' }
  | { mode: 'hang' };

export class FakeNvidiaSmi {
  readonly root: string;
  /** The folder first on PATH, where `nvidia-smi` is (installed) or is not (missing). */
  readonly bin: string;
  /** The stand-in's control files. */
  readonly control: string;
  private readonly tools: string;

  constructor() {
    this.root = mkdtempSync(path.join(os.tmpdir(), 'reef-fake-nvidia-smi-'));
    this.bin = path.join(this.root, 'bin');
    this.control = path.join(this.root, 'control');
    this.tools = path.join(this.root, 'tools');
    for (const dir of [this.bin, this.control, this.tools]) mkdirSync(dir);
    for (const tool of ['cat', 'sleep']) {
      const where = execFileSync('/bin/sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
      symlinkSync(where, path.join(this.tools, tool));
    }
  }

  /** The environment to run nvidia-smi with: the stand-in's folder first (and only) on PATH. */
  get env(): NodeJS.ProcessEnv {
    return { ...process.env, PATH: `${this.bin}${path.delimiter}${this.tools}`, FAKE_NVIDIA_SMI_DIR: this.control };
  }

  /** Puts the stand-in on PATH (as `nvidia-smi`). */
  install(): this {
    const target = path.join(this.bin, 'nvidia-smi');
    if (!existsSync(target)) {
      copyFileSync(STAND_IN, `${target}.tmp`);
      chmodSync(`${target}.tmp`, 0o755);
      renameSync(`${target}.tmp`, target);
    }
    return this;
  }

  /** Takes it off PATH: a machine without the NVIDIA driver. */
  uninstall(): this {
    rmSync(path.join(this.bin, 'nvidia-smi'), { force: true });
    return this;
  }

  set(mode: FakeMode): this {
    const write = (name: string, text: string) => writeFileSync(path.join(this.control, name), text);
    const remove = (name: string) => rmSync(path.join(this.control, name), { force: true });
    if (mode.mode === 'answer') {
      write('gpu.csv', mode.gpu);
      if (mode.apps === undefined) remove('apps.csv');
      else write('apps.csv', mode.apps);
    }
    if (mode.mode === 'fail') {
      write('fail.out', mode.output);
      write('fail.code', String(mode.exitCode));
    }
    // Written last: a run in between sees the old mode or the new one, whole.
    write('mode.tmp', mode.mode);
    renameSync(path.join(this.control, 'mode.tmp'), path.join(this.control, 'mode'));
    return this;
  }

  /** The argument lines of every run so far. */
  calls(): string[] {
    const file = path.join(this.control, 'calls');
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  }

  /** Runs of `--query-gpu` so far. */
  gpuRuns(): number {
    return this.calls().filter((c) => c.includes('--query-gpu')).length;
  }

  /** In hang mode: the pid of the child the stand-in left holding its stdout. */
  hangPid(): number | undefined {
    const file = path.join(this.control, 'hang.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Whether a process is still there. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
