/**
 * GPU plugin, host side. Each part starts here in its own folder and reaches the others only
 * through what its start function returns:
 *
 * - telemetry/ (now): nvidia-smi and host CPU/memory sampled while watched, `reef.v1.gpu.telemetry`.
 * - the inference engine, the scheduler and the OpenAI-compatible routes (to come): they keep
 *   telemetry on while a model is loaded with `telemetry.watch('model')`.
 */
import type { PluginContext } from '../../../sdk/index.js';
import { startTelemetry } from './telemetry/index.js';

export async function activate(ctx: PluginContext): Promise<void> {
  // The engine, when it lands, takes this handle: telemetry.watch('model') while a model is loaded.
  await startTelemetry(ctx);
}
