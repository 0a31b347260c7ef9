/**
 * Fleet controls as the queue applies them: a paused or draining agent's claims get nothing,
 * and tasks of a paused product are not handed out. The agents plugin owns the state
 * (`reef.v1.agents.controls`); the queue keeps a copy, refreshed by its events and, in case one
 * is missed, every few seconds. Without the agents plugin nothing is paused.
 */
export interface FleetControls {
  pausedAll: boolean;
  pausedProducts: string[];
  pausedAgents: string[];
  drainingAgents: string[];
}

export const NO_CONTROLS: FleetControls = { pausedAll: false, pausedProducts: [], pausedAgents: [], drainingAgents: [] };

/** The controls from the reply of reef.v1.agents.controls, or from its event ({controls, entry}). */
export function parseControls(body: unknown): FleetControls | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const outer = body as Record<string, unknown>;
  const inner = outer.controls;
  const b = typeof inner === 'object' && inner !== null ? (inner as Record<string, unknown>) : outer;
  const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    pausedAll: b.pausedAll === true,
    pausedProducts: list(b.pausedProducts),
    pausedAgents: list(b.pausedAgents),
    drainingAgents: list(b.drainingAgents),
  };
}

export class FleetGate {
  private state: FleetControls = NO_CONTROLS;
  private fetchedAt = -Infinity;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly fetch: () => Promise<unknown>,
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs = 3000,
  ) {}

  /** An event carried the new state: take it. */
  apply(body: unknown): void {
    const parsed = parseControls(body);
    if (!parsed) return;
    this.state = parsed;
    this.fetchedAt = this.now();
  }

  async current(): Promise<FleetControls> {
    if (this.now() - this.fetchedAt > this.maxAgeMs) {
      this.refreshing ??= this.fetch()
        .then(
          (body) => this.apply(body),
          // No agents plugin (or it is not answering): nothing is paused, and we ask again later.
          () => {
            this.state = NO_CONTROLS;
            this.fetchedAt = this.now();
          },
        )
        .finally(() => (this.refreshing = undefined));
      await this.refreshing;
    }
    return this.state;
  }

  static holds(controls: FleetControls, worker: string): boolean {
    return controls.pausedAll || controls.pausedAgents.includes(worker) || controls.drainingAgents.includes(worker);
  }
}
