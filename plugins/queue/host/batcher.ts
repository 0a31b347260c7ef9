/**
 * Groups calls into batches: calls made in the same turn of the event loop go out together, and
 * calls that arrive while a batch is in flight go in the next one. Waiting for the end of the
 * turn (setImmediate) costs microseconds; it lets the workers a claim batch just woke, which all
 * complete in that turn, share one round trip instead of the first going alone.
 */
export class Batcher<In, Out> {
  private queue: Array<{ input: In; resolve: (out: Out) => void; reject: (err: unknown) => void }> = [];
  private busy = false;

  constructor(
    private readonly run: (inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch = 200,
  ) {}

  call(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outs = await this.run(batch.map((b) => b.input));
        batch.forEach((b, i) => b.resolve(outs[i] as Out));
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.busy = false;
  }
}
