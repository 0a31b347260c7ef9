/** The claim+complete loop every queue row of bench/queue measures: `workers` concurrent workers, one task per claim. */
import { percentile } from './stats.js';

/** Claims and completes until the queue is empty; a task counts once its completion is acknowledged. */
export async function drain<Id, Token>(
  workers: number,
  claim: () => Promise<{ id: Id; leaseToken: Token } | undefined>,
  complete: (id: Id, token: Token) => Promise<void>,
): Promise<{ perSec: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (;;) {
        const t0 = performance.now();
        const task = await claim();
        latencies.push(performance.now() - t0);
        if (!task) return;
        await complete(task.id, task.leaseToken);
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSec: done / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

/**
 * The agent loop with `next`: each completion also claims the worker's next task (one round
 * trip per task instead of two); a task counts when its completion is acknowledged.
 */
export async function drainWithNext(
  workers: number,
  claim: (worker: string) => Promise<{ id: string; leaseToken: string } | undefined>,
  completeAndClaim: (id: string, token: string, worker: string) => Promise<{ id: string; leaseToken: string } | undefined>,
): Promise<{ perSec: number }> {
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      let task = await claim(`w${w}`);
      while (task) {
        task = await completeAndClaim(task.id, task.leaseToken, `w${w}`);
        done++;
      }
    }),
  );
  return { perSec: done / ((performance.now() - started) / 1000) };
}
