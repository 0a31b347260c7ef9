/**
 * The approvals' operations on the bus: request, get (a long poll), decide, decide many, list,
 * revert. Parses, checks who may (an agent acts only as itself and sees only its own; deciding
 * is the operator's), calls the store, then the effects (events, long polls, queue gates).
 */
import { ReefError, canonicalJson, parseBody, requireOperator, requireSelf, type RequestInfo } from '../../../sdk/index.js';
import { sha256 } from './audit.js';
import { editProblems } from './edit-schema.js';
import { gateName, type Effects, type QueueGates } from './effects.js';
import { firstMatch } from './policy.js';
import { newId } from './rows.js';
import {
  DecideManySchema,
  DecideSchema,
  GetSchema,
  ListSchema,
  MAX_BATCH,
  RequestAndWaitSchema,
  RequestSchema,
  RevertSchema,
  type Approval,
  type ApprovalKind,
  type Decision,
  type RequestInput,
} from './schemas.js';
import { countMismatch, type ApprovalStore, type AutoDecision, type OperatorDecision } from './store.js';
import type { ApprovalWaiters } from './waiters.js';

export interface ApprovalsServiceDeps {
  store: ApprovalStore;
  effects: Effects;
  gates: QueueGates;
  waiters: ApprovalWaiters;
  /** Default lifetime of a request per kind, ms. */
  expiryMs: Record<ApprovalKind, number>;
  now: () => number;
  /** How often a long poll reads again without a wake (a lost notification). */
  pollMs?: number;
  publish: (subject: string, body: unknown) => Promise<void>;
}

/** How often request-and-wait reports progress while it waits. */
const PROGRESS_EVERY_MS = 5000;

/** Who did it, as the audit log and decidedBy name them: `operator:operator`, `agent:forge`. */
export const actorOf = (info: RequestInfo) => `${info.caller.kind}:${info.caller.id}`;

/** Why `decision` cannot be given on `a` (the answers it allows, its edit schema, the grant's scope), or undefined. */
export function decisionProblem(a: Approval, d: { decision: Decision; edits?: unknown; grant?: { scope: string } | undefined }): string | undefined {
  if (!a.responses.includes(d.decision)) return `decision "${d.decision}" is not among the answers this request allows (${a.responses.join(', ')})`;
  if (d.decision === 'edit' && a.editSchema) {
    const problems = editProblems(a.editSchema, d.edits);
    if (problems.length) return `edits do not satisfy the request's editSchema: ${problems.join('; ')}`;
  }
  if (d.grant?.scope === 'agent-kind-product' && a.product === undefined) return 'grant: scope "agent-kind-product" needs a request with a product; use "agent-kind"';
  return undefined;
}

export class ApprovalsService {
  constructor(private readonly deps: ApprovalsServiceDeps) {}

  /** A policy (in order), else an active grant, decides at once; else the operator. */
  private async autoDecision(input: RequestInput, now: number): Promise<AutoDecision | undefined> {
    const rule = firstMatch(await this.deps.store.listPolicies(), input);
    if (rule) return { decision: rule.action, by: `policy:${rule.id}` };
    const grant = await this.deps.store.findGrant(input.agent, input.kind, input.product, input.risk, now);
    return grant ? { decision: 'approve', by: `grant:${grant.id}` } : undefined;
  }

  request = async (body: unknown, info: RequestInfo) => this.create(parseBody(RequestSchema, body), info);

  /**
   * Requests, then waits up to `waitMs` for the decision (the MCP tool request_approval), in
   * steps of the long poll `get`, reporting `{progress: seconds waited, total, message}` on
   * `streamTo` every few seconds. `decided: false` when the wait ended first.
   */
  requestAndWait = async (body: unknown, info: RequestInfo) => {
    const { waitMs, streamTo, ...input } = parseBody(RequestAndWaitSchema, body);
    let { approval } = await this.create(input, info);
    const started = this.deps.now();
    const deadline = started + waitMs;
    let seq = 0;
    const total = Math.round(waitMs / 1000);
    const report = async () => {
      if (!streamTo) return;
      const data = { progress: Math.round((this.deps.now() - started) / 1000), total, message: `waiting for the operator to decide "${approval.title}"` };
      await this.deps.publish(streamTo, { seq: seq++, data }).catch(() => undefined);
    };
    for (;;) {
      if (approval.status !== 'pending') return { approval, decided: true };
      const left = deadline - this.deps.now();
      if (left <= 0 || info.signal?.aborted) return { approval, decided: false };
      await report();
      ({ approval } = await this.get({ id: approval.id, waitMs: Math.min(left, PROGRESS_EVERY_MS) }, info));
    }
  };

  private create = async (input: RequestInput, info: RequestInfo) => {
    requireSelf(info, input.agent, 'request approvals as agent');
    const now = this.deps.now();
    const bodyHash = sha256(canonicalJson(input));
    if (input.idempotencyKey !== undefined) {
      // The store checks again inside its transaction; this spares the queue a hold for a repeat.
      const existing = await this.deps.store.findByKey(input.agent, input.idempotencyKey);
      if (existing && existing.bodyHash === bodyHash) return { approval: existing.approval };
      if (existing) {
        throw new ReefError('idempotency_mismatch', `idempotency key "${input.idempotencyKey}" of agent ${input.agent} was already used with a different body`, {
          approvalId: existing.approval.id,
        });
      }
    }
    const id = newId('ap', now);
    const gate = gateName(id);
    if (input.blocks.length) await this.holdBlocks(gate, input.blocks);
    let result: { approval: Approval; created: boolean };
    try {
      const auto = await this.autoDecision(input, now);
      const expiresAt = input.expiresAt ?? now + this.deps.expiryMs[input.kind];
      result = await this.deps.store.create({ id, input, expiresAt, bodyHash, requestedBy: actorOf(info) }, auto, now);
    } catch (err) {
      if (input.blocks.length) await this.deps.gates.open(gate).catch(() => {});
      throw err;
    }
    // Another request with this key won meanwhile: the gate held for ours is not needed.
    if (!result.created && input.blocks.length) await this.deps.gates.open(gate).catch(() => {});
    if (result.created) await this.deps.effects.requested(result.approval);
    return { approval: result.approval };
  };

