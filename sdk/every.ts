import type { PluginContext } from './plugin.js';

/**
 * Runs `job` every `ms` on the plugin's timers (and once at once with `now`), never two runs at
 * once, logging (not hiding) a failure as "<what> failed". Stopped when the plugin deactivates.
 * @since 0.2.0
 */
export function every(ctx: Pick<PluginContext, 'timers' | 'log'>, ms: number, what: string, job: () => Promise<unknown>, options: { now?: boolean } = {}): void {
  let running = false;
  const run = () => {
    if (running) return;
    running = true;
    job()
      .catch((err: unknown) => ctx.log.error(`${what} failed`, { err: String(err) }))
      .finally(() => (running = false));
  };
  ctx.timers.setInterval(run, ms);
  if (options.now) ctx.timers.setTimeout(run, 0);
}
