// Local inference in the GPU panel: the models with their actions, the queues and the swap log,
// what was served here and what by the fallback, and a playground.
import { useMemo, useState } from 'react';
import { useStore } from 'zustand';
import type { PanelApi } from '../../../sdk/panel/index.js';
import { EmptyState } from '../../../sdk/panel/index.js';
import { InferenceClient } from './inference-client.js';
import { formatMs } from './inference-format.js';
import { createInferenceStore } from './inference-store.js';
import { LocalShare } from './LocalShare.js';
import { ModelsTable, type ModelActions } from './ModelsTable.js';
import { NoModels } from './NoModels.js';
import { Playground } from './Playground.js';
import { QueueChart } from './QueueChart.js';
import { SwapLog } from './SwapLog.js';
import { runAction, useInference } from './use-inference.js';

export function InferenceSection({ api }: { api: PanelApi }) {
  const [client] = useState(() => new InferenceClient(api));
  const [store] = useState(() => createInferenceStore());
  useInference(client, store);
  const phase = useStore(store, (s) => s.phase);
  const error = useStore(store, (s) => s.error);
  const status = useStore(store, (s) => s.status);
  const queues = useStore(store, (s) => s.queues);
  const busy = useStore(store, (s) => s.busy);

  const actions = useMemo<ModelActions>(
    () => ({
      load: (model) =>
        void runAction(client, store, model, 'load', () => client.load(model)).then((r) => {
          if (r) client.toast(`${model} loaded in ${formatMs(r.loadMs)}`, 'success');
        }),
      unload: (model) => void runAction(client, store, model, 'unload', () => client.unload(model)),
      pin: (model, pinned) => void runAction(client, store, model, 'pin', () => client.pin(model, pinned)),
    }),
    [client, store],
  );
  const rescan = () => void client.status().then((s) => store.getState().apply(s), (err: unknown) => store.getState().fail(err instanceof Error ? err.message : String(err)));

  return (
    <section className="gp-card" data-testid="gpu-inference" data-phase={phase}>
      <h3 className="gp-card__title">
        Local inference
        {status && (
          <span className="gp-dim gp-mono" title="Where local models are read from">
            {status.modelsDir}
          </span>
        )}
      </h3>
      {error && (
        <p className="gp-error" role="alert" data-testid="gpu-inference-error">
          {phase === 'error' ? `Local inference is not available: ${error}` : error}
        </p>
      )}
      {!status ? (
        phase === 'loading' && <EmptyState testId="gpu-inference-loading" title="Reading the models…" />
      ) : status.models.length === 0 ? (
        // A new user: where models go and how to use them; the rest once there is something to show.
        <div data-testid="gpu-inference-models">
          <NoModels modelsDir={status.modelsDir} onRescan={rescan} />
          {(status.upstream !== null || status.totals.remote.requests > 0) && <LocalShare status={status} />}
        </div>
      ) : (
        <>
          <div data-testid="gpu-inference-models">
            <h4 className="gp-chart__title">
              Models <span className="gp-count">{status.models.length}</span>
            </h4>
            <ModelsTable status={status} busy={busy} actions={actions} />
          </div>
          <div className="gp-charts">
            <QueueChart queues={queues} />
            <div data-testid="gpu-inference-share">
              <h4 className="gp-chart__title">Local share and fallbacks</h4>
              <LocalShare status={status} />
            </div>
          </div>
          <div data-testid="gpu-inference-swaps">
            <h4 className="gp-chart__title">
              Swap log <span className="gp-count">{status.swaps.length}</span>
            </h4>
            <SwapLog swaps={status.swaps} />
          </div>
          <div data-testid="gpu-inference-playground">
            <h4 className="gp-chart__title">Playground</h4>
            <Playground client={client} models={status.models} />
          </div>
        </>
      )}
    </section>
  );
}
