/**
 * The panel's client for local inference: the status and its live event, the operator's actions
 * (load, unload, pin, keep-alive), and a streamed chat for the playground. A chat streams on a
 * `reef.v1.streams.<random id>` subject this window subscribes to before it asks; the host
 * publishes each OpenAI chunk there as `{seq, data}` and replies `{streamed: <count>}`.
 */
import type { PanelApi } from '../../../sdk/panel/index.js';
import type { ChatChunk, InferenceStatus, LoadReply } from './inference-types.js';

export const INFERENCE_EVENT = 'reef.v1.events.gpu.inference';
const STREAM_PREFIX = 'reef.v1.streams.';
/** The longest a window may wait for a reply (the renderer contract's bound): a load or a long answer. */
const LONG_MS = 120_000;
/** After the reply, how long stragglers of the stream may still arrive. */
const TAIL_MS = 2000;

function isStatus(body: unknown): body is InferenceStatus {
  if (typeof body !== 'object' || body === null) return false;
  const s = body as Partial<InferenceStatus>;
  return typeof s.at === 'number' && Array.isArray(s.models) && Array.isArray(s.swaps) && typeof s.totals === 'object' && typeof s.memory === 'object';
}

/** 32 random hex digits (getRandomValues works where randomUUID does not: plain http to another machine). */
export function streamSubject(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return STREAM_PREFIX + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface ChatRequest {
  model: string;
  prompt: string;
  maxTokens: number;
  temperature: number;
}

export interface ChatResult {
  text: string;
  /** Generated tokens (the host's count), or null when it did not say. */
  completionTokens: number | null;
  /** From the first streamed text to the last. */
  ms: number;
  finishReason: string | null;
  /** Stop was pressed: the request was cancelled (the host stopped generating); what came is kept. */
  stopped: boolean;
}

export class InferenceClient {
  constructor(private readonly api: PanelApi) {}

  status(): Promise<InferenceStatus> {
    return this.api.request<InferenceStatus>('reef.v1.inference.status', {}, { timeoutMs: 10_000 });
  }

  onStatus(listener: (status: InferenceStatus) => void): () => void {
    return this.api.subscribe(INFERENCE_EVENT, (body) => {
      if (isStatus(body)) listener(body);
    });
  }

  load(model: string): Promise<LoadReply> {
    return this.api.request<LoadReply>('reef.v1.inference.load', { model }, { timeoutMs: LONG_MS });
  }

  unload(model: string): Promise<{ model: string; unloaded: boolean }> {
    return this.api.request('reef.v1.inference.unload', { model }, { timeoutMs: 30_000 });
  }

  pin(model: string, pinned: boolean): Promise<{ model: string; pinned: boolean }> {
    return this.api.request('reef.v1.inference.pin', { model, pinned });
  }

  /** `seconds: null` keeps the model loaded until it is evicted. */
  keepAlive(model: string, seconds: number | null): Promise<{ model: string; seconds: number | null }> {
    return this.api.request('reef.v1.inference.keepAlive', { model, seconds });
  }

  /**
   * One prompt, its answer streamed to `onText` in order. `signal` (Stop) cancels the request:
   * the host aborts the handler's signal and the engine stops generating, and this resolves at
   * once with what came so far (stragglers of the stream are no longer listened to).
   */
  async chat(req: ChatRequest, onText: (text: string) => void, signal?: AbortSignal, now: () => number = () => performance.now()): Promise<ChatResult> {
    const subject = streamSubject();
    let text = '';
    let next = 0;
    const early = new Map<number, ChatChunk>();
    let firstAt: number | null = null;
    let lastAt: number | null = null;
    let completionTokens: number | null = null;
    let finishReason: string | null = null;
    let streamError: string | null = null;
    let wake: (() => void) | undefined;

    const take = (chunk: ChatChunk) => {
      if (chunk.error) streamError = chunk.error.message ?? 'the stream failed';
      if (chunk.usage) completionTokens = chunk.usage.completion_tokens;
      const choice = chunk.choices?.[0];
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      const piece = choice?.delta?.content;
      if (piece) {
        const t = now();
        firstAt ??= t;
        lastAt = t;
        text += piece;
        onText(text);
      }
    };
    const unsubscribe = this.api.subscribe(subject, (body) => {
      const event = body as { seq?: unknown; data?: unknown };
      if (typeof event !== 'object' || event === null || typeof event.seq !== 'number' || typeof event.data !== 'object' || event.data === null) return;
      early.set(event.seq, event.data as ChatChunk);
      // Events are taken in seq order, whatever order they arrive in.
      while (early.has(next)) {
        const chunk = early.get(next)!;
        early.delete(next);
        next++;
        take(chunk);
      }
      wake?.();
    });
    const result = (stopped: boolean): ChatResult => ({ text, completionTokens, ms: firstAt !== null && lastAt !== null ? lastAt - firstAt : 0, finishReason, stopped });
    try {
      const stop = new Promise<'stopped'>((resolve) => {
        if (signal?.aborted) resolve('stopped');
        signal?.addEventListener('abort', () => resolve('stopped'), { once: true });
      });
      const ask = this.api.request<{ streamed?: number }>(
        'reef.v1.inference.chat',
        { model: req.model, messages: [{ role: 'user', content: req.prompt }], max_tokens: req.maxTokens, temperature: req.temperature, stream: true, stream_options: { include_usage: true }, streamTo: subject },
        // The signal cancels the request on the host, not just our wait for it.
        signal ? { timeoutMs: LONG_MS, signal } : { timeoutMs: LONG_MS },
      );
      ask.catch(() => undefined); // Stopped first: its rejection (the abort) is nobody's business.
      const reply = await Promise.race([ask, stop]);
      if (reply === 'stopped') return result(true);
      const streamed = typeof reply.streamed === 'number' ? reply.streamed : 0;
      // The reply may overtake the last events: wait for them, a little.
      const deadline = now() + TAIL_MS;
      while (next < streamed && now() < deadline && !signal?.aborted) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 50);
        });
      }
      if (streamError) throw new Error(streamError);
      return result(signal?.aborted ?? false);
    } finally {
      wake = undefined;
      unsubscribe();
    }
  }

  toast(message: string, tone: 'info' | 'success' | 'error' = 'info'): void {
    this.api.toast(message, tone);
  }
}
