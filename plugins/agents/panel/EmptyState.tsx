// No agent has sent a heartbeat yet: show how to send one, over HTTP and over NATS.
import { useState } from 'react';
import type { PanelApi } from '../../../sdk/panel/index.js';
import { EmptyState as KitEmptyState } from '../../../sdk/panel/index.js';

function origin(): string {
  const o = typeof window === 'undefined' ? '' : window.location.origin;
  return /^https?:/.test(o) ? o : 'http://HOST:PORT';
}

export function heartbeatCurl(base = origin()): string {
  return `curl -X POST ${base}/v1/agents/NAME/heartbeat \\
  -H "Authorization: Bearer $REEF_TOKEN" -H 'content-type: application/json' \\
  -d '{"status":"idle","intervalMs":10000}'`;
}

export function EmptyState({ api }: { api: PanelApi }) {
  const [copied, setCopied] = useState(false);
  const curl = heartbeatCurl();
  const copy = () => {
    navigator.clipboard?.writeText(curl).then(
      () => setCopied(true),
      () => api.toast('Could not copy: select the command and copy it by hand', 'error'),
    );
  };
  return (
    <KitEmptyState variant="card" testId="agents-empty" title="No agent has reported yet">
      <p className="ag-dim">
        Agents appear here with their first heartbeat. Send one every <code>intervalMs</code> (default 10 s); an agent is stale after 2 missed
        heartbeats and offline after 5. Make a token with <code>reef token create --scope agent --name NAME</code>.
      </p>
      <div className="ag-code">
        <pre data-testid="agents-empty-curl">{curl}</pre>
        <button type="button" className="ag-button ag-button--small" data-testid="agents-empty-copy" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <p className="ag-dim">
        Over NATS, publish the same body on <code data-testid="agents-empty-subject">reef.v1.agents.NAME.heartbeat</code>, and listen on{' '}
        <code>reef.v1.agents.NAME.control</code> and <code>reef.v1.agents.all.control</code> for pause, drain and resume.
      </p>
    </KitEmptyState>
  );
}
