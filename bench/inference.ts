/**
 * bench/inference (issue 12): tokens per second of a local model, straight from node-llama-cpp in
 * this process against the same generation through Reef's OpenAI-compatible endpoint on a real
 * `reef serve` (the built host, its engine process per model), in the same run, interleaved:
 *   evaluate      node-llama-cpp's sequence.evaluate, the loop the engine itself runs (the baseline)
 *   LlamaCompletion  node-llama-cpp's own completion API, what a program would write
 *   reef          POST /v1/completions, non-streaming
 *   reef stream   the same with stream: true (server-sent events, one per piece of text)
 * One generated random-weight llama model (test/harness/gguf.ts, 8 layers, hidden 512, f32), one
 * thread everywhere (Reef's default; on 2 cores the library's own default was ~30× slower),
 * temperature 0, a fixed seed and prompt; every generation must end by length with exactly
 * max_tokens tokens, or the bench fails. Tokens/s = completion tokens ÷ the wall time of the
 * whole generation (prompt included) as the caller sees it: for Reef the HTTP request, from send
 * to the last byte. Figures are medians over BENCH_ROUNDS rounds (default 8), each round running
 * every variant once, in an order that rotates from round to round; the ratios are also taken
 * round by round (generations seconds apart), which a slow spell on a shared machine moves less.
 * Goal: Reef ÷ evaluate ≥ 0.95, streaming and not.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { getLlama, LlamaCompletion, type LlamaContext, type LlamaModel, type Token } from 'node-llama-cpp';
import { writeTinyModel, type TinyModelOptions } from '../test/harness/gguf.js';
import { startReef, type ReefProcess } from '../test/harness/reef-process.js';
import { tempDir } from '../test/harness/tmp.js';
import { median, table } from './stats.js';

const MODEL: TinyModelOptions = { name: 'bench-8x512', layers: 8, embd: 512, heads: 8, ff: 1024, contextLength: 512, seed: 5 };
const PROMPT = 'Once upon a time, in a factory run by agents,';
const SEED = 1;

interface Run {
  tokens: number;
  ms: number;
}

/**
 * CPU time a process has used, in ms (Linux: /proc, 10 ms ticks; elsewhere undefined). Wall time
 * on a shared 2-core box moves with whatever else runs; CPU time shows what each part costs.
 */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** The engine process `reef serve` started for the model: its only child. */
function enginePid(host: ReefProcess): number | undefined {
  const pid = host.child.pid;
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return children.length === 1 ? children[0] : undefined;
  } catch {
    return undefined;
  }
}

class Direct {
  private constructor(
    private readonly model: LlamaModel,
    private readonly context: LlamaContext,
  ) {}

  static async open(file: string): Promise<Direct> {
    // As the engine process loads it (worker.ts): CPU only, prebuilt binaries, one thread, one sequence.
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error' as never });
    const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
    const context = await model.createContext({ contextSize: Math.min(2048, model.trainContextSize), threads: 1, sequences: 1 });
    return new Direct(model, context);
  }

  /** The engine's loop without the engine: evaluate the prompt, take tokens until max_tokens. */
  async evaluate(maxTokens: number): Promise<Run> {
    const m = this.model;
    const sequence = this.context.getSequence();
    try {
      const started = performance.now();
      const input: Token[] = [...(m.tokens.bos !== null ? [m.tokens.bos] : []), ...m.tokenize(PROMPT)];
      const generated: Token[] = [];
      for await (const token of sequence.evaluate(input, { temperature: 0, seed: SEED, yieldEogToken: true })) {
        if (m.isEogToken(token)) break;
        generated.push(token);
        if (generated.length >= maxTokens) break;
      }
      m.detokenize(generated);
      const ms = performance.now() - started;
      if (generated.length !== maxTokens) throw new Error(`evaluate: ${generated.length} tokens, not ${maxTokens} (the model ended early: change PROMPT or SEED)`);
      return { tokens: generated.length, ms };
    } finally {
      sequence.dispose();
    }
  }

  /** node-llama-cpp's completion API. */
  async completion(maxTokens: number): Promise<Run> {
    const sequence = this.context.getSequence();
    const completion = new LlamaCompletion({ contextSequence: sequence });
    try {
      let tokens = 0;
      const started = performance.now();
      const { metadata } = await completion.generateCompletionWithMeta(PROMPT, { maxTokens, temperature: 0, seed: SEED, onToken: (t) => (tokens += t.length) });
      const ms = performance.now() - started;
      if (metadata.stopReason !== 'maxTokens' || tokens !== maxTokens) throw new Error(`LlamaCompletion: ${tokens} tokens, stopped by ${metadata.stopReason}; wanted ${maxTokens} by maxTokens`);
      return { tokens, ms };
    } finally {
      completion.dispose({ disposeSequence: true });
    }
  }

