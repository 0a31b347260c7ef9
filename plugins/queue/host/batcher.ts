/**
 * Groups calls that arrive while one batch is in flight into the next batch. When idle, a call
 * goes out at once (no added latency); under load, many calls share one round trip.
 */
export class Batcher<In, Out> {
  private queue: Array<{ input: In; resolve: (out: Out) => void; reject: (err: unknown) => void }> = [];
  private inFlight = false;

  constructor(
    private readonly run: (inputs: In[]) => Promise<Out[]>,
    private readonly maxBatch = 200,
  ) {}

  call(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.inFlight) void this.flush();
    });
  }

  private async flush(): Promise<void> {
    this.inFlight = true;
    while (this.queue.length) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        const outs = await this.run(batch.map((b) => b.input));
        batch.forEach((b, i) => b.resolve(outs[i] as Out));
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.inFlight = false;
  }
}