  /** Holds the tasks at the approval's gate; a task that cannot be held refuses the whole request. */
  private async holdBlocks(gate: string, taskIds: readonly string[]): Promise<void> {
    try {
      await this.deps.gates.hold(gate, taskIds);
    } catch (err) {
      const e = ReefError.from(err);
      if (e.code === 'not_found' || e.code === 'conflict' || e.code === 'invalid_request') throw new ReefError('invalid_request', `blocks: ${e.message}`, e.details);
      throw e;
    }
  }

  get = async (body: unknown, info: RequestInfo) => {
    const { id, waitMs } = parseBody(GetSchema, body);
    const deadline = this.deps.now() + waitMs;
    for (;;) {
      const left = deadline - this.deps.now();
      // Armed before the read: a decision between the read and the wait still wakes it.
      const wait = this.deps.waiters.arm(id, Math.max(0, Math.min(left, this.deps.pollMs ?? 1000)), info.signal);
      const approval = await this.deps.store.get(id);
      if (!approval) {
        wait.dispose();
        throw new ReefError('not_found', `no approval ${id}`);
      }
      requireSelf(info, approval.agent, 'read the approvals of agent');
      if (approval.status !== 'pending' || left <= 0 || info.signal?.aborted) {
        wait.dispose();
        return { approval };
      }
      await wait.woken;
    }
  };

  list = async (body: unknown, info: RequestInfo) => {
    const input = parseBody(ListSchema, body);
    if (info.caller.kind === 'agent') {
      if (input.agent !== undefined) requireSelf(info, input.agent, 'list the approvals of agent');
      input.agent = info.caller.id;
    }
    return this.deps.store.list(input);
  };

  decide = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'deciding approvals');
    const input = parseBody(DecideSchema, body);
    const current = await this.deps.store.get(input.id);
    if (!current) throw new ReefError('not_found', `no approval ${input.id}`);
    if (current.status === 'pending') {
      const problem = decisionProblem(current, input);
      if (problem) throw new ReefError('invalid_request', problem, { id: input.id });
    }
    const decision: OperatorDecision = { decision: input.decision };
    if (input.comment !== undefined) decision.comment = input.comment;
    if (input.edits !== undefined) decision.edits = input.edits;
    if (input.response !== undefined) decision.response = input.response;
    if (input.grant) decision.grant = { id: newId('gr', this.deps.now()), forMs: input.grant.forMs, scope: input.grant.scope };
    // A decided approval is refused here with the decision that stands (409).
    const { approval, grant } = await this.deps.store.decide(input.id, decision, actorOf(info), this.deps.now());
    await this.deps.effects.decided([approval]);
    if (grant) await this.deps.publish('reef.v1.events.approvals.grants', { grant });
    return grant ? { approval, grant } : { approval };
  };

  decideMany = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'deciding approvals');
    const input = parseBody(DecideManySchema, body);
    let ids = input.ids;
    const filter = input.filter ?? {};
    if (!ids) {
      ids = await this.deps.store.pendingIds(filter, MAX_BATCH + 1);
      if (ids.length > MAX_BATCH) throw new ReefError('invalid_request', `filter: matches more than ${MAX_BATCH} pending approvals; narrow it`);
      // The operator confirmed another number: refused before anything is read further (the store checks again, atomically).
      if (input.expectCount !== undefined && ids.length !== input.expectCount) throw countMismatch(ids.length, input.expectCount);
      if (ids.length === 0) return { decided: 0, approvals: [] };
    }
    // Every item is checked before anything changes; the first bad one fails the batch and is named.
    const found = new Map((await this.deps.store.getMany(ids)).map((a) => [a.id, a]));
    for (const [index, id] of ids.entries()) {
      const a = found.get(id);
      if (!a) throw new ReefError('not_found', `ids[${index}] (${id}): no such approval; nothing in the batch was decided`, { id, index });
      if (a.status !== 'pending') {
        throw new ReefError('conflict', `ids[${index}] (${id}): it is ${a.status} already${a.decidedBy ? ` by ${a.decidedBy}` : ''}; nothing in the batch was decided`, {
          id,
          index,
          approval: a,
        });
      }
      const problem = decisionProblem(a, input);
      if (problem) throw new ReefError('invalid_request', `ids[${index}] (${id}): ${problem}; nothing in the batch was decided`, { id, index });
    }
    const decision: OperatorDecision = { decision: input.decision };
    if (input.comment !== undefined) decision.comment = input.comment;
    if (input.edits !== undefined) decision.edits = input.edits;
    if (input.response !== undefined) decision.response = input.response;
    const expect = input.expectCount === undefined ? undefined : { filter, count: input.expectCount };
    const decided = await this.deps.store.decideMany(ids, decision, actorOf(info), this.deps.now(), expect);
    await this.deps.effects.decided(decided);
    return { decided: decided.length, approvals: decided };
  };

  revert = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'reverting approvals');
    const { id, comment } = parseBody(RevertSchema, body);
    const approval = await this.deps.store.revert(id, actorOf(info), comment, this.deps.now());
    await this.deps.publish('reef.v1.events.approval.reverted', { approval });
    return { approval };
  };
}
