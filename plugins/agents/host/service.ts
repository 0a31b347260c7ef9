/** The agents' operations on the bus: heartbeats, the list, fleet controls and their audit, and the events they cause. */
import { ReefError, parseBody, requireOperator, requireSelf, type LeaderLease, type RequestInfo } from '../../../sdk/index.js';
import type { z } from 'zod';
import { FleetControlStore } from './controls.js';
import { AgentRegistry, matches, toView } from './registry.js';
import {
  AuditListSchema,
  ControlSchema,
  EmptySchema,
  ForgetSchema,
  HeartbeatSchema,
  ListSchema,
  type ControlAction,
  type ControlMessage,
  type FleetControls,
  type Liveness,
} from './schemas.js';

/** `reef.v1.events.agent.seen` at most this often per agent; later heartbeats in the window go out with the next tick. */
export const SEEN_EVERY_MS = 1000;
/** The status bar item is re-sent this often even when its text is unchanged (a window opened later sees it). */
export const STATUS_EVERY_MS = 5000;

export interface AgentsServiceDeps {
  registry: AgentRegistry;
  controls: FleetControlStore;
  publish: (subject: string, body: unknown) => Promise<void>;
  now: () => number;
  warn: (msg: string, fields?: Record<string, unknown>) => void;
  /**
   * With several hosts on one database, only the holder of this lease announces liveness
   * changes and the fleet status (each would otherwise send its own copy). None: always.
   */
  leader?: Pick<LeaderLease, 'tryAcquire' | 'isLeader'>;
}

export class AgentsService {
  /** Controls as last read here: heartbeat replies use this (at most one tick old) instead of a read each. */
  private cached: { controls: FleetControls; revision: number } = { controls: { pausedAll: false, pausedProducts: [], pausedAgents: [], drainingAgents: [] }, revision: 0 };
  private readonly lastSeenEvent = new Map<string, number>();
  /** Heartbeats held back by the once-a-second rule: the newest view per agent, sent by the next tick. */
  private readonly pendingSeen = new Map<string, unknown>();
  /** Liveness as of the last tick; undefined until the first tick (which announces nothing). */
  private known: Map<string, Liveness> | undefined;
  private lastStatus = { text: '', at: 0 };

  constructor(private readonly deps: AgentsServiceDeps) {}

  get controlsNow(): FleetControls {
    return this.cached.controls;
  }

  async refreshControls(): Promise<void> {
    this.cached = await this.deps.controls.read();
  }

  heartbeat = async (body: unknown, info: RequestInfo) => {
    const input = parseBody(HeartbeatSchema, body);
    // Agents may only speak for themselves; the operator (and plugins) may report for anyone.
    requireSelf(info, input.agentId, 'send heartbeats as agent');
    return { agent: await this.record(input) };
  };

  /**
   * A heartbeat published on `reef.v1.agents.<agentId>.heartbeat`: no reply, so a bad one is logged.
   * A publish carries no caller to check here; on NATS the host delivers one only when its
   * Reef-Token is that agent's (or the operator's), so made-up agents never reach the registry.
   */
  onPublishedHeartbeat = (body: unknown, subject: string): void => {
    const agentId = subject.split('.')[3];
    const given = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    if (given.agentId !== undefined && given.agentId !== agentId) {
      this.deps.warn('heartbeat dropped: agentId in the body differs from the subject', { subject, agentId: String(given.agentId) });
      return;
    }
    let input;
    try {
      input = parseBody(HeartbeatSchema, { ...given, agentId });
    } catch (err) {
      this.deps.warn('heartbeat dropped: invalid body', { subject, err: err instanceof Error ? err.message : String(err) });
      return;
    }
    this.record(input).catch((err: unknown) => this.deps.warn('heartbeat not recorded', { subject, err: String(err) }));
  };

  private async record(input: z.output<typeof HeartbeatSchema>) {
    const rec = await this.deps.registry.heartbeat(input);
    const now = this.deps.now();
    const view = toView(rec, now, this.cached.controls);
    if (this.known && this.known.get(rec.id) !== 'online') {
      const previous = this.known.get(rec.id) ?? null;
      this.known.set(rec.id, 'online');
      if (previous !== null) void this.emit('reef.v1.events.agent.liveness', { id: rec.id, liveness: 'online', previous, lastSeenAt: view.lastSeenAt, at: new Date(now).toISOString() });
    }
    const last = this.lastSeenEvent.get(rec.id);
    if (last === undefined || now - last >= SEEN_EVERY_MS) {
      this.lastSeenEvent.set(rec.id, now);
      this.pendingSeen.delete(rec.id);
      void this.emit('reef.v1.events.agent.seen', { agent: view });
    } else {
      this.pendingSeen.set(rec.id, view);
    }
    return view;
  }

  list = async (body: unknown) => {
    const filter = parseBody(ListSchema, body);
    const [records, controls] = await Promise.all([this.deps.registry.all(filter.product), this.deps.controls.read()]);
    this.cached = controls;
    const now = this.deps.now();
    return { agents: records.map((r) => toView(r, now, controls.controls)).filter((v) => matches(v, filter)) };
  };

  controls = async (body: unknown) => {
    parseBody(EmptySchema, body);
    const { controls, revision } = await this.deps.controls.read();
    return { ...controls, revision };
  };

  audit = async (body: unknown) => {
    const { limit } = parseBody(AuditListSchema, body);
    return { entries: await this.deps.controls.auditLog(limit) };
  };

