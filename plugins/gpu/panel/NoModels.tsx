// No model yet: where to put .gguf files, and how an OpenAI client talks to Reef.
import { EmptyState } from '../../../sdk/panel/index.js';

/** The host's address as this window reaches it (browser mode), or a stand-in (the desktop app). */
export function hostOrigin(): string {
  const origin = typeof location === 'undefined' ? '' : location.origin;
  return /^https?:\/\//.test(origin) ? origin : 'http://HOST:PORT';
}

export function NoModels({ modelsDir, onRescan }: { modelsDir: string; onRescan(): void }) {
  const base = `${hostOrigin()}/v1`;
  return (
    <EmptyState testId="gpu-models-empty" title="No models yet">
      <p>
        Put <span className="gp-mono">.gguf</span> model files in <span className="gp-mono gp-strong" data-testid="gpu-models-dir">{modelsDir}</span> (or start Reef with{' '}
        <span className="gp-mono">--models-dir DIR</span>); they are listed here as soon as they are there.
      </p>
      <p>
        Then point any OpenAI client at Reef: base URL <span className="gp-mono gp-strong" data-testid="gpu-base-url">{base}</span>, and as the API key an agent token (
        <span className="gp-mono">reef token create --scope agent --name NAME</span>).
      </p>
      <pre className="gp-pre">{`curl ${base}/chat/completions \\\n  -H "Authorization: Bearer $REEF_AGENT_TOKEN" -H "Content-Type: application/json" \\\n  -d '{"model": "<file name without .gguf>", "messages": [{"role": "user", "content": "Hello"}]}'`}</pre>
      <button type="button" className="reef-ui-button" data-testid="gpu-models-rescan" onClick={onRescan}>
        Look again
      </button>
    </EmptyState>
  );
}
