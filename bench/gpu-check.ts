/**
 * `npm run gpu-check` (issue 12 point 10): does local inference run on this machine's NVIDIA GPU?
 * A report in five steps, each with what it found:
 *   1. nvidia-smi, run and read by the GPU plugin's own sampler and parser (telemetry/): the GPUs,
 *      or why there are none (not installed, no driver, no devices…)
 *   2. node-llama-cpp's prebuilt CUDA backend: loads or not (llama.gpu, devices, VRAM)
 *   3. a generated random-weight model (test/harness/gguf.ts) with every layer on the GPU
 *      (gpuLayers 'max'): tokens per second, VRAM before and after
 *   4. the same model through Reef's own engine process (worker.js, `gpuLayers: 'max'`), as the
 *      host will run it: the backend it got and tokens per second
 *   5. nvidia-smi again while that model is loaded: the engine process among the GPU's processes
 * Exit codes: 0 every check passed; 1 there is a GPU but a check failed; 2 there is no NVIDIA GPU
 * here (the report says what was missing). `--nvidia-smi PATH` runs another binary than the one
 * on PATH (as the plugin's `nvidia-smi` setting).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getLlama, type Llama, type Token } from 'node-llama-cpp';
import { EngineProcess } from '../plugins/gpu/host/engine/process.js';
import { TelemetrySampler } from '../plugins/gpu/host/telemetry/sampler.js';
import type { TelemetrySample } from '../plugins/gpu/host/telemetry/schemas.js';
import { writeTinyModel, type TinyModelOptions } from '../test/harness/gguf.js';
import { median } from './stats.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_NO_GPU = 2;

const WORKER = fileURLToPath(new URL('../plugins/gpu/host/engine/worker.js', import.meta.url));
/** bench/inference's model: 8 layers, hidden 512, f32 (84 MB): big enough for the GPU to show. */
const MODEL: TinyModelOptions = { name: 'gpu-check-8x512', layers: 8, embd: 512, heads: 8, ff: 1024, contextLength: 512, seed: 5 };
const PROMPT = 'Once upon a time, in a factory run by agents,';
const TOKENS = 256;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const num = (v: number | null, unit: string) => (v === null ? 'n/a' : `${v} ${unit}`);
const errorText = (err: unknown) => (err instanceof Error ? `${err.name !== 'Error' ? `${err.name}: ` : ''}${err.message}` : String(err));

function printGpus(sample: TelemetrySample): void {
  for (const g of sample.gpus) {
    console.log(
      `  GPU ${g.index}: ${g.name ?? 'unnamed'} (driver ${g.driverVersion ?? '?'}), memory ${num(g.memoryUsedMiB, 'MiB')} of ${num(g.memoryTotalMiB, 'MiB')}, ` +
        `utilization ${num(g.utilizationGpu, '%')}, ${num(g.temperatureC, '°C')}, ${num(g.powerDrawW, 'W')} of ${num(g.powerLimitW, 'W')}`,
    );
  }
}

function printProcesses(sample: TelemetrySample, ours: Map<number, string>): boolean {
  let found = false;
  for (const p of sample.processes) {
    const who = ours.get(p.pid);
    if (who) found = true;
    console.log(`  pid ${p.pid}${who ? ` (${who})` : ''}: ${p.processName ?? '?'}, ${num(p.usedMemoryMiB, 'MiB')}`);
  }
  if (sample.processes.length === 0) console.log('  (no compute processes listed)');
  return found;
}

async function vram(llama: Llama): Promise<string> {
  const v = await llama.getVramState();
  return `${mib(v.used)} used of ${mib(v.total)}`;
}

