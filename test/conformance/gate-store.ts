/**
 * The GateStore conformance suite (plugins/queue/host/store.ts, gate-hold.ts): gates added to
 * existing tasks, opened with the TaskStore's openGate, or failing the tasks they hold. Test-only code.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EnqueueSchema } from '../../plugins/queue/host/schemas.js';
import type { GateStore, TaskStore } from '../../plugins/queue/host/store.js';
import { refused } from '../harness/refusal.js';

export interface GateStoreFixture {
  /** Both stores on the same empty tables. */
  fresh(): Promise<{ tasks: TaskStore; gates: GateStore }>;
  close(): Promise<void>;
}

const enqueueInput = (body: Record<string, unknown> = {}) => EnqueueSchema.parse({ queue: 'q', type: 't', ...body });

export function gateStoreConformance(name: string, makeFixture: () => Promise<GateStoreFixture>): void {
  describe(`GateStore conformance: ${name}`, () => {
    let fixture: GateStoreFixture;
    let tasks: TaskStore;
    let gates: GateStore;
    beforeAll(async () => {
      fixture = await makeFixture();
    });
    afterAll(async () => fixture?.close());
    beforeEach(async () => {
      ({ tasks, gates } = await fixture.fresh());
    });

    const enqueue = async (body: Record<string, unknown> = {}) => (await tasks.enqueue(enqueueInput(body), 'operator:op')).task;

    it('blocks waiting tasks until the gate opens, keeping their other gates', async () => {
      const ready = await enqueue();
      const later = await enqueue({ runAt: Date.now() + 3_600_000 });
      const gated = await enqueue({ gates: ['other'] });
      const { tasks: held, blocked } = await gates.hold('approval:a1', [ready.id, later.id, gated.id]);
      expect(held.map((t) => [t.id, t.state, t.gates])).toEqual(
        expect.arrayContaining([
          [ready.id, 'blocked', ['approval:a1']],
          [later.id, 'blocked', ['approval:a1']],
          [gated.id, 'blocked', ['other', 'approval:a1']],
        ]),
      );
      expect(blocked.map((t) => t.id).sort()).toEqual([ready.id, later.id].sort());
      expect(await tasks.claim({ queues: ['q'], worker: 'w', max: 10, leaseMs: 30_000 })).toEqual([]);
      const opened = await tasks.openGate('approval:a1', 'operator:op');
      expect(opened.map((t) => [t.id, t.state]).sort()).toEqual([[ready.id, 'ready'], [later.id, 'scheduled']].sort());
      expect((await tasks.get(gated.id))?.state).toBe('blocked');
      expect((await tasks.history(ready.id)).map((e) => e.state)).toEqual(['ready', 'blocked', 'ready']);
    });

    it('holds all or none: a leased, finished or unknown task refuses the hold', async () => {
      const ready = await enqueue();
      const leased = await enqueue();
      await tasks.claim({ queues: ['q'], worker: 'w', max: 1, leaseMs: 30_000 });
      const state = async (id: string) => (await tasks.get(id))?.state;
      const claimedId = (await state(ready.id)) === 'leased' ? ready.id : leased.id;
      const waitingId = claimedId === ready.id ? leased.id : ready.id;
      const err = await refused(gates.hold('approval:a2', [waitingId, claimedId]));
      expect(err.code).toBe('conflict');
      expect(err.message).toContain(claimedId);
      expect(await state(waitingId)).toBe('ready');
      expect((await refused(gates.hold('approval:a2', [waitingId, 't_missing']))).code).toBe('not_found');
      expect((await tasks.get(waitingId))?.gates).toBeUndefined();
    });

    it('leaves a task ready when the gate was opened before the hold', async () => {
      await tasks.openGate('approval:open', 'operator:op');
      const t = await enqueue();
      const { tasks: held, blocked } = await gates.hold('approval:open', [t.id]);
      expect(held[0]).toMatchObject({ state: 'ready', gates: ['approval:open'] });
      expect(blocked).toEqual([]);
    });

    it('fails the tasks a gate still holds as dead with the message, and only those', async () => {
      const a = await enqueue();
      const b = await enqueue({ gates: ['approval:a3'] });
      const free = await enqueue();
      await gates.hold('approval:a3', [a.id]);
      const failed = await gates.failGated('approval:a3', 'approval a3 rejected by operator:op: too risky');
      expect(failed.map((t) => t.id).sort()).toEqual([a.id, b.id].sort());
      expect(failed.every((t) => t.state === 'dead' && t.lastError === 'approval a3 rejected by operator:op: too risky')).toBe(true);
      expect((await tasks.get(free.id))?.state).toBe('ready');
      expect(await gates.failGated('approval:a3', 'again')).toEqual([]);
    });
  });
}
