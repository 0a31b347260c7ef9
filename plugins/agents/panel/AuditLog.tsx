// The recent control actions, newest first: when, who, what, and how many agents it touched.
import { formatTime, plural } from './format.js';
import type { AuditEntry } from './types.js';

const PAST = { pause: 'paused', drain: 'drained', resume: 'resumed' } as const;

function describe(e: AuditEntry): string {
  const target = e.scope === 'all' ? 'the whole fleet' : e.scope === 'product' ? `product ${e.name}` : `agent ${e.name}`;
  return `${PAST[e.action]} ${target}`;
}

export function AuditLog({ entries }: { entries: readonly AuditEntry[] }) {
  return (
    <section className="ag-section ag-audit" data-testid="agents-audit" aria-label="Control audit log">
      <h3 className="ag-section__title">
        Audit log <span className="ag-count">{entries.length}</span>
      </h3>
      {entries.length === 0 ? (
        <p className="ag-dim ag-audit__empty">No pause, drain or resume yet. Every one is recorded here with who did it and when.</p>
      ) : (
        <ol className="ag-audit__list">
          {entries.map((e) => (
            <li key={e.id} className="ag-audit__item" data-testid={`agents-audit-${e.id}`}>
              <time className="ag-mono ag-dim" dateTime={e.at} title={e.at}>
                {formatTime(e.at)}
              </time>
              <span className={`ag-audit__what ag-audit__what--${e.action}`}>{describe(e)}</span>
              <span className="ag-dim">
                {e.by} · {plural(e.affected, 'agent')}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
