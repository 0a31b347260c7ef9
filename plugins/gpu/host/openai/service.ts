/**
 * The OpenAI-compatible operations on the bus (`reef.v1.inference.*`), served by the engine.
 * Replies are OpenAI's objects, so the `/v1` routes hand them to OpenAI clients unchanged; a
 * streamed request publishes OpenAI's chunk objects as events (see `HttpRoute.stream`).
 */
import { randomUUID } from 'node:crypto';
import { parseBody, ReefError, type RequestInfo } from '../../../../sdk/index.js';
import { FallbackNeeded, type Engine } from '../engine/engine.js';
import type { ModelsDirectory } from '../engine/models.js';
import type { ChatMessage, EmbedResult, GenerateParams, GenerateResult } from '../engine/protocol.js';
import type { Upstream } from './upstream.js';
import { ChatCompletionRequestSchema, CompletionRequestSchema, EmbeddingRequestSchema, type ChatCompletionRequest } from './schemas.js';

/**
 * Who a call is for: an agent token's own agent (its X-Reef-Agent is not believed: an agent acts
 * only as itself); for the operator's token the X-Reef-Agent header, else the body's `user`
 * (OpenAI's field for the end user), else `operator`.
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
  /** Where it was served: here, or by the fallback upstream. */
  servedBy: 'local' | 'remote';
  /** Generation time on the engine (local completions): tokens per second. */
  ms?: number;
}

export interface InferenceServiceOptions {
  engine: Engine;
  models: ModelsDirectory;
  /** Where requests the scheduler sends away go; without one they are refused with the reason. */
  upstream?: Upstream;
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

  /** The engine's scheduling inputs for a request: who asks, and how long it may wait. */
  private requestOptions(body: { reefAgent?: string | undefined; user?: string | null | undefined; reefMaxWaitMs?: number | undefined }, info: RequestInfo) {
    return { agent: attribution(info, body.reefAgent ?? body.user ?? undefined), ...(body.reefMaxWaitMs !== undefined ? { maxWaitMs: body.reefMaxWaitMs } : {}), signal: info.signal };
  }

  /**
   * Runs a generation here, streamed as events on `streamTo` when asked (`chunk` makes one
   * event's data); when the scheduler sends it away, the upstream answers it instead (`remote`).
   */
  private async run(
    body: Record<string, unknown> & { model: string; reefAgent?: string | undefined; reefMaxWaitMs?: number | undefined; stream_options?: { include_usage?: boolean | null | undefined } | null | undefined },
    path: string,
    params: Omit<GenerateParams, 'stream'>,
    streamTo: string | undefined,
    info: RequestInfo,
    events: { first?: unknown; chunk: (text: string) => unknown; last: (r: GenerateResult) => unknown[] },
  ): Promise<{ result: GenerateResult; streamed: number; remote?: Record<string, unknown> }> {
    let seq = 0;
    const publishes: Array<Promise<void>> = [];
    const emit = (data: unknown) => {
      if (streamTo) publishes.push(this.o.publish(streamTo, { seq: seq++, data }));
    };
    try {
      let first = streamTo !== undefined && events.first !== undefined;
      const onText = (t: string) => {
        if (first) emit(events.first);
        first = false;
        emit(events.chunk(t));
      };
      const result = await this.o.engine.generate(body.model, { ...params, stream: streamTo !== undefined }, streamTo ? onText : undefined, this.requestOptions(body, info));
      if (first) emit(events.first);
      if (streamTo) for (const e of events.last(result)) emit(e);
      await Promise.all(publishes);
      return { result, streamed: seq };
    } catch (err) {
      if (!(err instanceof FallbackNeeded)) throw err;
      const upstream = this.upstream(err);
      if (!streamTo) {
        const remote = await upstream.json(path, body, info.signal);
        return { result: { ...usageOf(remote), text: '', finishReason: 'stop', ms: 0 }, streamed: 0, remote };
      }
      let counted = { promptTokens: 0, completionTokens: 0 };
      for await (const chunk of upstream.stream(path, body, info.signal)) {
        const choices = chunk.choices;
        if (chunk.usage && Array.isArray(choices) && choices.length === 0) {
          counted = usageOf(chunk);
          if (!body.stream_options?.include_usage) continue;
        }
        emit(chunk);
      }
      await Promise.all(publishes);
      return { result: { ...counted, text: '', finishReason: 'stop', ms: 0 }, streamed: seq, remote: {} };
    }
  }

