/** The host's CPU (busy share of all cores between two readings of os.cpus()) and memory. */
import os from 'node:os';
import type { HostReading } from './schemas.js';

interface CpuTimes {
  busy: number;
  total: number;
}

export interface HostSource {
  cpus(): Array<{ times: { user: number; nice: number; sys: number; idle: number; irq: number } }>;
  totalmem(): number;
  freemem(): number;
  loadavg(): number[];
}

const MiB = 1024 * 1024;

export class HostStats {
  private previous: CpuTimes | undefined;

  constructor(private readonly source: HostSource = os) {}

  private times(): CpuTimes {
    let busy = 0;
    let total = 0;
    for (const { times } of this.source.cpus()) {
      const all = times.user + times.nice + times.sys + times.idle + times.irq;
      total += all;
      busy += all - times.idle;
    }
    return { busy, total };
  }

  /** A reading; the CPU share is over the time since the previous call (null the first time). */
  read(): HostReading {
    const now = this.times();
    const prev = this.previous;
    this.previous = now;
    const dTotal = prev ? now.total - prev.total : 0;
    const cpuPercent = prev && dTotal > 0 ? Math.min(100, Math.max(0, ((now.busy - prev.busy) / dTotal) * 100)) : null;
    const total = this.source.totalmem();
    const free = Math.min(total, this.source.freemem());
    return {
      cpuPercent: cpuPercent === null ? null : Math.round(cpuPercent * 10) / 10,
      cpuCount: this.source.cpus().length,
      loadAverage1m: Math.max(0, this.source.loadavg()[0] ?? 0),
      memoryUsedMiB: Math.round((total - free) / MiB),
      memoryTotalMiB: Math.round(total / MiB),
    };
  }
}
