/**
 * The fallback: an OpenAI-compatible upstream (a LiteLLM proxy, a hosted API, another Reef) that
 * takes the requests the local scheduler sends away. Bodies go as the caller sent them (Reef's own
 * fields removed, the model renamed where a map says so); answers come back as OpenAI's objects,
 * or, streamed, as the chunks of its server-sent events. The key never reaches a log or an error.
 */
import { ReefError } from '../../../../sdk/index.js';

export interface UpstreamOptions {
  /** The base URL, ending where OpenAI's ends in `/v1` (…/v1/chat/completions is appended as `chat/completions`). */
  baseUrl: string;
  apiKey?: string;
  /** A local model name → the upstream's name for it. */
  models?: Record<string, string>;
  /** How long an answer may take in all (default 10 minutes). */
  timeoutMs?: number;
}

/** Reef's fields in a request body, which an upstream must not see. */
const REEF_FIELDS = ['streamTo', 'reefAgent', 'reefMaxWaitMs'];

export class Upstream {
  private readonly base: string;

  constructor(private readonly o: UpstreamOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
  }

  /** Where requests go, for the panel and logs (no credentials). */
  get url(): string {
    const u = new URL(this.base);
    u.username = '';
    u.password = '';
    return u.toString();
  }

  modelFor(model: string): string {
    return this.o.models?.[model] ?? model;
  }

  private body(raw: Record<string, unknown>, extra: Record<string, unknown> = {}): string {
    const out: Record<string, unknown> = { ...raw, ...extra };
    for (const k of REEF_FIELDS) delete out[k];
    if (typeof out.model === 'string') out.model = this.modelFor(out.model);
    return JSON.stringify(out);
  }

  private async post(path: string, body: string, signal: AbortSignal | undefined): Promise<Response> {
    const timeout = AbortSignal.timeout(this.o.timeoutMs ?? 600_000);
    const res = await fetch(`${this.base}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}) },
      body,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    }).catch((err: unknown) => {
      throw new ReefError('unavailable', `the fallback upstream ${this.url} could not be reached: ${err instanceof Error ? err.message : String(err)}`, { reason: 'upstream_unreachable' });
    });
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).slice(0, 500);
      let message = text;
      try {
        const parsed = JSON.parse(text) as { error?: { message?: unknown } };
        if (typeof parsed.error?.message === 'string') message = parsed.error.message;
      } catch {
        // not JSON: the text as it is
      }
      const code = res.status === 429 ? 'busy' : res.status === 404 ? 'not_found' : res.status === 400 ? 'invalid_request' : 'unavailable';
      throw new ReefError(code, `the fallback upstream answered ${res.status}: ${message || res.statusText}`, { reason: 'upstream_error', status: res.status });
    }
    return res;
  }

  /** One answer as a JSON object. */
  async json(path: string, raw: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const res = await this.post(path, this.body(raw, { stream: false }), signal);
    const parsed = (await res.json().catch(() => undefined)) as unknown;
    if (typeof parsed !== 'object' || parsed === null) throw new ReefError('unavailable', `the fallback upstream ${this.url} answered something that is not a JSON object`, { reason: 'upstream_error' });
    return parsed as Record<string, unknown>;
  }

  /** A streamed answer: each server-sent event's JSON object, until `[DONE]`. Usage is always asked for (to count it). */
  async *stream(path: string, raw: Record<string, unknown>, signal?: AbortSignal): AsyncGenerator<Record<string, unknown>> {
    const res = await this.post(path, this.body(raw, { stream: true, stream_options: { include_usage: true } }), signal);
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const part of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(part, { stream: true });
      for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
        const line = buffer.slice(0, end).replace(/\r$/, '');
        buffer = buffer.slice(end + 1);
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        let event: unknown;
        try {
          event = JSON.parse(data);
        } catch {
          throw new ReefError('unavailable', `the fallback upstream ${this.url} sent an event that is not JSON`, { reason: 'upstream_error' });
        }
        if (typeof event === 'object' && event !== null) {
          const error = (event as { error?: { message?: unknown } }).error;
          if (error) throw new ReefError('unavailable', `the fallback upstream failed mid-stream: ${typeof error.message === 'string' ? error.message : 'unknown error'}`, { reason: 'upstream_error' });
          yield event as Record<string, unknown>;
        }
      }
    }
  }
}
