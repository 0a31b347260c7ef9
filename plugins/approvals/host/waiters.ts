/** Wakes long-polling gets when their approval may have been decided (here, or on another host via NOTIFY). */
export class ApprovalWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();

  /**
   * Arms a wake for `id` before the caller reads the approval, so a decision between the read
   * and the wait is not missed. `woken` resolves on a wake, after `ms`, or when `signal` aborts.
   */
  arm(id: string, ms: number, signal?: AbortSignal): { woken: Promise<void>; dispose(): void } {
    let done = () => {};
    const woken = new Promise<void>((resolve) => {
      const timer = setTimeout(() => done(), ms);
      done = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        const set = this.waiting.get(id);
        set?.delete(done);
        if (set?.size === 0) this.waiting.delete(id);
        resolve();
      };
      if (signal?.aborted) return done();
      signal?.addEventListener('abort', done, { once: true });
      let set = this.waiting.get(id);
      if (!set) this.waiting.set(id, (set = new Set()));
      set.add(done);
    });
    return { woken, dispose: () => done() };
  }

  wake(id: string): void {
    for (const done of [...(this.waiting.get(id) ?? [])]) done();
  }

  wakeAll(): void {
    for (const id of [...this.waiting.keys()]) this.wake(id);
  }

  get size(): number {
    let n = 0;
    for (const s of this.waiting.values()) n += s.size;
    return n;
  }
}
