/**
 * The approvals' tools for agents over MCP (`ctx.tools`): ask the operator and wait for the
 * answer in one call, read (and keep waiting on) a request, and `reef://approvals/{id}`, which a
 * subscribed agent hears of when it is decided. The subjects are the HTTP API's (request-and-wait
 * is the tool's own), so an agent sees only its own approvals here as there.
 */
import type { PluginContext } from '../../../sdk/index.js';
import { GetSchema, MAX_REQUEST_WAIT_MS, RequestAndWaitSchema } from './schemas.js';

/** The reply comes after the longest wait, with room for the request itself. */
const REQUEST_TIMEOUT_MS = MAX_REQUEST_WAIT_MS + 60_000;

export function registerApprovalTools(ctx: PluginContext): void {
  const both = ['operator', 'agent'] as const;
  const keepWaiting = 'call get_approval with its id and waitMs (up to 60000) to keep waiting, or subscribe to reef://approvals/{id}';
  ctx.tools.register({
    name: 'request_approval',
    title: 'Ask the operator',
    description:
      'Ask the human operator to approve something before you do it (a deploy, a spend, a message sent, access), and wait for the answer. ' +
      'Give `kind` (deploy, spend, comms, access, other), a short `title`, a `summary` and `details` (JSON: exactly what you will do, which the operator may edit), ' +
      'and optionally `risk` (low, medium, high), `amountUsd`, `product`, `responses` (the answers allowed: approve, reject, edit, respond), an `editSchema` for edits, ' +
      '`idempotencyKey` (asking again with the same key and arguments gives the same request back, not a second one, and waits on it again: give one when your client may give up on a long call). ' +
      `The call waits up to \`waitMs\` (default 300000 = 5 min, at most ${MAX_REQUEST_WAIT_MS}) and reports progress while it waits. ` +
      'It returns `{approval, decided}`: when decided, `approval.status` is approved, rejected, responded or expired, and `approval.decision`, `comment`, `edits` (the changed details: do what they say, not your original) and `response` carry the answer. ' +
      `When \`decided\` is false the operator has not answered yet and the request stays open: do not go ahead; ${keepWaiting}. ` +
      'Never act on a request that is not approved.',
    subject: 'reef.v1.approvals.requestAndWait',
    // streamTo is the host's to set, not the model's.
    input: RequestAndWaitSchema.omit({ streamTo: true }),
    fill: ['agent'],
    scopes: both,
    progress: true,
    timeoutMs: REQUEST_TIMEOUT_MS,
    hints: {
      idempotency_mismatch: 'this idempotencyKey was used for a different request; use a new key, or get_approval with details.approvalId to read the earlier one',
    },
  });
  ctx.tools.register({
    name: 'get_approval',
    title: 'Read an approval',
    description:
      'Read one of your approval requests by `id`: its `status` (pending, approved, rejected, responded, expired) and, once decided, `decision`, `comment`, `edits` and `response`. ' +
      'With `waitMs` (up to 60000) the call waits for the decision while it is pending, returning as soon as the operator answers: call it again to keep waiting.',
    subject: 'reef.v1.approvals.get',
    input: GetSchema,
    scopes: both,
    readOnly: true,
    timeoutMs: 75_000,
  });
  ctx.tools.resource({
    uriTemplate: 'reef://approvals/{id}',
    name: 'approval',
    description: 'One of your approval requests by id: status, and the decision with comment, edits or response once decided. Subscribe to hear when it is decided, expires or is escalated.',
    subject: 'reef.v1.approvals.get',
    scopes: both,
    // Every approval event (requested, decided, expired, escalated, reverted) carries {approval}.
    changes: {
      subject: 'reef.v1.events.approval.*',
      uri: (event) => {
        const id = (event as { approval?: { id?: unknown } } | null)?.approval?.id;
        return typeof id === 'string' ? `reef://approvals/${encodeURIComponent(id)}` : undefined;
      },
    },
  });
}