  private upstream(err: FallbackNeeded): Upstream {
    if (this.o.upstream) return this.o.upstream;
    throw new ReefError('unavailable', err.message, { reason: err.reason });
  }

  private common(body: { model: string; max_tokens?: number | null; temperature?: number | null; seed?: number | null; stop?: string | string[] | null }) {
    return {
      maxTokens: body.max_tokens ?? DEFAULT_MAX_TOKENS,
      temperature: body.temperature ?? 1,
      ...(body.seed !== null && body.seed !== undefined ? { seed: body.seed } : {}),
      stop: body.stop === null || body.stop === undefined ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop,
    };
  }

  private used(body: { model: string; reefAgent?: string | undefined; user?: string | null | undefined }, info: RequestInfo, kind: UsageRecord['kind'], r: { promptTokens: number; completionTokens: number; ms?: number }, remote: boolean): void {
    this.o.onUsage?.({
      agent: attribution(info, body.reefAgent ?? body.user ?? undefined),
      model: body.model,
      kind,
      promptTokens: r.promptTokens,
      completionTokens: r.completionTokens,
      servedBy: remote ? 'remote' : 'local',
      ...(!remote && r.ms !== undefined ? { ms: r.ms } : {}),
    });
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
    const { result, streamed, remote } = await this.run(body, 'chat/completions', params, streamTo, info, {
      first: { ...head, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] },
      chunk: (text) => ({ ...head, choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }] }),
      last: (r) => [
        { ...head, choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: r.finishReason }] },
        ...(body.stream_options?.include_usage ? [{ ...head, choices: [], usage: usage(r) }] : []),
      ],
    });
    this.used(body, info, 'chat', result, remote !== undefined);
    if (streamTo) return { streamed };
    if (remote) return remote;
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
    const { result, streamed, remote } = await this.run(body, 'completions', { mode: 'completion', prompt, ...this.common(body) }, streamTo, info, {
      chunk: (text) => ({ ...head, choices: [{ index: 0, text, logprobs: null, finish_reason: null }] }),
      last: (r) => [
        { ...head, choices: [{ index: 0, text: '', logprobs: null, finish_reason: r.finishReason }] },
        ...(body.stream_options?.include_usage ? [{ ...head, choices: [], usage: usage(r) }] : []),
      ],
    });
    this.used(body, info, 'completion', result, remote !== undefined);
    if (streamTo) return { streamed };
    if (remote) return remote;
    return { ...head, choices: [{ index: 0, text: result.text, logprobs: null, finish_reason: result.finishReason }], usage: usage(result) };
  };

  embeddings = async (raw: unknown, info: RequestInfo): Promise<unknown> => {
    const body = parseBody(EmbeddingRequestSchema, raw);
    const input = typeof body.input === 'string' ? [body.input] : body.input;
    let result: EmbedResult;
    try {
      result = await this.o.engine.embed(body.model, input, this.requestOptions(body, info));
    } catch (err) {
      if (!(err instanceof FallbackNeeded)) throw err;
      const remote = await this.upstream(err).json('embeddings', body, info.signal);
      this.used(body, info, 'embedding', { promptTokens: usageOf(remote).promptTokens, completionTokens: 0 }, true);
      return remote;
    }
    const { vectors, promptTokens } = result;
    this.used(body, info, 'embedding', { promptTokens, completionTokens: 0 }, false);
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

/** An OpenAI answer's token counts (0 where it says none). */
function usageOf(answer: Record<string, unknown>): { promptTokens: number; completionTokens: number } {
  const u = answer.usage as { prompt_tokens?: unknown; completion_tokens?: unknown } | undefined;
  const n = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);
  return { promptTokens: n(u?.prompt_tokens), completionTokens: n(u?.completion_tokens) };
}
