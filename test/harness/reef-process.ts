/** Starts `reef serve` as a real child process on a temp data dir and a free port (e2e, bench). */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const REPO = path.basename(REPO_ROOT) === 'dist' ? path.dirname(REPO_ROOT) : REPO_ROOT;

export interface ReefProcess {
  /** The URL printed by `reef serve`, with ?token=. */
  openUrl: string;
  /** Origin only, e.g. http://127.0.0.1:43121 */
  origin: string;
  token: string;
  dataDir: string;
  child: ChildProcess;
  /** ms from spawn to the URL line on stdout */
  readyMs: number;
  stop(): Promise<void>;
}

/** `reef token create --scope agent --name NAME` on this host's data dir, as an operator would: the token. */
export function createAgentToken(host: Pick<ReefProcess, 'dataDir'>, name: string): string {
  return execFileSync(process.execPath, [path.join(REPO, 'bin', 'reef.js'), 'token', 'create', '--scope', 'agent', '--name', name, '--data-dir', host.dataDir], {
    encoding: 'utf8',
  }).trim();
}

export async function startReef(
  options: { args?: string[]; dataDir?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ReefProcess> {
  const ownDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), 'reef-e2e-'));
  const started = performance.now();
  const child = spawn(process.execPath, [path.join(REPO, 'bin', 'reef.js'), 'serve', '--data-dir', dataDir, '--port', '0', ...(options.args ?? [])], {
    cwd: REPO,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const openUrl = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`reef serve printed no URL within ${options.timeoutMs ?? 20_000} ms\n${stdout}\n${stderr}`)), options.timeoutMs ?? 20_000);
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const m = /running at (http\S+)/.exec(stdout);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`reef serve exited with ${code}\n${stdout}\n${stderr}`));
    });
  });
  const readyMs = performance.now() - started;
  const url = new URL(openUrl);
  return {
    openUrl,
    origin: url.origin,
    token: url.searchParams.get('token') ?? '',
    dataDir,
    child,
    readyMs,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