  async close(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}

interface Completion {
  choices: Array<{ text: string; finish_reason: string | null }>;
  usage?: { completion_tokens: number };
}

async function viaReef(host: ReefProcess, model: string, maxTokens: number, stream: boolean): Promise<Run> {
  const body = { model, prompt: PROMPT, max_tokens: maxTokens, temperature: 0, seed: SEED, ...(stream && { stream: true, stream_options: { include_usage: true } }) };
  const started = performance.now();
  const res = await fetch(`${host.origin}/v1/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${host.token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST /v1/completions: ${res.status} ${await res.text()}`);
  let finish: string | null = null;
  let tokens = -1;
  if (stream) {
    // Read the events as they come, as a client would; the last one is [DONE].
    const decoder = new TextDecoder();
    let buffer = '';
    let events = 0;
    let done = false;
    for await (const piece of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(piece, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event
          .split('\n')
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trim())
          .join('');
        if (!data) continue;
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        events++;
        const chunk = JSON.parse(data) as Completion;
        finish = chunk.choices[0]?.finish_reason ?? finish;
        if (chunk.usage) tokens = chunk.usage.completion_tokens;
      }
    }
    if (!done || events < 2) throw new Error(`stream: ${events} events${done ? '' : ', no [DONE]'}`);
  } else {
    const reply = (await res.json()) as Completion;
    finish = reply.choices[0]?.finish_reason ?? null;
    tokens = reply.usage?.completion_tokens ?? -1;
  }
  const ms = performance.now() - started;
  if (finish !== 'length' || tokens !== maxTokens) throw new Error(`reef${stream ? ' stream' : ''}: ${tokens} tokens, finish_reason ${finish}; wanted ${maxTokens} by length`);
  return { tokens, ms };
}

export async function run(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 8);
  const maxTokens = Number(process.env.BENCH_INFERENCE_TOKENS ?? 256);
  const dir = tempDir('reef-bench-inference-');
  let host: ReefProcess | undefined;
  let direct: Direct | undefined;
  try {
    const modelsDir = path.join(dir.path, 'models');
    mkdirSync(modelsDir);
    const written = performance.now();
    const file = writeTinyModel(MODEL, modelsDir);
    const writeMs = performance.now() - written;
    const name = MODEL.name as string;
    console.log(
      `bench/inference on ${process.platform}, Node ${process.versions.node}: model ${name} (llama, ${MODEL.layers} layers, hidden ${MODEL.embd}, f32, random weights; written in ${Math.round(writeMs)} ms), ` +
        `${maxTokens} tokens per generation, temperature 0, seed ${SEED}, 1 thread, ${rounds} rounds`,
    );
    host = await startReef({ dataDir: dir.path });
    direct = await Direct.open(file);
    const d = direct;
    const h = host;
    const variants: Array<[string, () => Promise<Run>]> = [
      ['evaluate (node-llama-cpp)', () => d.evaluate(maxTokens)],
      ['LlamaCompletion (node-llama-cpp)', () => d.completion(maxTokens)],
      ['reef /v1/completions', () => viaReef(h, name, maxTokens, false)],
      ['reef /v1/completions, stream', () => viaReef(h, name, maxTokens, true)],
    ];
    // Warm-up, not counted: Reef loads the model on its first request; every path runs once.
    const warm = performance.now();
    for (const [, fn] of variants) await fn();
    console.log(`warm-up (Reef's model load included): ${Math.round(performance.now() - warm)} ms`);

    const engine = enginePid(h);
    const rates = new Map<string, number[]>(variants.map(([v]) => [v, []]));
    const cpu = new Map<string, { self: number[]; host: number[]; engine: number[] }>(variants.map(([v]) => [v, { self: [], host: [], engine: [] }]));
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < variants.length; i++) {
        const [label, fn] = variants[(i + round) % variants.length] as [string, () => Promise<Run>];
        const self0 = process.cpuUsage();
        const host0 = cpuMs(h.child.pid);
        const engine0 = cpuMs(engine);
        const r = await fn();
        const self = process.cpuUsage(self0);
        const host1 = cpuMs(h.child.pid);
        const engine1 = cpuMs(engine);
        rates.get(label)?.push((r.tokens / r.ms) * 1000);
        const c = cpu.get(label);
        c?.self.push((self.user + self.system) / 1000);
        if (host0 !== undefined && host1 !== undefined) c?.host.push(host1 - host0);
        if (engine0 !== undefined && engine1 !== undefined) c?.engine.push(engine1 - engine0);
      }
    }
    const baseline = rates.get('evaluate (node-llama-cpp)') as number[];
    const base = median(baseline);
    const ms = (values: number[] | undefined) => (values?.length ? Math.round(median(values)) : '');
    console.log(
      table(
        variants.map(([label]) => {
          const values = rates.get(label) as number[];
          const m = median(values);
          const c = cpu.get(label);
          return {
            path: label,
            'tokens/s median': m,
            min: Math.min(...values),
            max: Math.max(...values),
            'ms per generation': (maxTokens / m) * 1000,
            'ratio to evaluate': (m / base).toFixed(3),
            'per-round ratio median': median(values.map((v, i) => v / (baseline[i] as number))).toFixed(3),
            'CPU ms: bench process': ms(c?.self),
            'reef host': ms(c?.host),
            'engine process': ms(c?.engine),
          };
        }),
      ),
    );
    // Each round's ratio pairs generations run seconds apart, so a slow spell (another process) moves both.
    const worst = Math.min(...variants.filter(([l]) => l.startsWith('reef')).map(([l]) => median((rates.get(l) as number[]).map((v, i) => v / (baseline[i] as number)))));
    console.log(`Reef ÷ evaluate (median of the rounds' ratios), the lower of the two: ${worst.toFixed(3)} (goal ≥ 0.95: ${worst >= 0.95 ? 'met' : 'MISSED'})`);
  } finally {
    await direct?.close();
    await host?.stop();
    dir.remove();
  }
}
