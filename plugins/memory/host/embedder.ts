/**
 * Embeddings for memories and queries: from the local inference engine (the gpu plugin's
 * `reef.v1.inference.embeddings`, on the bus) or from an OpenAI-compatible upstream
 * (`POST <url>/embeddings`). Texts asked for in the same turn of the event loop go out as one
 * batch (up to `batchSize`), so a write of many memories, or many writers at once, cost one call.
 * A write never waits for an LLM: embedding is one forward pass of an embedding model.
 */
import { ReefError } from '../../../sdk/index.js';

export interface EmbedTransport {
  /** One call for a batch: the vectors in input order. */
  (model: string, input: string[]): Promise<number[][]>;
}

export interface Embedder {
  readonly model: string;
  embed(texts: readonly string[]): Promise<number[][]>;
}

/** The answer of an OpenAI-style embeddings call, checked: one float vector per input, all one length. */
export function vectorsOf(reply: unknown, count: number, source: string): number[][] {
  const data = (reply as { data?: unknown } | null)?.data;
  if (!Array.isArray(data) || data.length !== count) throw new ReefError('unavailable', `${source} answered ${Array.isArray(data) ? data.length : 'no'} embeddings for ${count} texts`, { reason: 'embedding_failed' });
  const vectors = [...data]
    .sort((a: { index?: number }, b: { index?: number }) => (a.index ?? 0) - (b.index ?? 0))
    .map((d: { embedding?: unknown }) => d.embedding);
  const dims = Array.isArray(vectors[0]) ? vectors[0].length : 0;
  for (const v of vectors) {
    if (!Array.isArray(v) || v.length !== dims || dims === 0 || dims > 16_384 || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new ReefError('unavailable', `${source} answered an embedding that is not ${dims > 0 ? `${dims}` : 'a list of'} finite numbers`, { reason: 'embedding_failed' });
    }
  }
  return vectors as number[][];
}

/** An OpenAI-compatible upstream: `POST <baseUrl>/embeddings` with the key as a bearer token (never logged). */
export function upstreamTransport(baseUrl: string, apiKey: string | undefined, timeoutMs = 60_000): EmbedTransport {
  const base = baseUrl.replace(/\/+$/, '');
  const where = (() => {
    const u = new URL(base);
    u.username = '';
    u.password = '';
    return u.toString();
  })();
  return async (model, input) => {
    const res = await fetch(`${base}/embeddings`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      body: JSON.stringify({ model, input, encoding_format: 'float' }),
      signal: AbortSignal.timeout(timeoutMs),
    }).catch((err: unknown) => {
      throw new ReefError('unavailable', `the embeddings upstream ${where} could not be reached: ${err instanceof Error ? err.message : String(err)}`, { reason: 'embedding_failed' });
    });
    const body = (await res.json().catch(() => undefined)) as { error?: { message?: string } } | undefined;
    if (!res.ok) throw new ReefError('unavailable', `the embeddings upstream ${where} answered ${res.status}: ${body?.error?.message ?? res.statusText}`, { reason: 'embedding_failed' });
    return vectorsOf(body, input.length, `the embeddings upstream ${where}`);
  };
}

interface Pending {
  text: string;
  resolve(v: number[]): void;
  reject(err: unknown): void;
}

/** Batches what is asked in one turn into calls of at most `batchSize` texts. */
export class BatchingEmbedder implements Embedder {
  private pending: Pending[] = [];
  private scheduled = false;
  /** Calls made and texts embedded (the bench and tests read them). */
  calls = 0;
  texts = 0;

  constructor(
    readonly model: string,
    private readonly transport: EmbedTransport,
    private readonly batchSize = 64,
  ) {}

  embed(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return Promise.resolve([]);
    const out = texts.map((text) => new Promise<number[]>((resolve, reject) => this.pending.push({ text, resolve, reject })));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return Promise.all(out);
  }

  private flush(): void {
    this.scheduled = false;
    const all = this.pending;
    this.pending = [];
    for (let i = 0; i < all.length; i += this.batchSize) {
      const batch = all.slice(i, i + this.batchSize);
      this.calls++;
      this.texts += batch.length;
      this.transport(
        this.model,
        batch.map((p) => p.text),
      ).then(
        (vectors) => batch.forEach((p, j) => p.resolve(vectors[j] as number[])),
        (err: unknown) => {
          if (batch.length === 1) return batch[0]?.reject(err);
          // One text the model refuses (longer than its context) must not fail the other
          // requests that shared its batch: each text again on its own, so only its caller fails.
          for (const p of batch) {
            this.calls++;
            this.transport(this.model, [p.text]).then((v) => p.resolve(v[0] as number[]), (e: unknown) => p.reject(e));
          }
        },
      );
    }
  }
}
