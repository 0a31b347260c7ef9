/**
 * One model's engine process: node-llama-cpp, on the CPU unless the load asks for GPU layers,
 * driven by the host over IPC with the messages of protocol.ts. It holds one context with one
 * sequence and serves one request at a time in arrival order; the host queues in front of it.
 *
 * Transport seam: under plain Node it is a `child_process.fork` child (`process.send`); under
 * Electron the same file runs as a `utilityProcess`, whose channel is `process.parentPort`.
 * `channel()` picks whichever is there; nothing else here knows which.
 */
import {
  getLlama,
  LlamaText,
  resolveChatWrapper,
  type ChatHistoryItem,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaModel,
  type Token,
} from 'node-llama-cpp';
import { HostMessageSchema, type ChatMessage, type GenerateParams, type GenerateResult, type HostMessage, type LoadParams, type WorkerMessage } from './protocol.js';

interface Channel {
  send(message: WorkerMessage): void;
  onMessage(fn: (message: unknown) => void): void;
}

interface ParentPort {
  postMessage(message: unknown): void;
  on(event: 'message', fn: (e: { data: unknown }) => void): void;
}

function channel(): Channel {
  const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
  if (parentPort) {
    return { send: (m) => parentPort.postMessage(m), onMessage: (fn) => parentPort.on('message', (e) => fn(e.data)) };
  }
  if (!process.send) throw new Error('the engine worker must be started with an IPC channel (child_process.fork or utilityProcess.fork)');
  return { send: (m) => process.send?.(m), onMessage: (fn) => process.on('message', fn) };
}

const io = channel();
// The host going away (its IPC channel closed) ends this process: nothing would read its answers.
process.on('disconnect', () => process.exit(0));

let model: LlamaModel | undefined;
let context: LlamaContext | undefined;
let sequence: LlamaContextSequence | undefined;
let embedding: LlamaEmbeddingContext | undefined;
let threads = 1;
let contextSize = 0;
const cancelled = new Set<string>();
let chain: Promise<void> = Promise.resolve();
/**
 * A streamed answer's text goes out at most this often while tokens come faster (the first piece
 * at once; a piece waits at most this long and one token more). One message per token, each an
 * event through the host, the bus and HTTP, cost a streamed generation 7–14% of its rate on 2
 * cores, twice the host and client CPU of this (bench/inference, docs/PERFORMANCE.md).
 */
const CHUNK_INTERVAL_MS = 20;

async function load(params: LoadParams) {
  const started = performance.now();
  const gpu = params.gpuLayers !== undefined;
  // build: 'never': use the prebuilt binaries from npm, never download or compile llama.cpp at run time.
  // Without gpuLayers no GPU backend is even tried; with them the library picks what the machine has
  // (CUDA, Vulkan, Metal) and falls back to the CPU.
  const llama = await getLlama({ gpu: gpu ? 'auto' : false, build: 'never', logLevel: 'error' as never });
  model = await llama.loadModel({ modelPath: params.modelPath, gpuLayers: params.gpuLayers ?? 0 });
  threads = params.threads;
  contextSize = Math.min(params.contextSize, model.trainContextSize);
  context = await model.createContext({ contextSize, threads, sequences: 1 });
  sequence = context.getSequence();
  return {
    loadMs: performance.now() - started,
    contextSize,
    embeddingLength: model.embeddingVectorSize,
    ...(gpu && { gpu: llama.gpu, gpuLayers: model.gpuLayers }),
  };
}

function chatHistory(messages: ChatMessage[]): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((m) =>
    m.role === 'system' ? { type: 'system', text: m.content } : m.role === 'user' ? { type: 'user', text: m.content } : { type: 'model', response: [m.content] },
  );
  // The model answers next: an open model turn.
  history.push({ type: 'model', response: [] });
  return history;
}

/** The longest end of `text` that could begin a stop string: held back until it is decided. */
function heldBack(text: string, stops: string[]): number {
  let hold = 0;
  for (const stop of stops) {
    for (let n = Math.min(stop.length - 1, text.length); n > hold; n--) {
      if (text.endsWith(stop.slice(0, n))) {
        hold = n;
        break;
      }
    }
  }
  return hold;
}

