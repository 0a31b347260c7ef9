/**
 * Preloading from the task queue: tasks tagged `model: <name>` (PROTOCOL.md "Tasks") say which
 * model agents will ask for. Every `preload-interval-s` (10 s) the plugin lists the ready and
 * scheduled tasks for each local model and tells the scheduler: ready tasks are needed now
 * (`tasks`), a scheduled one at its `runAt`. The scheduler loads a hinted model only while no
 * request waits (docs/ARCHITECTURE.md "Local inference"). Without the queue plugin this does nothing.
 */
import type { PluginContext } from '../../../../sdk/index.js';
import type { Engine } from '../engine/engine.js';

interface ListedTask {
  state: string;
  runAt: string;
}

/** Hints for one model from its listed tasks (at most `limit` of them were listed). */
export function hintFrom(model: string, tasks: readonly ListedTask[], now: number): { model: string; tasks?: number; at?: number } | undefined {
  const ready = tasks.filter((t) => t.state === 'ready').length;
  if (ready > 0) return { model, tasks: ready };
  const times = tasks.filter((t) => t.state === 'scheduled').map((t) => Date.parse(t.runAt)).filter((t) => Number.isFinite(t) && t > now);
  return times.length ? { model, at: Math.min(...times) } : undefined;
}

export function startPreload(ctx: PluginContext, engine: Engine): void {
  const seconds = Number(ctx.settings['preload-interval-s'] ?? 10);
  const intervalMs = Number.isFinite(seconds) && seconds >= 1 && seconds <= 3600 ? seconds * 1000 : 10_000;
  let running = false;
  let warned = false;
  const poll = async () => {
    if (running) return;
    running = true;
    try {
      const models = engine.view().map((v) => v.name);
      for (const model of models) {
        const reply = (await ctx.bus.request('reef.v1.tasks.list', { state: ['ready', 'scheduled'], 'tag.model': model, limit: 100 }, { timeoutMs: 5000 })) as { tasks?: ListedTask[] };
        const hint = hintFrom(model, reply.tasks ?? [], ctx.now());
        if (hint) engine.hint(hint);
      }
      warned = false;
    } catch (err) {
      // No queue plugin (or it is stopping): nothing to preload from; said once.
      if (!warned) ctx.log.info('preloading from the task queue is idle: the queue does not answer', { err: String(err) });
      warned = true;
    } finally {
      running = false;
    }
  };
  ctx.timers.setInterval(() => void poll(), intervalMs);
}
