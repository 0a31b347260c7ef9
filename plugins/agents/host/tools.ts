/**
 * The agents' tools for agents over MCP (`ctx.tools`): who else is in the fleet, and
 * `reef://agents/me/work`, the calling agent's open work in one read: the tasks it holds and the
 * approvals it waits on (read from the queue and the approvals over the bus, so either may be
 * missing when its plugin is off).
 */
import { z } from 'zod';
import { ReefError, parseBody, requireSelf, type PluginContext, type RequestInfo } from '../../../sdk/index.js';
import { ListSchema, agentId } from './schemas.js';

export const WorkSchema = z.object({ agent: agentId }).strict();

/** The most tasks and approvals the open-work read returns of each. */
const WORK_LIMIT = 100;

export async function registerAgentTools(ctx: PluginContext): Promise<void> {
  const both = ['operator', 'agent'] as const;

  // The open work of one agent: its leased tasks and its pending approvals.
  await ctx.bus.serve(
    'reef.v1.agents.work',
    async (body: unknown, info: RequestInfo) => {
      const { agent } = parseBody(WorkSchema, body);
      requireSelf(info, agent, 'read the open work of agent');
      const ask = async <T>(subject: string, request: unknown): Promise<T | { error: string }> => {
        try {
          return await ctx.bus.request<T>(subject, request, { timeoutMs: 10_000, ...(info.signal && { signal: info.signal }) });
        } catch (err) {
          const e = ReefError.from(err);
          return { error: `${e.code}: ${e.message}` };
        }
      };
      const [tasks, approvals] = await Promise.all([
        ask<{ tasks: unknown[]; nextCursor?: string }>('reef.v1.tasks.list', { worker: agent, state: ['leased'], limit: WORK_LIMIT }),
        ask<{ approvals: unknown[]; nextCursor?: string }>('reef.v1.approvals.list', { agent, status: ['pending'], limit: WORK_LIMIT }),
      ]);
      return {
        agent,
        ...('error' in tasks ? { tasksError: tasks.error } : { tasks: tasks.tasks, ...(tasks.nextCursor && { moreTasks: true }) }),
        ...('error' in approvals ? { approvalsError: approvals.error } : { approvals: approvals.approvals, ...(approvals.nextCursor && { moreApprovals: true }) }),
      };
    },
    { queue: 'reef.agents' },
  );

  ctx.tools.register({
    name: 'list_agents',
    title: 'The fleet',
    description:
      'List the agents Reef knows from their heartbeats: each with `liveness` (online, stale, offline), `status` (idle, busy, error), its current `taskId`, `model`, `product`, when last seen, ' +
      'and `control` (running, paused or draining: a paused or draining agent should not take new work). Filter with `liveness`, `product`, or `q` (a substring of id, model, product or task). Read-only.',
    subject: 'reef.v1.agents.list',
    input: ListSchema,
    scopes: both,
    readOnly: true,
  });
  ctx.tools.resource({
    uriTemplate: 'reef://agents/me/work',
    name: 'my-open-work',
    description:
      'Your open work: the tasks you hold now (leased to you: heartbeat, complete or fail each) and your approval requests still waiting for the operator. Read it when you start or resume.',
    subject: 'reef.v1.agents.work',
    scopes: both,
    fill: ['agent'],
  });
}
