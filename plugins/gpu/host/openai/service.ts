/**
 * The OpenAI-compatible operations on the bus (`reef.v1.inference.*`), served by the engine.
 * Replies are OpenAI's objects, so the `/v1` routes hand them to OpenAI clients unchanged; a
 * streamed request publishes OpenAI's chunk objects as events (see `HttpRoute.stream`).
 */
import { randomUUID } from 'node:crypto';
import { parseBody, type RequestInfo } from '../../../../sdk/index.js';
import type { Engine } from '../engine/engine.js';
import type { ModelsDirectory } from '../engine/models.js';
import type { ChatMessage, GenerateParams, GenerateResult } from '../engine/protocol.js';
import { ChatCompletionRequestSchema, CompletionRequestSchema, EmbeddingRequestSchema, type ChatCompletionRequest } from './schemas.js';

/**
 * Who a call is for: an agent token's own agent (its X-Reef-Agent is not believed: an agent acts
 * only as itself); for the operator's token the X-Reef-Agent header, else `operator`.
 */
export function attribution(info: RequestInfo, reefAgent: string | undefined): string {
  if (info.caller.kind === 'agent') return info.caller.id;
  return reefAgent ?? info.caller.kind;
}

export interface UsageRecord {
  agent: string;
  model: string;
  kind: 'chat' | 'completion' | 'embedding';
  promptTokens: number;
  completionTokens: number;
}

export interface InferenceServiceOptions {
  engine: Engine;
  models: ModelsDirectory;
  publish: (subject: string, body: unknown) => Promise<void>;
  now: () => number;
  onUsage?: (usage: UsageRecord) => void;
}

const DEFAULT_MAX_TOKENS = 256;

function textOf(content: ChatCompletionRequest['messages'][number]['content']): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content
    .filter((p) => p.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text)
    .join('');
}

function usage(r: { promptTokens: number; completionTokens: number }) {
  return { prompt_tokens: r.promptTokens, completion_tokens: r.completionTokens, total_tokens: r.promptTokens + r.completionTokens };
}

export class InferenceService {
  constructor(private readonly o: InferenceServiceOptions) {}

  private created(): number {
    return Math.floor(this.o.now() / 1000);
  }

  models = async (): Promise<unknown> => {
    const { models } = await this.o.models.scan();
    const loaded = new Set(this.o.engine.loadedModels().map((m) => m.info.id));
    return {
      object: 'list',
      data: models.map((m) => ({
        id: m.id,
        object: 'model',
        created: Math.floor(m.modifiedAt / 1000),
        owned_by: 'reef',
        // Reef's own fields; OpenAI clients ignore them.
        architecture: m.architecture,
        parameters: m.parameters,
        quantization: m.quantization,
        context_length: m.contextLength ?? null,
        size_bytes: m.sizeBytes,
        loaded: loaded.has(m.id),
      })),
    };
  };

  /** Runs a generation, streamed as events on `streamTo` when asked; `chunk` makes one event's data. */
  private async run(
    model: string,
    params: Omit<GenerateParams, 'stream'>,
    streamTo: string | undefined,
    info: RequestInfo,
    events: { first?: unknown; chunk: (text: string) => unknown; last: (r: GenerateResult) => unknown[] },
  ): Promise<{ result: GenerateResult; streamed: number }> {
    let seq = 0;
    const publishes: Array<Promise<void>> = [];
    const emit = (data: unknown) => {
      if (streamTo) publishes.push(this.o.publish(streamTo, { seq: seq++, data }));
    };
    if (streamTo && events.first !== undefined) emit(events.first);
    const result = await this.o.engine.generate(model, { ...params, stream: streamTo !== undefined }, streamTo ? (t) => emit(events.chunk(t)) : undefined, info.signal);
    if (streamTo) for (const e of events.last(result)) emit(e);
    await Promise.all(publishes);
    return { result, streamed: seq };
  }

