// Local inference in the GPU panel with a fake PanelApi: the models table (state, memory share,
// queue, waits, speed) and its actions (a load's progress, a refused unload's message, pin), the
// swap log in words, the empty state, live events, and the playground's stream and Stop.
import * as React from 'react';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { ReefError } from '../../../sdk/panel/index.js';
import { fakePanelApi } from '../../../sdk/testing.js';
import { InferenceSection } from './InferenceSection.js';
import type { InferenceStatus, ModelStatus } from './inference-types.js';

const GiB = 2 ** 30;
const model = (id: string, over: Partial<ModelStatus> = {}): ModelStatus => ({
  id,
  state: 'unloaded',
  pinned: false,
  sizeBytes: 2 * GiB,
  fileBytes: 1.5 * GiB,
  architecture: 'llama',
  parameters: 1.1e9,
  quantization: 'Q4_K_M',
  contextLength: 4096,
  queued: 0,
  running: 0,
  loadMsEstimate: 400,
  lastUsedAt: 0,
  swaps: 0,
  loadSeconds: 0,
  waitP50Ms: null,
  waitP95Ms: null,
  tokensPerSecond: null,
  fallbacks: {},
  rejected: {},
  ...over,
});
const status = (over: Partial<InferenceStatus> = {}): InferenceStatus => ({
  at: 1000,
  modelsDir: '/data/models',
  models: [model('llama-a', { state: 'loaded', queued: 3, running: 1, waitP50Ms: 120, waitP95Ms: 2400, tokensPerSecond: 42.4, fallbacks: { expected_wait: 2 } }), model('qwen-b', { rejected: { queue_full: 1 } })],
  unreadable: [],
  swaps: [
    { at: new Date(2026, 0, 1, 9, 5, 7).getTime(), model: 'llama-a', evicted: ['qwen-b'], reason: 'grouped', agents: { 'agent-7': 3, ops: 1 }, requests: 4, loadMs: 850 },
    { at: new Date(2026, 0, 1, 9, 1, 0).getTime(), model: 'qwen-b', evicted: [], reason: 'operator', agents: {}, requests: 0, error: 'bad magic' },
  ],
  totals: { local: { prompt: 600, completion: 300, requests: 9 }, remote: { prompt: 80, completion: 20, requests: 1 }, localShare: 0.9, remoteCost: 0.5, savedCost: 4.25 },
  memory: { budgetBytes: 8 * GiB, usedBytes: 2 * GiB, kind: 'ram' },
  upstream: null,
  scheduling: { maxWaitMs: 60_000, keepAliveMs: 300_000, queueLimit: 64 },
  ...over,
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function setup(first: InferenceStatus, answer: (subject: string, body: Record<string, unknown>) => unknown = () => undefined) {
  let current = first;
  const fake = fakePanelApi((subject, body) => {
    const a = answer(subject, body);
    if (a !== undefined) return a;
    if (subject === 'reef.v1.inference.status') return current;
    throw new Error(subject);
  });
  const view = render(<InferenceSection api={fake.api} />);
  return { ...fake, view, setStatus: (s: InferenceStatus) => (current = s) };
}
const bodies = (calls: Array<{ subject: string; body: Record<string, unknown> }>, s: string) => calls.filter((c) => c.subject === s).map((c) => c.body);

afterEach(cleanup);

describe('local inference: models', () => {
  it('lists every model with its state, memory share, queue, waits, speed and details, and the budget', async () => {
    setup(status());
    const row = await screen.findByTestId('gpu-models-row-llama-a');
    expect(row.dataset.state).toBe('loaded');
    expect(within(row).getByTestId('gpu-model-state-llama-a').textContent).toMatch(/loaded/);
    expect(within(row).getByTestId('gpu-model-share-llama-a').textContent).toBe('25 %');
    expect(row.textContent).toMatch(/3 \/ 1/);
    expect(row.textContent).toMatch(/120 ms \/ 2\.4 s/);
    expect(row.textContent).toMatch(/42 tok\/s/);
    expect(row.textContent).toMatch(/Q4_K_M · 1\.1B · 1\.5 GiB/);
    expect(within(row).getByTestId('gpu-model-unload-llama-a')).toBeTruthy();
    const other = screen.getByTestId('gpu-models-row-qwen-b');
    expect(within(other).getByTestId('gpu-model-state-qwen-b').textContent).toMatch(/unloaded/);
    expect(within(other).getByTestId('gpu-model-load-qwen-b')).toBeTruthy();
    expect(screen.getByTestId('gpu-memory-budget').textContent).toMatch(/2\.0 GiB \/ 8\.0 GiB · 1 loaded of 2/);
  });

  it('loads with a progress bar on the row until the host answers, then says so', async () => {
    const load = deferred<unknown>();
    const { calls, toasts, setStatus } = setup(status(), (subject) => (subject === 'reef.v1.inference.load' ? load.promise : undefined));
    fireEvent.click(await screen.findByTestId('gpu-model-load-qwen-b'));
    expect(bodies(calls, 'reef.v1.inference.load')).toEqual([{ model: 'qwen-b' }]);
    await screen.findByTestId('gpu-model-progress-qwen-b');
    expect(screen.getByTestId('gpu-model-load-qwen-b').textContent).toBe('Loading…');
    expect((screen.getByTestId('gpu-model-load-qwen-b') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByTestId('gpu-model-state-qwen-b').textContent).toMatch(/loading/);
    const after = status({ at: 2000, models: [model('llama-a', { state: 'loaded' }), model('qwen-b', { state: 'loaded' })] });
    setStatus(after);
    await act(async () => load.resolve({ model: 'qwen-b', loaded: true, loadMs: 1234 }));
    await waitFor(() => expect(screen.queryByTestId('gpu-model-progress-qwen-b')).toBeNull());
    expect(toasts).toContainEqual({ message: 'qwen-b loaded in 1.2 s', tone: 'success' });
    await waitFor(() => expect(screen.getByTestId('gpu-models-row-qwen-b').dataset.state).toBe('loaded'));
  });

  it("shows the host's message when an unload is refused, and pins", async () => {
    const { calls, toasts } = setup(status(), (subject) => {
      if (subject === 'reef.v1.inference.unload') throw new ReefError('conflict', 'llama-a is serving 1 request: try again when it is idle');
      if (subject === 'reef.v1.inference.pin') return { model: 'llama-a', pinned: true };
      return undefined;
    });
    fireEvent.click(await screen.findByTestId('gpu-model-unload-llama-a'));
    await waitFor(() => expect(toasts).toContainEqual({ message: 'Unload llama-a: llama-a is serving 1 request: try again when it is idle', tone: 'error' }));
    expect(screen.getByTestId('gpu-model-unload-llama-a').textContent).toBe('Unload');
    const pin = screen.getByTestId('gpu-model-pin-llama-a');
    expect(pin.getAttribute('aria-pressed')).toBe('false');
    fireEvent.click(pin);
    await waitFor(() => expect(bodies(calls, 'reef.v1.inference.pin')).toEqual([{ model: 'llama-a', pinned: true }]));
  });

  it('without models says where to put .gguf files and how to point an OpenAI client at Reef', async () => {
    const { calls } = setup(status({ models: [], swaps: [] }));
    const empty = await screen.findByTestId('gpu-models-empty');
    expect(within(empty).getByTestId('gpu-models-dir').textContent).toBe('/data/models');
    expect(within(empty).getByTestId('gpu-base-url').textContent).toMatch(/\/v1$/);
    expect(empty.textContent).toMatch(/agent token/);
    // Nothing else to show yet but what the fallback served (one request here).
    expect(screen.queryByTestId('gpu-playground')).toBeNull();
    expect(screen.queryByTestId('gpu-swaps-empty')).toBeNull();
    expect(screen.getByTestId('gpu-share-remote').textContent).toMatch(/1 request$/);
    const before = bodies(calls, 'reef.v1.inference.status').length;
    fireEvent.click(within(empty).getByTestId('gpu-models-rescan'));
    await waitFor(() => expect(bodies(calls, 'reef.v1.inference.status').length).toBe(before + 1));
  });

  it('follows the live event: new states, and a point per status on the queue chart', async () => {
    const { emit } = setup(status());
    await screen.findByTestId('gpu-models-row-llama-a');
    expect(screen.getByTestId('gpu-queues').dataset.points).toBe('1');
    act(() => emit('reef.v1.events.gpu.inference', status({ at: 1500, models: [model('llama-a'), model('qwen-b', { state: 'loading' })] })));
    await waitFor(() => expect(screen.getByTestId('gpu-models-row-qwen-b').dataset.state).toBe('loading'));
    expect(screen.getByTestId('gpu-queues').dataset.points).toBe('2');
    // An older status arriving late changes nothing.
    act(() => emit('reef.v1.events.gpu.inference', status({ at: 1200 })));
    expect(screen.getByTestId('gpu-models-row-qwen-b').dataset.state).toBe('loading');
  });
});

describe('local inference: swap log and local share', () => {
  it('writes each swap in words: time, loaded, evicted, why, for whom, load time or error', async () => {
    setup(status());
    const first = await screen.findByTestId('gpu-swaps-row-' + `${new Date(2026, 0, 1, 9, 5, 7).getTime()}-llama-a`);
    expect(first.textContent).toMatch(/09:05:07/);
    expect(first.textContent).toMatch(/llama-a/);
    expect(first.textContent).toMatch(/qwen-b/);
    expect(first.textContent).toMatch(/most queued work per second of swap/);
    expect(first.textContent).toMatch(/agent-7 ×3, ops · 4 req/);
    expect(first.textContent).toMatch(/850 ms/);
    const failed = screen.getByTestId('gpu-swaps-row-' + `${new Date(2026, 0, 1, 9, 1, 0).getTime()}-qwen-b`);
    expect(failed.dataset.failed).toBe('true');
    expect(failed.textContent).toMatch(/loaded by the operator/);
    expect(failed.textContent).toMatch(/failed: bad magic/);
  });

  it('shows tokens here and remote, the local share, fallbacks and refusals by reason, costs, and no upstream', async () => {
    setup(status());
    const share = await screen.findByTestId('gpu-local-share');
    expect(within(share).getByTestId('gpu-share-local').textContent).toMatch(/900 tok.*9 requests/);
    expect(within(share).getByTestId('gpu-share-remote').textContent).toMatch(/100 tok.*1 request$/);
    expect(within(share).getByTestId('gpu-share-percent').textContent).toMatch(/90 %/);
    expect(within(share).getByTestId('gpu-share-cost').textContent).toMatch(/0\.50.*saved 4\.25/);
    expect(within(share).getByTestId('gpu-fallbacks').textContent).toBe('it would have waited too long: 2');
    expect(within(share).getByTestId('gpu-rejected').textContent).toBe("the model's queue was full: 1");
    expect(within(share).getByTestId('gpu-upstream').textContent).toMatch(/no fallback configured/);
  });
});

describe('local inference: playground', () => {
  it('streams the answer from a reef.v1.streams subject, in seq order, and ends with tokens per second', async () => {
    const reply = deferred<unknown>();
    const { calls, emit, listeners } = setup(status(), (subject) => (subject === 'reef.v1.inference.chat' ? reply.promise : undefined));
    const prompt = await screen.findByTestId('gpu-playground-prompt');
    expect((screen.getByTestId('gpu-playground-model') as HTMLSelectElement).value).toBe('llama-a');
    fireEvent.change(prompt, { target: { value: 'Say hi' } });
    fireEvent.keyDown(prompt, { key: 'Enter', ctrlKey: true });
    await waitFor(() => expect(bodies(calls, 'reef.v1.inference.chat')).toHaveLength(1));
    const body = bodies(calls, 'reef.v1.inference.chat')[0]!;
    const subject = body.streamTo as string;
    expect(subject).toMatch(/^reef\.v1\.streams\.[0-9a-f]{32}$/);
    expect(listeners.has(subject)).toBe(true);
    expect(body).toMatchObject({ model: 'llama-a', messages: [{ role: 'user', content: 'Say hi' }], stream: true });
    const chunk = (content: string) => ({ choices: [{ delta: { content }, finish_reason: null }] });
    act(() => {
      emit(subject, { seq: 0, data: { choices: [{ delta: { role: 'assistant', content: '' }, finish_reason: null }] } });
      emit(subject, { seq: 2, data: chunk(' there') });
      emit(subject, { seq: 1, data: chunk('Hello') });
    });
    await waitFor(() => expect(screen.getByTestId('gpu-playground-output').textContent).toBe('Hello there'));
    expect(screen.getByTestId('gpu-playground-stop')).toBeTruthy();
    await new Promise((r) => setTimeout(r, 20));
    act(() => {
      emit(subject, { seq: 3, data: { choices: [{ delta: {}, finish_reason: 'stop' }] } });
      emit(subject, { seq: 4, data: { choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } } });
    });
    await act(async () => reply.resolve({ streamed: 5 }));
    await waitFor(() => expect(screen.getByTestId('gpu-playground').dataset.phase).toBe('done'));
    expect(screen.getByTestId('gpu-playground-summary').textContent).toMatch(/^done · 2 tokens · in \d+ ms · [\d.]+ tok\/s$/);
    expect(listeners.has(subject)).toBe(false);
  });

  it('Stop ends the listening at once and keeps what came', async () => {
    const { calls, emit, listeners } = setup(status(), (subject) => (subject === 'reef.v1.inference.chat' ? new Promise(() => undefined) : undefined));
    fireEvent.change(await screen.findByTestId('gpu-playground-prompt'), { target: { value: 'Go on' } });
    fireEvent.click(screen.getByTestId('gpu-playground-send'));
    await waitFor(() => expect(bodies(calls, 'reef.v1.inference.chat')).toHaveLength(1));
    const subject = bodies(calls, 'reef.v1.inference.chat')[0]!.streamTo as string;
    act(() => emit(subject, { seq: 0, data: { choices: [{ delta: { content: 'Once' }, finish_reason: null }] } }));
    await waitFor(() => expect(screen.getByTestId('gpu-playground-output').textContent).toBe('Once'));
    fireEvent.click(screen.getByTestId('gpu-playground-stop'));
    await waitFor(() => expect(screen.getByTestId('gpu-playground').dataset.phase).toBe('done'));
    expect(screen.getByTestId('gpu-playground-summary').textContent).toMatch(/^stopped/);
    expect(screen.getByTestId('gpu-playground-output').textContent).toBe('Once');
    expect(listeners.has(subject)).toBe(false);
    expect(screen.getByTestId('gpu-playground-send')).toBeTruthy();
  });
});
