// Without GPU readings: why, in the host's words, and what to do; the host's CPU and memory still follow.
import { EmptyState } from '../../../sdk/panel/index.js';
import { adviceFor, retryLine } from './format.js';
import type { GpuStatus } from './types.js';

export function NoGpu({ status, cpuCount, now }: { status: GpuStatus | null; cpuCount: number | undefined; now: number }) {
  if (!status || status.state === 'unknown') {
    return (
      <EmptyState testId="gpu-none" variant="card" title="Looking for a GPU…">
        <p className="gp-dim">Reef runs nvidia-smi to read the GPUs; the first answer comes within a few seconds.</p>
      </EmptyState>
    );
  }
  const reason = status.reason;
  const retry = retryLine(status, now);
  return (
    <div data-testid="gpu-none" data-reason={reason?.code ?? ''}>
      <EmptyState variant="card" title="No GPU readings on this host">
        <p className="gp-strong" data-testid="gpu-none-reason">
          {reason ? `${reason.message.charAt(0).toUpperCase()}${reason.message.slice(1)}.` : 'nvidia-smi gave no readings.'}
        </p>
        {reason && (
          <p data-testid="gpu-none-advice">
            <span className="gp-dim">What to do: </span>
            {adviceFor(reason)}
          </p>
        )}
        {reason?.output && (
          <pre className="gp-pre" data-testid="gpu-none-output">
            {reason.output}
          </pre>
        )}
        <p className="gp-dim">
          Local models run on the CPU here{cpuCount ? ` (${cpuCount} cores)` : ''}; CPU and memory are below.{retry ? ` ${retry}` : ''}
        </p>
      </EmptyState>
    </div>
  );
}
