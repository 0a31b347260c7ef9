/** Backpressure and pausing: per-queue and per-product limits on depth and tasks in flight. */
import { ReefError, type SqlExecutor } from '../../../sdk/index.js';

export interface Limit {
  kind: 'queue' | 'product';
  name: string;
  paused: boolean;
  maxInFlight: number | null;
  maxDepth: number | null;
}

/** States that count towards a queue's depth (waiting to run). */
export const WAITING = "('ready', 'scheduled', 'failed', 'blocked')";

export async function readLimits(tx: SqlExecutor): Promise<Limit[]> {
  const rows = await tx.query('SELECT kind, name, paused, max_in_flight, max_depth FROM queue_limits');
  return rows.map((r) => ({
    kind: r.kind as Limit['kind'],
    name: String(r.name),
    paused: Number(r.paused) === 1,
    maxInFlight: r.max_in_flight === null ? null : Number(r.max_in_flight),
    maxDepth: r.max_depth === null ? null : Number(r.max_depth),
  }));
}

/**
 * The limits, read at most once a second. Every claim needs them, so a stale copy is served
 * while one read through the database (never a caller's transaction) refreshes it behind:
 * callers neither queue up on it nor send one read each. Only a cold cache, or the first read
 * after a change made here, waits — inside a transaction, on that transaction (SQLite has one
 * connection: a read outside it would wait for the transaction that waits for it).
 */
export class LimitCache {
  private value: Limit[] | undefined;
  private readAt = 0;
  private generation = 0;
  private refreshing: { generation: number; promise: Promise<Limit[]> } | undefined;

  constructor(
    private readonly db: SqlExecutor,
    private readonly ttlMs = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  get(tx?: SqlExecutor): Promise<Limit[]> {
    if (this.value && this.now() - this.readAt <= this.ttlMs) return Promise.resolve(this.value);
    if (this.value) {
      this.refresh().catch(() => {}); // served stale; a later caller tries again
      return Promise.resolve(this.value);
    }
    return tx ? this.store(this.generation, readLimits(tx)) : this.refresh();
  }

  /** A change made here: the next get() reads afresh (a read already under way is not used). */
  invalidate(): void {
    this.value = undefined;
    this.generation++;
  }

  /** Reads the limits afresh through the database and keeps them as the new copy. */
  reload(): Promise<Limit[]> {
    this.invalidate();
    return this.refresh();
  }

  private refresh(): Promise<Limit[]> {
    if (this.refreshing?.generation === this.generation) return this.refreshing.promise;
    const entry = { generation: this.generation, promise: this.store(this.generation, readLimits(this.db)) };
    this.refreshing = entry;
    entry.promise
      .finally(() => {
        if (this.refreshing === entry) this.refreshing = undefined;
      })
      .catch(() => {});
    return entry.promise;
  }

  private async store(generation: number, read: Promise<Limit[]>): Promise<Limit[]> {
    const limits = await read;
    if (generation === this.generation) {
      this.value = limits;
      this.readAt = this.now();
    }
    return limits;
  }
}

/** Writes one limit; `clock` is the dialect's clock expression. */
export async function upsertLimit(tx: SqlExecutor, clock: string, limit: Limit): Promise<void> {
  const updated = await tx.execute(
    `UPDATE queue_limits SET paused = ?, max_in_flight = ?, max_depth = ?, updated_at = ${clock} WHERE kind = ? AND name = ?`,
    [limit.paused ? 1 : 0, limit.maxInFlight, limit.maxDepth, limit.kind, limit.name],
  );
  if (updated.changes === 0) {
    await tx.execute(`INSERT INTO queue_limits (kind, name, paused, max_in_flight, max_depth, updated_at) VALUES (?, ?, ?, ?, ?, ${clock})`, [
      limit.kind,
      limit.name,
      limit.paused ? 1 : 0,
      limit.maxInFlight,
      limit.maxDepth,
    ]);
  }
}

/** Refuses an enqueue over a depth limit with 429 busy and a hint of when to come back. */
export async function checkDepth(tx: SqlExecutor, limits: readonly Limit[], queue: string, product: string | undefined): Promise<void> {
  for (const l of limits) {
    if (l.maxDepth === null) continue;
    const column = l.kind === 'queue' ? 'queue' : 'product';
    const value = l.kind === 'queue' ? queue : product;
    if (value === undefined || value !== l.name) continue;
    const rows = await tx.query(`SELECT COUNT(*) AS n FROM queue_tasks WHERE ${column} = ? AND state IN ${WAITING}`, [value]);
    const depth = Number(rows[0]?.n ?? 0);
    if (depth >= l.maxDepth) {
      throw new ReefError('busy', `${l.kind} ${l.name} is full (${depth} waiting, limit ${l.maxDepth}); retry later`, {
        retryAfterMs: 1000,
        kind: l.kind,
        name: l.name,
        depth,
        maxDepth: l.maxDepth,
      });
    }
  }
}

/**
 * How many tasks a claim may take per queue, and which products are saturated. Returns
 * undefined when no in-flight limit applies (the fast path).
 */
export async function inFlightAllowance(
  tx: SqlExecutor,
  limits: readonly Limit[],
  queues: readonly string[],
  max: number,
): Promise<{ perQueue: Map<string, number>; maxOverall: number; saturatedProducts: string[] } | undefined> {
  const queueLimits = limits.filter((l) => l.kind === 'queue' && l.maxInFlight !== null && queues.includes(l.name));
  const productLimits = limits.filter((l) => l.kind === 'product' && l.maxInFlight !== null);
  if (queueLimits.length === 0 && productLimits.length === 0) return undefined;
  const perQueue = new Map<string, number>();
  for (const l of queueLimits) {
    const rows = await tx.query("SELECT COUNT(*) AS n FROM queue_tasks WHERE queue = ? AND state = 'leased'", [l.name]);
    perQueue.set(l.name, Math.max(0, (l.maxInFlight as number) - Number(rows[0]?.n ?? 0)));
  }
  let maxOverall = max;
  const saturatedProducts: string[] = [];
  for (const l of productLimits) {
    const rows = await tx.query("SELECT COUNT(*) AS n FROM queue_tasks WHERE product = ? AND state = 'leased'", [l.name]);
    const room = (l.maxInFlight as number) - Number(rows[0]?.n ?? 0);
    if (room <= 0) saturatedProducts.push(l.name);
    // A batch could take several tasks of one product: never take more than the tightest room.
    else maxOverall = Math.min(maxOverall, room);
  }
  return { perQueue, maxOverall, saturatedProducts };
}
