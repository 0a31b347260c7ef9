/**
 * GPU plugin, host side. Each part starts here in its own folder and reaches the others only
 * through what its start function returns:
 *
 * - telemetry/ (now): nvidia-smi and host CPU/memory sampled while watched, `reef.v1.gpu.telemetry`.
 * - engine/ and openai/: local inference, one process per loaded model, and the OpenAI-compatible
 *   routes and `reef.v1.inference.*`; they keep telemetry on while a model is loaded.
 * - scheduler/ (to be wired in at engine/engine.ts's SCHEDULER SEAM).
 */
import type { PluginContext } from '../../../sdk/index.js';
import { startInference } from './openai/index.js';
import { startTelemetry } from './telemetry/index.js';

export async function activate(ctx: PluginContext): Promise<void> {
  const telemetry = await startTelemetry(ctx);
  await startInference(ctx, telemetry);
}
