/**
 * `reef memory reembed --model M`: gives every memory a vector from model M, through a running
 * host's /v1 API with the operator token (the host holds the database and reaches the model).
 * Each step re-embeds the next batch of memories that have no vector from M yet, so the state is
 * the data itself: a run killed midway resumes where it stopped. A progress bar on stderr.
 */
import cliProgress from 'cli-progress';
import { z } from 'zod';
import type { AuditTarget } from './audit.js';

type Out = { log: (s: string) => void; error: (s: string) => void };

const StepSchema = z.object({ total: z.number().int().min(0), done: z.number().int().min(0), processed: z.number().int().min(0) });
type Step = z.infer<typeof StepSchema>;

/** Exit codes: 0 done, 1 the host refused (the reason printed), 3 the host could not be reached. */
async function step(target: AuditTarget, model: string, batch: number): Promise<Step | { error: string; code: number }> {
  let res: Response;
  try {
    res = await fetch(new URL('/v1/memories/reembed', target.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${target.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, limit: batch }),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { error: `cannot reach the Reef host at ${target.url} (${cause?.code ?? cause?.message ?? String(err)}): start it with "reef serve", or pass --url`, code: 3 };
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (res.status === 404 && e?.code !== 'not_found') return { error: `the host at ${target.url} has no memory plugin (HTTP 404)`, code: 1 };
    return { error: `the host at ${target.url} refused (${res.status}${e ? ` ${e.code}: ${e.message}` : ''})`, code: 1 };
  }
  const parsed = StepSchema.safeParse(body);
  return parsed.success ? parsed.data : { error: `the host at ${target.url} answered something that is not a re-embed step`, code: 1 };
}

export async function runReembed(target: AuditTarget, options: { model: string; batch: number }, out: Out, showProgress = true): Promise<number> {
  let bar: cliProgress.SingleBar | undefined;
  try {
    for (let first = true; ; first = false) {
      const s = await step(target, options.model, options.batch);
      if ('error' in s) {
        bar?.stop();
        out.error(s.error);
        return s.code;
      }
      if (first && showProgress) {
        bar = new cliProgress.SingleBar(
          { format: `re-embedding with ${options.model} {bar} {percentage}% | {value}/{total} memories`, noTTYOutput: true, notTTYSchedule: 2000, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        );
        bar.start(s.total, s.done);
      }
      bar?.setTotal(s.total);
      bar?.update(s.done);
      if (s.processed === 0 || s.done >= s.total) {
        bar?.stop();
        out.log(`${s.done} of ${s.total} memories are embedded with ${options.model}`);
        return 0;
      }
    }
  } finally {
    bar?.stop();
  }
}
