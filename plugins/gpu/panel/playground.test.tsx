// The playground's Stop cancels the chat request (PanelApi.request's signal), so the host stops
// generating, rather than only ceasing to listen; Esc and leaving the panel do the same.
import * as React from 'react';
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { fakePanelApi } from '../../../sdk/testing.js';
import { InferenceClient } from './inference-client.js';
import type { ModelStatus } from './inference-types.js';
import { Playground } from './Playground.js';

// The playground reads only a model's id and state.
const models = [{ id: 'llama-a', state: 'loaded' } as ModelStatus];

function setup() {
  // The chat never answers by itself: only an abort ends it, as a long generation would.
  const fake = fakePanelApi((subject) => (subject === 'reef.v1.inference.chat' ? new Promise(() => undefined) : undefined));
  const view = render(<Playground client={new InferenceClient(fake.api)} models={models} />);
  const chat = () => fake.calls.filter((c) => c.subject === 'reef.v1.inference.chat');
  return { ...fake, view, chat };
}

async function startChat(s: ReturnType<typeof setup>): Promise<AbortSignal> {
  fireEvent.change(screen.getByTestId('gpu-playground-prompt'), { target: { value: 'Tell me a long story' } });
  fireEvent.click(screen.getByTestId('gpu-playground-send'));
  await waitFor(() => expect(s.chat()).toHaveLength(1));
  const signal = s.chat()[0]!.signal;
  expect(signal).toBeDefined();
  expect(signal!.aborted).toBe(false);
  return signal!;
}

afterEach(cleanup);

describe('playground: Stop cancels the request', () => {
  it('Stop aborts the chat request, keeps what came, and says stopped', async () => {
    const s = setup();
    const signal = await startChat(s);
    const subject = s.chat()[0]!.body.streamTo as string;
    act(() => s.emit(subject, { seq: 0, data: { choices: [{ delta: { content: 'Once upon' }, finish_reason: null }] } }));
    await waitFor(() => expect(screen.getByTestId('gpu-playground-output').textContent).toBe('Once upon'));
    const stop = screen.getByTestId('gpu-playground-stop');
    expect(stop.getAttribute('title')).toBe('Stop generating (Esc)');
    fireEvent.click(stop);
    expect(signal.aborted).toBe(true);
    await waitFor(() => expect(screen.getByTestId('gpu-playground').dataset.phase).toBe('done'));
    expect(screen.getByTestId('gpu-playground-summary').textContent).toMatch(/^stopped/);
    expect(screen.getByTestId('gpu-playground-output').textContent).toBe('Once upon');
    expect(s.listeners.has(subject)).toBe(false);
  });

  it('Esc in the prompt aborts it too', async () => {
    const s = setup();
    const signal = await startChat(s);
    fireEvent.keyDown(screen.getByTestId('gpu-playground-prompt'), { key: 'Escape' });
    expect(signal.aborted).toBe(true);
    await waitFor(() => expect(screen.getByTestId('gpu-playground').dataset.phase).toBe('done'));
  });

  it('leaving the panel mid-answer aborts it', async () => {
    const s = setup();
    const signal = await startChat(s);
    s.view.unmount();
    expect(signal.aborted).toBe(true);
  });
});
