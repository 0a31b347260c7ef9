// PLACEHOLDERS for the inference engine (issue 12 point 7): loaded models with their memory share
// and load/unload/pin, per-model queues, the swap log and the playground. The engine's subjects do
// not exist yet; each section below is where its view goes, with the empty state it shows until then.
import { EmptyState } from '../../../sdk/panel/index.js';

const SLOTS = [
  { id: 'models', title: 'Loaded models', empty: 'No models loaded yet', hint: 'Models on the GPU (or in RAM) with their memory share, and load, unload and pin, appear here once the inference engine runs.' },
  { id: 'queues', title: 'Per-model queues', empty: 'No model queues yet', hint: 'Requests waiting for each model, their wait (p50/p95), the local share and the fallback rate.' },
  { id: 'swaps', title: 'Swap log', empty: 'No swaps yet', hint: 'Each model swap with the requests that caused it and how long it took.' },
  { id: 'playground', title: 'Playground', empty: 'No model to try yet', hint: 'Send one prompt to a loaded model and watch its tokens stream.' },
] as const;

export function InferenceSlots() {
  return (
    <section className="gp-card" data-testid="gpu-inference">
      <h3 className="gp-card__title">Local inference</h3>
      <div className="gp-slots">
        {SLOTS.map((slot) => (
          <div key={slot.id} className="gp-slot" data-testid={`gpu-inference-${slot.id}`} data-slot={slot.id}>
            <h4 className="gp-chart__title">{slot.title}</h4>
            <EmptyState title={slot.empty}>
              <p className="gp-dim">{slot.hint}</p>
            </EmptyState>
          </div>
        ))}
      </div>
    </section>
  );
}