  private common(body: { model: string; max_tokens?: number | null; temperature?: number | null; seed?: number | null; stop?: string | string[] | null }) {
    return {
      maxTokens: body.max_tokens ?? DEFAULT_MAX_TOKENS,
      temperature: body.temperature ?? 1,
      ...(body.seed !== null && body.seed !== undefined ? { seed: body.seed } : {}),
      stop: body.stop === null || body.stop === undefined ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop,
    };
  }

  chat = async (raw: unknown, info: RequestInfo): Promise<unknown> => {
    const body = parseBody(ChatCompletionRequestSchema, raw);
    const messages: ChatMessage[] = body.messages
      .filter((m) => m.role !== 'tool')
      .map((m) => ({ role: m.role === 'developer' ? 'system' : (m.role as ChatMessage['role']), content: textOf(m.content) }));
    const id = `chatcmpl-${randomUUID()}`;
    const created = this.created();
    const head = { id, object: 'chat.completion.chunk', created, model: body.model };
    const streamTo = body.stream ? body.streamTo : undefined;
    const params = { mode: 'chat' as const, messages, ...this.common({ ...body, max_tokens: body.max_completion_tokens ?? body.max_tokens }) };
    const { result, streamed } = await this.run(body.model, params, streamTo, info, {
      first: { ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] },
      chunk: (text) => ({ ...head, choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }] }),
      last: (r) => [
        { ...head, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: r.finishReason }] },
        ...(body.stream_options?.include_usage ? [{ ...head, choices: [], usage: usage(r) }] : []),
      ],
    });
    this.o.onUsage?.({ agent: attribution(info, body.reefAgent), model: body.model, kind: 'chat', ...result });
    if (streamTo) return { streamed };
    return {
      id,
      object: 'chat.completion',
      created,
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: result.text, refusal: null }, logprobs: null, finish_reason: result.finishReason }],
      usage: usage(result),
    };
  };

  completions = async (raw: unknown, info: RequestInfo): Promise<unknown> => {
    const body = parseBody(CompletionRequestSchema, raw);
    const prompt = typeof body.prompt === 'string' ? body.prompt : (body.prompt[0] ?? '');
    const id = `cmpl-${randomUUID()}`;
    const created = this.created();
    const head = { id, object: 'text_completion', created, model: body.model };
    const streamTo = body.stream ? body.streamTo : undefined;
    const { result, streamed } = await this.run(body.model, { mode: 'completion', prompt, ...this.common(body) }, streamTo, info, {
      chunk: (text) => ({ ...head, choices: [{ index: 0, text, logprobs: null, finish_reason: null }] }),
      last: (r) => [
        { ...head, choices: [{ index: 0, text: '', logprobs: null, finish_reason: r.finishReason }] },
        ...(body.stream_options?.include_usage ? [{ ...head, choices: [], usage: usage(r) }] : []),
      ],
    });
    this.o.onUsage?.({ agent: attribution(info, body.reefAgent), model: body.model, kind: 'completion', ...result });
    if (streamTo) return { streamed };
    return { ...head, choices: [{ index: 0, text: result.text, logprobs: null, finish_reason: result.finishReason }], usage: usage(result) };
  };

  embeddings = async (raw: unknown, info: RequestInfo): Promise<unknown> => {
    const body = parseBody(EmbeddingRequestSchema, raw);
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    const { vectors, promptTokens } = await this.o.engine.embed(body.model, input);
    this.o.onUsage?.({ agent: attribution(info, body.reefAgent), model: body.model, kind: 'embedding', promptTokens, completionTokens: 0 });
    const base64 = body.encoding_format === 'base64';
    return {
      object: 'list',
      data: vectors.map((v, index) => ({
        object: 'embedding',
        index,
        // base64: the little-endian float32 bytes, as OpenAI sends them (the official client asks for this).
        embedding: base64 ? Buffer.from(new Float32Array(v).buffer).toString('base64') : v,
      })),
      model: body.model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    };
  };
}
