/** What a control action will do, in words, with how many agents it touches: the confirmation's text. */
import { plural } from './format.js';
import type { AgentView, ControlAction, ControlScope, ControlsWithRevision } from './types.js';

export interface ControlRequest {
  action: ControlAction;
  scope: ControlScope;
  name?: string;
}

export interface ControlPlan extends ControlRequest {
  title: string;
  /** Registered agents it applies to. */
  count: number;
  description: string;
  confirmLabel: string;
}

const VERB = { pause: 'Pause', drain: 'Drain', resume: 'Resume' } as const;

export function planControl(req: ControlRequest, agents: readonly AgentView[], controls: ControlsWithRevision): ControlPlan {
  const { action, scope, name } = req;
  const affected = scope === 'all' ? agents : scope === 'product' ? agents.filter((a) => a.product === name) : agents.filter((a) => a.id === name);
  const count = scope === 'agent' ? 1 : affected.length;
  const n = plural(count, 'agent');
  const target = scope === 'all' ? 'the whole fleet' : scope === 'product' ? `product ${name}` : `agent ${name}`;
  const title = `${VERB[action]} ${target}`;
  let description: string;
  if (action === 'pause') {
    description =
      scope === 'all'
        ? `All ${n} stop getting new tasks until you resume. Tasks already running go on.`
        : scope === 'product'
          ? `${n} of ${name} stop getting new tasks, and no task of ${name} is handed out, until you resume. Tasks already running go on.`
          : `${name} gets no new task until you resume it. Its current task goes on.`;
  } else if (action === 'drain') {
    description =
      scope === 'agent'
        ? `${name} finishes its current task and takes no new one.`
        : `${n}${scope === 'product' ? ` of ${name}` : ''} finish their current task and take no new one. Agents that register later are not drained.`;
  } else {
    const held = affected.filter((a) => a.control !== 'running').length;
    description =
      scope === 'all'
        ? `Clears every pause and drain (${plural(controls.pausedProducts.length, 'paused product')}, ${plural(controls.pausedAgents.length + controls.drainingAgents.length, 'agent pause or drain', 'agent pauses or drains')}): ${plural(held, 'agent')} held now can take tasks again.`
        : scope === 'product'
          ? `Clears the pause of ${name} and any pause or drain of its ${n}: ${plural(held, 'agent')} held now can take tasks again.`
          : `Clears the pause or drain of ${name}.${controls.pausedAll ? ' The whole fleet is still paused.' : ''}`;
  }
  const plan: ControlPlan = { action, scope, title, count, description, confirmLabel: `${VERB[action]}${scope === 'agent' ? '' : ` ${n}`}` };
  if (name !== undefined) plan.name = name;
  return plan;
}
