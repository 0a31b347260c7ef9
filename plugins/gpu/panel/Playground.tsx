// One prompt to a local model, its answer streaming in; Stop cancels it on the host (generation ends there); tokens per second at the end.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { formatMs, formatRate } from './inference-format.js';
import type { ChatResult, InferenceClient } from './inference-client.js';
import type { ModelStatus } from './inference-types.js';

type Run = { phase: 'idle' } | { phase: 'running'; text: string } | { phase: 'done'; result: ChatResult } | { phase: 'failed'; text: string; error: string };

export function summary(result: ChatResult): string {
  const tokens = result.completionTokens;
  const rate = tokens !== null && result.ms > 0 ? formatRate((tokens / result.ms) * 1000) : null;
  const parts = [
    result.stopped ? 'stopped' : result.finishReason === 'length' ? 'stopped at the token limit' : 'done',
    ...(tokens !== null ? [`${tokens} token${tokens === 1 ? '' : 's'}`] : []),
    ...(result.ms > 0 ? [`in ${formatMs(result.ms)}`] : []),
    ...(rate ? [rate] : []),
  ];
  return parts.join(' · ');
}

export function Playground({ client, models }: { client: InferenceClient; models: ModelStatus[] }) {
  const [model, setModel] = useState('');
  const [prompt, setPrompt] = useState('');
  const [maxTokens, setMaxTokens] = useState(128);
  const [run, setRun] = useState<Run>({ phase: 'idle' });
  const stopper = useRef<AbortController | null>(null);
  // The first loaded model, else the first, until the operator picks one.
  const chosen = model && models.some((m) => m.id === model) ? model : (models.find((m) => m.state === 'loaded') ?? models[0])?.id ?? '';
  const running = run.phase === 'running';

  useEffect(() => () => stopper.current?.abort(), []);

  const send = () => {
    if (running || !chosen || prompt.trim() === '') return;
    const controller = new AbortController();
    stopper.current = controller;
    setRun({ phase: 'running', text: '' });
    let latest = '';
    client
      .chat({ model: chosen, prompt, maxTokens, temperature: 0.8 }, (text) => {
        latest = text;
        if (!controller.signal.aborted) setRun({ phase: 'running', text });
      }, controller.signal)
      .then(
        (result) => setRun({ phase: 'done', result }),
        (err: unknown) => setRun({ phase: 'failed', text: latest, error: err instanceof Error ? err.message : String(err) }),
      )
      .finally(() => {
        if (stopper.current === controller) stopper.current = null;
      });
  };
  const stop = () => stopper.current?.abort();
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      send();
    } else if (e.key === 'Escape' && running) {
      e.preventDefault();
      stop();
    }
  };
  const output = run.phase === 'running' || run.phase === 'failed' ? run.text : run.phase === 'done' ? run.result.text : '';

  return (
    <div className="gp-playground" data-testid="gpu-playground" data-phase={run.phase}>
      <div className="gp-playground__controls">
        <label className="gp-field">
          <span className="gp-dim">Model</span>
          <select className="reef-ui-input reef-ui-input--select" data-testid="gpu-playground-model" value={chosen} disabled={running || models.length === 0} onChange={(e) => setModel(e.target.value)}>
            {models.map((m) => (
              <option key={m.id} value={m.id}>
                {m.id}
                {m.state === 'loaded' ? '' : ` (${m.state})`}
              </option>
            ))}
          </select>
        </label>
        <label className="gp-field">
          <span className="gp-dim">Max tokens</span>
          <input className="reef-ui-input gp-number" type="number" min={1} max={4096} data-testid="gpu-playground-max" value={maxTokens} disabled={running} onChange={(e) => setMaxTokens(Math.max(1, Math.min(4096, Number(e.target.value) || 1)))} />
        </label>
        <span className="gp-spacer" />
        {running ? (
          <button type="button" className="reef-ui-button reef-ui-button--danger" data-testid="gpu-playground-stop" onClick={stop} title="Stop generating (Esc)">
            Stop
          </button>
        ) : (
          <button type="button" className="reef-ui-button reef-ui-button--primary" data-testid="gpu-playground-send" disabled={!chosen || prompt.trim() === ''} onClick={send} title="Send (Ctrl+Enter)">
            Send
          </button>
        )}
      </div>
      <textarea
        className="reef-ui-input gp-prompt"
        data-testid="gpu-playground-prompt"
        aria-label="Prompt"
        placeholder={models.length === 0 ? 'No model to try yet' : 'Type a prompt; Ctrl+Enter sends, Esc stops'}
        rows={3}
        value={prompt}
        disabled={models.length === 0}
        onChange={(e) => setPrompt(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <pre className="gp-pre gp-output" data-testid="gpu-playground-output" aria-live="polite" aria-busy={running}>
        {output || (running ? 'Waiting for the first token… (the model may be loading)' : '')}
      </pre>
      <div className="gp-dim" data-testid="gpu-playground-summary" role="status">
        {run.phase === 'done' ? summary(run.result) : run.phase === 'failed' ? <span className="gp-error">{run.error}</span> : running ? 'streaming…' : ''}
      </div>
    </div>
  );
}
