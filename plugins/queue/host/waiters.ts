/** Wakes long-polling claimers when work may have arrived on one of their queues. */
export class ClaimWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /** Resolves on a wake for any of `queues`, after `ms`, or when `signal` aborts (the claimer is gone). */
  wait(queues: readonly string[], ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        for (const q of queues) this.waiting.get(q)?.delete(done);
        resolve();
      };
      if (signal?.aborted) return resolve();
      signal?.addEventListener('abort', done, { once: true });
      const timer = setTimeout(done, ms);
      for (const q of queues) {
        let set = this.waiting.get(q);
        if (!set) this.waiting.set(q, (set = new Set()));
        set.add(done);
      }
    });
  }

  wake(queue: string): void {
    const set = this.waiting.get(queue);
    if (!set) return;
    // Wake them all: each retries its claim and the losers go back to waiting.
    for (const done of [...set]) done();
  }

  wakeAll(): void {
    for (const q of [...this.waiting.keys()]) this.wake(q);
  }

  get size(): number {
    let n = 0;
    for (const s of this.waiting.values()) n += s.size;
    return n;
  }
}
