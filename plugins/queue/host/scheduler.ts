/**
 * Cron schedules that enqueue tasks. Each slot enqueues at most once, whatever number of hosts
 * tick: the slot is claimed by a row whose primary key is (schedule, slot), in the same
 * transaction as the enqueue. After downtime, `skip` drops the missed slots and `once` runs
 * one task for all of them.
 */
import { Cron } from 'croner';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ReefError, storableText, type PluginDatabase, type Row } from '../../../sdk/index.js';
import { EnqueueSchema, type Task } from './schemas.js';
import type { TaskStore } from './store.js';

export const ScheduleInputSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'must be 1-64 of letters, digits, ".", "_", ":", "-"'),
    cron: storableText(1, 120),
    timezone: storableText(0, 64).optional(),
    catchUp: z.enum(['skip', 'once']).default('skip'),
    enabled: z.boolean().default(true),
    task: EnqueueSchema.omit({ runAt: true, idempotencyKey: true }),
  })
  .strict()
  .superRefine((s, ctx) => {
    try {
      // A timezone is only read when a run is computed: compute one, or a bad one fails every later list.
      cronFor(s).nextRun();
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['cron'], message: `not a valid cron expression or timezone: ${err instanceof Error ? err.message : String(err)}` });
    }
  });
export type ScheduleInput = z.output<typeof ScheduleInputSchema>;

export interface Schedule extends ScheduleInput {
  id: string;
  createdAt: string;
  lastSlot?: string;
  nextRun?: string;
}

function fromRow(row: Row): Schedule {
  const s: Schedule = {
    id: String(row.id),
    name: String(row.name),
    cron: String(row.cron),
    catchUp: row.catch_up as 'skip' | 'once',
    enabled: Number(row.enabled) === 1,
    task: JSON.parse(String(row.task)) as ScheduleInput['task'],
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
  if (row.timezone !== null && row.timezone !== undefined) s.timezone = String(row.timezone);
  if (row.last_slot !== null && row.last_slot !== undefined) s.lastSlot = new Date(Number(row.last_slot)).toISOString();
  return s;
}

function cronFor(s: Pick<Schedule, 'cron' | 'timezone'>): Cron {
  return new Cron(s.cron, { paused: true, ...(s.timezone ? { timezone: s.timezone } : {}) });
}

/** The slots of `s` in (after, until], oldest first, at most `cap`. */
export function slotsBetween(s: Pick<Schedule, 'cron' | 'timezone'>, after: number, until: number, cap = 1000): number[] {
  const cron = cronFor(s);
  const out: number[] = [];
  let cursor = new Date(after);
  while (out.length < cap) {
    const next = cron.nextRun(cursor);
    if (!next || next.getTime() > until) break;
    out.push(next.getTime());
    cursor = next;
  }
  return out;
}

export class Scheduler {
  constructor(
    private readonly db: PluginDatabase,
    private readonly store: TaskStore,
    private readonly now: () => number = Date.now,
    /** With `skip`, a slot this recent still runs (it is late, not missed). */
    private readonly graceMs = 60_000,
  ) {}

  async create(input: ScheduleInput): Promise<Schedule> {
    const id = `s_${randomBytes(8).toString('hex')}`;
    try {
      await this.db.execute(
        'INSERT INTO queue_schedules (id, name, cron, timezone, catch_up, enabled, task, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
        [id, input.name, input.cron, input.timezone ?? null, input.catchUp, input.enabled ? 1 : 0, JSON.stringify(input.task), this.now()],
      );
    } catch (err) {
      if (/unique|duplicate/i.test(String(err))) throw new ReefError('conflict', `a schedule named "${input.name}" exists already`);
      throw err;
    }
    return this.get(input.name);
  }

  async get(name: string): Promise<Schedule> {
    const rows = await this.db.query('SELECT * FROM queue_schedules WHERE name = ?', [name]);
    if (!rows[0]) throw new ReefError('not_found', `no schedule "${name}"`);
    return this.withNextRun(fromRow(rows[0]));
  }

  async list(): Promise<Schedule[]> {
    const rows = await this.db.query('SELECT * FROM queue_schedules ORDER BY name');
    return rows.map((r) => this.withNextRun(fromRow(r)));
  }

  async remove(name: string): Promise<void> {
    const { changes } = await this.db.execute('DELETE FROM queue_schedules WHERE name = ?', [name]);
    if (changes === 0) throw new ReefError('not_found', `no schedule "${name}"`);
  }

  async setEnabled(name: string, enabled: boolean): Promise<Schedule> {
    const { changes } = await this.db.execute('UPDATE queue_schedules SET enabled = ? WHERE name = ?', [enabled ? 1 : 0, name]);
    if (changes === 0) throw new ReefError('not_found', `no schedule "${name}"`);
    return this.get(name);
  }

  private withNextRun(s: Schedule): Schedule {
    const next = cronFor(s).nextRun(new Date(this.now()));
    return next ? { ...s, nextRun: next.toISOString() } : s;
  }

  /** Enqueues what is due; returns the tasks it made. Safe to run on every host at once. */
  async tick(): Promise<Task[]> {
    const now = this.now();
    const made: Task[] = [];
    const rows = await this.db.query('SELECT * FROM queue_schedules WHERE enabled = 1');
    for (const row of rows) {
      const s = fromRow(row);
      const after = row.last_slot === null ? Number(row.created_at) : Number(row.last_slot);
      const slots = slotsBetween(s, after, now);
      const latest = slots[slots.length - 1];
      if (latest === undefined) continue;
      const due = s.catchUp === 'once' ? [latest] : slots.filter((slot) => slot >= now - this.graceMs).slice(-1);
      for (const slot of due) {
        const task = await this.store.enqueueForSlot(s.id, slot, s.task, `schedule:${s.name}`);
        if (task) made.push(task);
      }
      await this.db.execute('UPDATE queue_schedules SET last_slot = ? WHERE id = ? AND (last_slot IS NULL OR last_slot < ?)', [latest, s.id, latest]);
    }
    return made;
  }
}