  forget = async (body: unknown, info: RequestInfo) => {
    requireOperator(info, 'forgetting an agent');
    const { agentId } = parseBody(ForgetSchema, body);
    if (!(await this.deps.registry.forget(agentId))) throw new ReefError('not_found', `no agent "${agentId}" in the registry`);
    this.known?.delete(agentId);
    this.lastSeenEvent.delete(agentId);
    this.pendingSeen.delete(agentId);
    await this.emit('reef.v1.events.agent.forgotten', { id: agentId });
    return { forgotten: agentId };
  };

  private control(action: ControlAction) {
    return async (body: unknown, info: RequestInfo) => {
      requireOperator(info, `${action} of agents`);
      const input = parseBody(ControlSchema, body);
      const affected =
        input.scope === 'agent' ? [input.name as string] : (await this.deps.registry.all(input.scope === 'product' ? input.name : undefined)).map((r) => r.id);
      const by = `${info.caller.kind}:${info.caller.id}`;
      const result = await this.deps.controls.change(action, input, { agents: affected }, by);
      if (result.changed) {
        this.cached = { controls: result.after, revision: result.revision };
        await this.emit('reef.v1.events.agents.controls', { controls: { ...result.after, revision: result.revision }, entry: result.entry });
        const message: ControlMessage = { action, scope: input.scope, by, at: result.entry.at };
        if (input.name !== undefined) message.name = input.name;
        if (input.scope === 'all') await this.emit('reef.v1.agents.all.control', message);
        else for (const id of affected) await this.emit(`reef.v1.agents.${id}.control`, message);
      } else {
        await this.emit('reef.v1.events.agents.controls', { controls: { ...result.after, revision: result.revision }, entry: result.entry });
      }
      return { controls: { ...result.after, revision: result.revision }, changed: result.changed, affected: affected.length, entry: result.entry };
    };
  }

  pause = this.control('pause');
  drain = this.control('drain');
  resume = this.control('resume');

  /**
   * Once a second: announce liveness changes (a missed heartbeat makes no request, so only a
   * clock can notice it), send held-back `seen` events, pick up controls changed elsewhere and
   * refresh the status bar. Every host sends the seen events of the heartbeats it took; only
   * the leader (see deps.leader) announces liveness and the status.
   */
  async tick(): Promise<void> {
    const now = this.deps.now();
    for (const [id, view] of this.pendingSeen) {
      this.lastSeenEvent.set(id, now);
      await this.emit('reef.v1.events.agent.seen', { agent: view });
    }
    this.pendingSeen.clear();
    await this.refreshControls();
    if (!(await this.leads())) {
      // Start afresh when leadership comes back: what this host knew may be out of date.
      this.known = undefined;
      this.lastStatus = { text: '', at: 0 };
      return;
    }

    const current = await this.deps.registry.livenessOfAll(now);
    const counts: Record<Liveness, number> = { online: 0, stale: 0, offline: 0 };
    const previousMap = this.known;
    this.known = new Map();
    for (const [id, { liveness, lastSeenAt, product }] of current) {
      counts[liveness]++;
      this.known.set(id, liveness);
      const previous = previousMap?.get(id);
      if (previousMap && previous !== undefined && previous !== liveness) {
        await this.emit('reef.v1.events.agent.liveness', {
          id,
          liveness,
          previous,
          lastSeenAt: new Date(lastSeenAt).toISOString(),
          ...(product !== undefined && { product }),
          at: new Date(now).toISOString(),
        });
      }
    }
    for (const id of this.lastSeenEvent.keys()) if (!current.has(id)) this.lastSeenEvent.delete(id);
    await this.publishStatus(counts, now);
  }

  private async leads(): Promise<boolean> {
    const leader = this.deps.leader;
    if (!leader) return true;
    try {
      await leader.tryAcquire();
    } catch (err) {
      this.deps.warn('liveness leader lease not renewed', { err: err instanceof Error ? err.message : String(err) });
    }
    return leader.isLeader();
  }

  private async publishStatus(counts: Record<Liveness, number>, now: number): Promise<void> {
    const status = fleetStatus(counts, this.cached.controls.pausedAll);
    if (status.text === this.lastStatus.text && now - this.lastStatus.at < STATUS_EVERY_MS) return;
    this.lastStatus = { text: status.text, at: now };
    await this.emit('reef.v1.events.agents.status', status);
  }

  private async emit(subject: string, body: unknown): Promise<void> {
    try {
      await this.deps.publish(subject, body);
    } catch (err) {
      this.deps.warn('publish failed', { subject, err: err instanceof Error ? err.message : String(err) });
    }
  }
}

/** The status bar's line: "12 online · 2 stale", warm when something is stale or the fleet is paused. */
export function fleetStatus(counts: Record<Liveness, number>, pausedAll: boolean): { text: string; tone?: 'ok' | 'warn' | 'error' } {
  const total = counts.online + counts.stale + counts.offline;
  if (total === 0) return { text: pausedAll ? 'no agents · paused' : 'no agents' };
  const parts = [`${counts.online} online`];
  if (counts.stale) parts.push(`${counts.stale} stale`);
  if (counts.offline) parts.push(`${counts.offline} offline`);
  if (pausedAll) parts.push('paused');
  const tone = pausedAll || counts.stale > 0 ? 'warn' : counts.online === 0 ? 'error' : 'ok';
  return { text: parts.join(' · '), tone };
}
