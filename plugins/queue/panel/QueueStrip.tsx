// Every queue with its counts per state, a paused badge, and pause/resume.
import { useState } from 'react';
import { useStore } from 'zustand';
import { formatCount, STATE_GLYPH } from './format.js';
import { PauseIcon, PlayIcon } from './icons.js';
import type { QueueStore } from './queue-store.js';
import type { TaskState } from './types.js';

const SHOWN: TaskState[] = ['ready', 'scheduled', 'leased', 'blocked', 'failed', 'dead'];

export function QueueStrip({ store, onPause, onPick }: { store: QueueStore; onPause(queue: string, paused: boolean): Promise<void>; onPick(queue: string): void }) {
  const queues = useStore(store, (s) => s.queues);
  const [busy, setBusy] = useState<string | null>(null);
  const toggle = (queue: string, paused: boolean) => {
    setBusy(queue);
    void onPause(queue, paused).finally(() => setBusy(null));
  };

  return (
    <section className="qp-card qp-card--queues" data-testid="queue-strip">
      <h3 className="qp-card__title">
        Queues {queues && <span className="qp-count">{queues.length}</span>}
      </h3>
      {!queues ? (
        <p className="qp-dim">Loading…</p>
      ) : queues.length === 0 ? (
        <p className="qp-dim">No queues yet: a queue appears with its first task.</p>
      ) : (
        <div className="qp-queues">
          <table className="qp-qtable">
            <thead>
              <tr>
                <th>Queue</th>
                {SHOWN.map((s) => (
                  <th key={s} className={`qp-num qp-th--${s}`} title={s}>
                    <span aria-hidden="true">{STATE_GLYPH[s]}</span> {s}
                  </th>
                ))}
                <th />
              </tr>
            </thead>
            <tbody>
              {queues.map((q) => (
                <tr key={q.name} data-testid={`queue-strip-${q.name}`} data-paused={q.paused}>
                  <td>
                    <button type="button" className="qp-link" data-testid={`queue-pick-${q.name}`} title={`Show only ${q.name}`} onClick={() => onPick(q.name)}>
                      {q.name}
                    </button>
                    {q.paused && (
                      <span className="qp-badge qp-badge--paused" data-testid={`queue-paused-${q.name}`}>
                        <PauseIcon /> paused
                      </span>
                    )}
                  </td>
                  {SHOWN.map((s) => {
                    const n = q.counts[s] ?? 0;
                    return (
                      <td key={s} className={`qp-num${n > 0 && (s === 'dead' || s === 'failed') ? ` qp-num--${s}` : ''}${n === 0 ? ' qp-dim' : ''}`}>
                        {formatCount(n)}
                      </td>
                    );
                  })}
                  <td className="qp-qtable__action">
                    {q.paused ? (
                      <button type="button" className="qp-button qp-button--small" data-testid={`queue-resume-${q.name}`} disabled={busy === q.name} onClick={() => toggle(q.name, false)}>
                        <PlayIcon /> Resume
                      </button>
                    ) : (
                      <button type="button" className="qp-button qp-button--small" data-testid={`queue-pause-${q.name}`} disabled={busy === q.name} onClick={() => toggle(q.name, true)}>
                        <PauseIcon /> Pause
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
