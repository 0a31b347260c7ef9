/** `reef serve`: the host under plain Node, serving the renderer to a browser until interrupted. */
import { spawn } from 'node:child_process';
import type { HostConfig } from '../host/config.js';
import { startHost } from '../host/host.js';

export async function serve(
  config: HostConfig,
  options: { open: boolean; out: { log: (s: string) => void; error: (s: string) => void } },
): Promise<number> {
  const host = await startHost(config, { mode: 'browser' });
  const url = host.openUrl();
  options.out.log(`Reef ${host.info().version} (${host.info().tier}, ${host.db?.dialect ?? `connected to ${config.connect}`}) is running at ${url}`);
  const failed = host.plugins.list().filter((p) => p.state === 'failed');
  for (const p of failed) options.out.error(`plugin ${p.id} failed: ${p.error ?? 'unknown error'}`);
  for (const p of host.plugins.manifestProblems()) options.out.error(`plugin manifest ${p.file}: ${p.message}`);
  if (options.open) openInBrowser(url, options.out);

  return new Promise<number>((resolve) => {
    const stop = (signal: string) => {
      host.log.info({ signal }, 'stopping');
      host.stop().then(
        () => resolve(0),
        (err: unknown) => {
          options.out.error(`reef: error while stopping: ${String(err)}`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

function openInBrowser(url: string, out: { error: (s: string) => void }): void {
  const [cmd, args] =
    process.platform === 'darwin'
      ? ['open', [url]]
      : process.platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
  child.on('error', () => out.error(`could not open a browser (${cmd} is missing); open the URL above by hand`));
  child.unref();
}