export async function run(argv = process.argv.slice(2)): Promise<number> {
  const at = argv.indexOf('--nvidia-smi');
  const binary = at >= 0 ? argv[at + 1] : undefined;
  const failures: string[] = [];
  const fail = (what: string) => {
    failures.push(what);
    console.log(`  FAILED: ${what}`);
  };
  console.log(`Reef GPU check on ${os.hostname()} (${process.platform} ${process.arch}, Node ${process.versions.node})\n`);

  // 1. nvidia-smi through the plugin's sampler: the same runs, parsing and error recognition as the GPU panel.
  console.log('1. nvidia-smi (read by the GPU plugin)');
  const sampler = new TelemetrySampler(binary ? { binary } : {});
  const first = await sampler.sampleNow();
  const status = sampler.status();
  const smiMissing = status.state !== 'ok' || first.gpus.length === 0 ? (status.reason ? `${status.reason.message} [${status.reason.code}]` : 'nvidia-smi listed no GPU') : undefined;
  if (smiMissing) console.log(`  no GPU: ${smiMissing}`);
  else printGpus(first);

  // 2. The CUDA backend that node-llama-cpp ships prebuilt.
  console.log("\n2. node-llama-cpp's CUDA backend");
  let llama: Llama | undefined;
  let cudaMissing: string | undefined;
  try {
    llama = await getLlama({ gpu: 'cuda', build: 'never', logLevel: 'error' as never });
    console.log(`  llama.gpu: ${String(llama.gpu)}; devices: ${(await llama.getGpuDeviceNames()).join(', ') || 'none named'}; VRAM: ${await vram(llama)}`);
  } catch (err) {
    cudaMissing = `the CUDA backend did not load (${errorText(err)}): no usable CUDA driver and GPU, or @node-llama-cpp/linux-x64-cuda is not installed`;
    console.log(`  ${cudaMissing}`);
  }

  if (smiMissing) {
    console.log(`\nNo NVIDIA GPU here: ${smiMissing}.${cudaMissing ? ` Also ${cudaMissing}.` : ''} Local models run on the CPU on this machine.`);
    await llama?.dispose();
    await sampler.stop();
    return EXIT_NO_GPU;
  }
  if (!llama) {
    console.log(`\nFAILED: nvidia-smi sees a GPU but ${cudaMissing}.`);
    await sampler.stop();
    return EXIT_FAILED;
  }

  const dir = mkdtempSync(path.join(os.tmpdir(), 'reef-gpu-check-'));
  let engine: EngineProcess | undefined;
  try {
    const file = writeTinyModel(MODEL, dir);
    // 3. node-llama-cpp in this process, every layer on the GPU.
    console.log(`\n3. a generated model (${MODEL.layers} layers, hidden ${MODEL.embd}, f32) with every layer on the GPU, in this process`);
    const before = await vram(llama);
    const model = await llama.loadModel({ modelPath: file, gpuLayers: 'max' });
    const context = await model.createContext({ contextSize: 512, threads: 1, sequences: 1 });
    const sequence = context.getSequence();
    console.log(`  layers on the GPU: ${model.gpuLayers}; VRAM before ${before}, loaded ${await vram(llama)}`);
    const rates: number[] = [];
    for (let round = 0; round < 4; round++) {
      await sequence.clearHistory();
      const started = performance.now();
      const generated: Token[] = [];
      const input = [...(model.tokens.bos !== null ? [model.tokens.bos] : []), ...model.tokenize(PROMPT)];
      for await (const token of sequence.evaluate(input, { temperature: 0, seed: 1, yieldEogToken: true })) {
        if (model.isEogToken(token) || generated.push(token) >= TOKENS) break;
      }
      if (round > 0) rates.push((generated.length / (performance.now() - started)) * 1000);
    }
    console.log(`  ${TOKENS} tokens: ${median(rates).toFixed(0)} tokens/s (median of ${rates.length}, after one warm-up)`);
    if (model.gpuLayers === 0) fail('no layer went to the GPU');
    await context.dispose();
    await model.dispose();

    // 4. Reef's engine process with gpuLayers, as the host runs a model.
    console.log("\n4. the same model in Reef's engine process (gpuLayers 'max')");
    engine = new EngineProcess(MODEL.name as string, WORKER);
    const loaded = await engine.load({ modelPath: file, contextSize: 512, threads: 1, gpuLayers: 'max' });
    console.log(`  pid ${engine.pid}: backend ${String(loaded.gpu)}, ${loaded.gpuLayers} layers on the GPU, loaded in ${Math.round(loaded.loadMs)} ms`);
    if (loaded.gpu !== 'cuda') fail(`the engine process got backend ${String(loaded.gpu)}, not cuda`);
    if (!loaded.gpuLayers) fail('the engine process put no layer on the GPU');
    const engineRates: number[] = [];
    for (let round = 0; round < 4; round++) {
      const r = await engine.generate({ mode: 'completion', prompt: PROMPT, maxTokens: TOKENS, temperature: 0, seed: 1, stop: [], stream: false });
      if (round > 0) engineRates.push((r.completionTokens / r.ms) * 1000);
    }
    console.log(`  ${TOKENS} tokens: ${median(engineRates).toFixed(0)} tokens/s (median of ${engineRates.length}, timed inside the engine)`);

    // 5. nvidia-smi again, the model loaded: the engine process should be on the GPU.
    console.log('\n5. nvidia-smi with the model loaded in the engine process');
    const during = await sampler.sampleNow();
    if (sampler.status().state !== 'ok') fail(`nvidia-smi failed the second time: ${sampler.status().reason?.message ?? 'no reason'}`);
    printGpus(during);
    const ours = new Map<number, string>([[engine.pid ?? -1, "Reef's engine process"]]);
    // In a container nvidia-smi often cannot see process ids (its own pid namespace): say so, do not fail.
    if (!printProcesses(during, ours)) console.log("  (the engine process is not listed: in a container nvidia-smi often sees no host pids; the GPU's memory above is the evidence)");
  } catch (err) {
    fail(errorText(err));
  } finally {
    await engine?.stop();
    await llama.dispose();
    await sampler.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(failures.length ? `\nFAILED: ${failures.join('; ')}` : '\nGPU check passed: local inference runs on the GPU.');
  return failures.length ? EXIT_FAILED : EXIT_OK;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = await run();
}