async function generate(id: string, params: GenerateParams): Promise<GenerateResult> {
  if (!model || !sequence) throw new Error('no model is loaded');
  const m = model;
  let input: Token[];
  const stops = [...params.stop];
  if (params.mode === 'chat') {
    const wrapper = resolveChatWrapper(m);
    const state = wrapper.generateContextState({ chatHistory: chatHistory(params.messages ?? []) });
    input = state.contextText.tokenize(m.tokenizer);
    // The template's end-of-turn texts end the answer as the model's end-of-generation token does.
    for (const trigger of state.stopGenerationTriggers) {
      const s = m.detokenize(LlamaText(trigger).tokenize(m.tokenizer, 'trimLeadingSpace'), true);
      if (s) stops.push(s);
    }
  } else {
    input = [...(m.tokens.bos !== null ? [m.tokens.bos] : []), ...m.tokenize(params.prompt ?? '')];
  }
  const room = contextSize - input.length;
  if (room < 1) throw new Error(`the prompt is ${input.length} tokens; the context holds ${contextSize}`);
  const maxTokens = Math.min(params.maxTokens, room);
  await sequence.clearHistory();
  const started = performance.now();
  const generated: Token[] = [];
  // The text (all of it detokenized again: a byte token may complete a character) is needed after
  // each token only to look for stop strings; to stream, when a piece goes out; else once, at the end.
  const watch = stops.length > 0;
  let sent = 0;
  let sentAt = Number.NEGATIVE_INFINITY;
  let text = '';
  let finishReason: GenerateResult['finishReason'] = 'length';
  // yieldEogToken: without it the library ends the loop at an end-of-generation token silently, and
  // the answer would say `length` for a model that stopped.
  for await (const token of sequence.evaluate(input, { temperature: params.temperature, seed: params.seed, yieldEogToken: true })) {
    if (cancelled.delete(id)) break;
    if (m.isEogToken(token)) {
      finishReason = 'stop';
      break;
    }
    generated.push(token);
    if (watch) {
      text = m.detokenize(generated);
      const hit = stops.map((s) => text.indexOf(s)).filter((i) => i >= 0);
      if (hit.length) {
        text = text.slice(0, Math.min(...hit));
        finishReason = 'stop';
        break;
      }
    }
    if (params.stream && performance.now() - sentAt >= CHUNK_INTERVAL_MS) {
      if (!watch) text = m.detokenize(generated);
      // Held back: a possible start of a stop string, and an unfinished UTF-8 character (U+FFFD at the end).
      let safe = text.length - heldBack(text, stops);
      while (safe > sent && text.charCodeAt(safe - 1) === 0xfffd) safe--;
      if (safe > sent) {
        io.send({ type: 'chunk', id, text: text.slice(sent, safe) });
        sent = safe;
        sentAt = performance.now();
      }
    }
    if (generated.length >= maxTokens) break;
  }
  if (!watch) text = m.detokenize(generated);
  if (params.stream && text.length > sent) io.send({ type: 'chunk', id, text: text.slice(sent) });
  return { text, finishReason, promptTokens: input.length, completionTokens: generated.length, ms: performance.now() - started };
}

async function embed(input: string[]) {
  if (!model) throw new Error('no model is loaded');
  embedding ??= await model.createEmbeddingContext({ contextSize, threads });
  const vectors: number[][] = [];
  let promptTokens = 0;
  for (const text of input) {
    promptTokens += model.tokenize(text).length;
    vectors.push([...(await embedding.getEmbeddingFor(text)).vector]);
  }
  return { vectors, promptTokens };
}

async function handle(message: HostMessage): Promise<void> {
  try {
    switch (message.type) {
      case 'load':
        io.send({ type: 'loaded', id: message.id, result: await load(message.params) });
        return;
      case 'generate':
        try {
          io.send({ type: 'done', id: message.id, result: await generate(message.id, message.params) });
        } finally {
          cancelled.delete(message.id);
        }
        return;
      case 'embed':
        io.send({ type: 'embedded', id: message.id, result: await embed(message.input) });
        return;
      case 'unload':
        await embedding?.dispose();
        await context?.dispose();
        await model?.dispose();
        io.send({ type: 'unloaded', id: message.id });
        process.exit(0);
        return;
      case 'cancel':
        return;
    }
  } catch (err) {
    io.send({ type: 'error', id: message.id, message: err instanceof Error ? err.message : String(err) });
  }
}

io.onMessage((raw) => {
  const parsed = HostMessageSchema.safeParse(raw);
  if (!parsed.success) {
    // Not from our host: say so on stderr (the host logs it) and ignore it.
    process.stderr.write(`engine worker: ignored a malformed message: ${parsed.error.message}\n`);
    return;
  }
  const message = parsed.data;
  // A cancel acts at once, on the request running or waiting; everything else runs in order.
  if (message.type === 'cancel') {
    cancelled.add(message.id);
    return;
  }
  chain = chain.then(() => handle(message));
});
io.send({ type: 'ready', pid: process.pid });
