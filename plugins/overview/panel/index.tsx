// Overview panel: the host at a glance — host facts, plugins and their states, refused manifests, live bus traffic.
import { useCallback, useEffect, useState } from 'react';
import type { PanelProps, HostInfo, ManifestProblem, PluginStatus } from '../../../sdk/panel/index.js';
import { StatCard, StatusBadge, type Tone } from '../../../sdk/panel/index.js';
import type { TrafficSample } from '../host/index.js';
import { TrafficChart } from './TrafficChart.js';
import './overview.css';

interface Summary {
  host: HostInfo;
  plugins: PluginStatus[];
  traffic: TrafficSample[];
}

/** Two minutes of one-per-second samples. */
const WINDOW = 120;

function isSample(body: unknown): body is TrafficSample {
  if (typeof body !== 'object' || body === null) return false;
  const s = body as Record<string, unknown>;
  return ['at', 'requestsPerSec', 'publishesPerSec', 'errorsPerSec'].every((k) => typeof s[k] === 'number');
}

export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

const TIER = { 'single-box': 'single box', factory: 'factory', 'control-center': 'control center' } as const;

function HostCard({ host, now }: { host: HostInfo; now: number }) {
  const rows: Array<[string, string]> = [
    ['Version', host.version],
    ['Tier', TIER[host.tier]],
    ['Mode', host.mode],
    ['Database', host.database],
    ['Bus', host.bus],
    ['Uptime', formatUptime(now - host.startedAt)],
    ['Data dir', host.dataDir],
    ['Process', `pid ${host.pid} · node ${host.node} · ${host.platform}`],
  ];
  return (
    <section className="ov-card" data-testid="overview-host">
      <h3 className="ov-card__title">Host</h3>
      <dl className="ov-facts">
        {rows.map(([k, v]) => (
          <div key={k} className="ov-facts__row">
            <dt>{k}</dt>
            <dd title={v}>{v}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

/** A plugin's state as a badge: a glyph and the word, so it never relies on colour alone. */
const STATE_TONE: Record<PluginStatus['state'], Tone> = { active: 'ok', failed: 'error', activating: 'warn', loaded: 'warn', inactive: 'neutral' };
const STATE_GLYPH: Record<PluginStatus['state'], string> = { active: '●', failed: '✕', activating: '◌', loaded: '○', inactive: '–' };

function PluginsTable({ plugins }: { plugins: PluginStatus[] }) {
  return (
    <section className="ov-card" data-testid="overview-plugins">
      <h3 className="ov-card__title">
        Plugins <span className="ov-count">{plugins.length}</span>
      </h3>
      {plugins.length === 0 ? (
        <p className="ov-empty">No plugins are installed. Built-ins live in the app's plugins folder; add your own with --plugin-dir.</p>
      ) : (
        <table className="ov-table">
          <thead>
            <tr>
              <th>Plugin</th>
              <th>Version</th>
              <th>State</th>
              <th>Contributes</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {plugins.map((p) => (
              <tr key={p.id} data-testid={`overview-plugin-${p.id}`} data-state={p.state}>
                <td>
                  <div className="ov-strong">{p.displayName}</div>
                  <div className="ov-mono ov-dim">{p.id}</div>
                </td>
                <td className="ov-mono">{p.version}</td>
                <td>
                  <StatusBadge tone={STATE_TONE[p.state]} glyph={STATE_GLYPH[p.state]}>
                    {p.state}
                  </StatusBadge>
                </td>
                <td className="ov-dim">
                  {[
                    [p.contributes.panels.length, 'panel'],
                    [p.contributes.commands.length, 'command'],
                    [p.contributes.statusItems.length, 'status item'],
                  ]
                    .filter(([n]) => Number(n) > 0)
                    .map(([n, what]) => `${n} ${what}${n === 1 ? '' : 's'}`)
                    .join(' · ') || '—'}
                </td>
                <td className={p.error ? 'ov-error' : 'ov-dim'}>{p.error ?? (p.builtin ? 'built-in' : 'external')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function ProblemsCard({ problems }: { problems: ManifestProblem[] }) {
  return (
    <section className="ov-card" data-testid="overview-problems">
      <h3 className="ov-card__title">
        Manifest problems <span className={`ov-count${problems.length ? ' ov-count--bad' : ''}`}>{problems.length}</span>
      </h3>
      {problems.length === 0 ? (
        <p className="ov-empty">Every plugin manifest was read without problems.</p>
      ) : (
        <ul className="ov-problems">
          {problems.map((p, i) => (
            <li key={`${p.file}#${i}`}>
              <div className="ov-mono ov-strong">{p.file}</div>
              <div className="ov-error">{p.message}</div>
              <div className="ov-dim">Fix the manifest file and restart the host; the plugin stays unloaded until then.</div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export default function OverviewPanel({ api }: PanelProps) {
  const [summary, setSummary] = useState<Summary | null>(null);
  const [plugins, setPlugins] = useState<PluginStatus[] | null>(null);
  const [problems, setProblems] = useState<ManifestProblem[] | null>(null);
  const [samples, setSamples] = useState<TrafficSample[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    api.request<Summary>('reef.v1.overview.summary').then(
      (s) => {
        if (!live) return;
        setSummary(s);
        setError(null);
        setSamples((current) => (current.length > 0 ? current : s.traffic.slice(-WINDOW)));
      },
      (err: unknown) => live && setError(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      live = false;
    };
  }, [api, attempt]);

  useEffect(
    () =>
      api.subscribe('reef.v1.events.overview.traffic', (body) => {
        if (isSample(body)) setSamples((current) => [...current.slice(-(WINDOW - 1)), body]);
      }),
    [api],
  );

  // Plugin states change (activate, fail) with an event from the host: no polling.
  const refreshPlugins = useCallback(() => {
    api.plugins().then(setPlugins, () => undefined);
    api.manifestProblems().then(setProblems, () => undefined);
  }, [api]);
  useEffect(() => {
    refreshPlugins();
    return api.onPluginsChanged(refreshPlugins);
  }, [api, refreshPlugins]);

  const shownPlugins = plugins ?? summary?.plugins ?? [];
  const active = shownPlugins.filter((p) => p.state === 'active').length;
  const failed = shownPlugins.filter((p) => p.state === 'failed').length;
  const last = samples[samples.length - 1];
  // The traffic samples tick once a second: they are the clock for the uptime too.
  const now = last?.at ?? Date.now();

  return (
    <div className="ov">
      <header className="ov-head">
        <div>
          <h2 className="ov-head__title">Overview</h2>
          <div className="ov-dim">The host at a glance: its setup, its plugins and the traffic on its bus.</div>
        </div>
        <span className={`ov-live${last ? ' ov-live--on' : ''}`}>{last ? 'live' : 'waiting for data'}</span>
      </header>

      {error && (
        <div className="ov-alert" role="alert" data-testid="overview-error">
          <span>Could not load the overview: {error}</span>
          <button type="button" className="ov-button" data-testid="overview-retry" onClick={() => setAttempt((n) => n + 1)}>
            Retry
          </button>
        </div>
      )}

      <div className="ov-kpis">
        <StatCard label="Requests / s" value={last ? last.requestsPerSec.toFixed(1) : '–'} />
        <StatCard label="Publishes / s" value={last ? last.publishesPerSec.toFixed(1) : '–'} />
        <StatCard label="Errors / s" value={last ? last.errorsPerSec.toFixed(1) : '–'} {...(last && last.errorsPerSec > 0 ? { tone: 'error' as const } : {})} />
        <StatCard label="Plugins active" value={active}>
          <span className="ov-dim">/{shownPlugins.length}</span>
          {failed > 0 && <StatusBadge tone="error">{failed} failed</StatusBadge>}
        </StatCard>
      </div>

      <div className="ov-grid">
        {summary ? (
          <HostCard host={summary.host} now={now} />
        ) : (
          <section className="ov-card" data-testid="overview-host">
            <h3 className="ov-card__title">Host</h3>
            <p className="ov-empty">{error ? 'Not available.' : 'Loading…'}</p>
          </section>
        )}
        <section className="ov-card">
          <h3 className="ov-card__title">Bus traffic per second</h3>
          <TrafficChart samples={samples} />
        </section>
      </div>

      <PluginsTable plugins={shownPlugins} />
      {problems && <ProblemsCard problems={problems} />}
    </div>
  );
}
