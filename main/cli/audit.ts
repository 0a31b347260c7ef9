/**
 * `reef audit verify` and `reef audit export`: the approvals audit log, read through a running
 * host's /v1 API with the operator token (the host holds the database, on SQLite or
 * PostgreSQL alike). verify exits 0 when the hash chain is intact and 1 at the first broken
 * entry, naming it; export writes JSON lines, with a progress bar when it writes to a file.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import cliProgress from 'cli-progress';
import { z } from 'zod';

export interface AuditTarget {
  /** The host's origin, e.g. http://127.0.0.1:7420. */
  url: string;
  token: string;
}

type Out = { log: (s: string) => void; error: (s: string) => void };

/** Exit codes: 0 intact / done, 1 the chain is broken, 3 the host could not be asked. */
export const AUDIT_BROKEN = 1;
export const HOST_UNREACHABLE = 3;

const VerdictSchema = z.object({
  ok: z.boolean(),
  checked: z.number().int().min(0),
  firstBroken: z.object({ seq: z.number().int(), reason: z.string() }).optional(),
});
type Verdict = z.infer<typeof VerdictSchema>;

const PageSchema = z.object({
  entries: z.array(z.object({ seq: z.number().int() }).passthrough()),
  nextSeq: z.number().int().optional(),
});

class HostError extends Error {}

async function get<T>(target: AuditTarget, path: string, schema: z.ZodType<T>): Promise<T> {
  let res: Response;
  try {
    res = await fetch(new URL(path, target.url), { headers: { authorization: `Bearer ${target.token}` } });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new HostError(`cannot reach the Reef host at ${target.url} (${cause?.code ?? cause?.message ?? String(err)}): start it with "reef serve", or pass --url`);
  }
  const body: unknown = await res.json().catch(() => undefined);
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    if (res.status === 404 && error?.code !== 'not_found') throw new HostError(`the host at ${target.url} has no approvals plugin (HTTP 404)`);
    throw new HostError(`the host at ${target.url} refused (${res.status}${error ? ` ${error.code}: ${error.message}` : ''})`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new HostError(`the host at ${target.url} answered something that is not an audit reply: ${parsed.error.issues[0]?.message ?? ''}`);
  return parsed.data;
}

function describeVerdict(v: Verdict): string {
  return v.ok
    ? `audit log intact: ${v.checked} entries checked`
    : `audit log BROKEN at entry ${v.firstBroken?.seq ?? '?'}: ${v.firstBroken?.reason ?? 'no reason given'} (${v.checked} entries checked before it)`;
}

export async function runAuditVerify(target: AuditTarget, out: Out): Promise<number> {
  try {
    const verdict = await get(target, '/v1/approvals/audit/verify', VerdictSchema);
    if (verdict.ok) {
      out.log(describeVerdict(verdict));
      return 0;
    }
    out.error(describeVerdict(verdict));
    return AUDIT_BROKEN;
  } catch (err) {
    if (!(err instanceof HostError)) throw err;
    out.error(err.message);
    return HOST_UNREACHABLE;
  }
}

export interface ExportOptions {
  /** A file to write; stdout when absent. */
  file?: string;
  afterSeq?: number;
  /** Entries per request (the host allows up to 10,000). */
  page?: number;
}

/**
 * Writes every entry after `afterSeq` as one JSON line, oldest first. It verifies the chain
 * first (its count sizes the progress bar) and warns when it is broken, but exports anyway:
 * a broken log is exactly the one someone needs to look at.
 */
export async function runAuditExport(target: AuditTarget, options: ExportOptions, out: Out, showProgress = options.file !== undefined): Promise<number> {
  let stream: WriteStream | undefined;
  let bar: cliProgress.SingleBar | undefined;
  try {
    const verdict = await get(target, '/v1/approvals/audit/verify', VerdictSchema);
    if (!verdict.ok) out.error(`warning: ${describeVerdict(verdict)}; exporting it as stored`);
    if (options.file) {
      stream = createWriteStream(options.file, { flags: 'w', mode: 0o600 });
      await new Promise<void>((resolve, reject) => {
        stream?.once('open', () => resolve());
        stream?.once('error', reject);
      });
    }
    if (showProgress) {
      bar = new cliProgress.SingleBar(
        { format: 'exporting {bar} {percentage}% | {value}/{total} entries', noTTYOutput: true, notTTYSchedule: 2000, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      );
      bar.start(verdict.checked, 0);
    }
    let after = options.afterSeq ?? 0;
    let written = 0;
    for (;;) {
      const page = await get(target, `/v1/approvals/audit?afterSeq=${after}&limit=${options.page ?? 1000}`, PageSchema);
      const lines = page.entries.map((e) => JSON.stringify(e));
      if (stream) {
        if (lines.length && !stream.write(`${lines.join('\n')}\n`)) await new Promise<void>((r) => stream?.once('drain', () => r()));
      } else {
        for (const line of lines) out.log(line);
      }
      written += lines.length;
      bar?.increment(lines.length);
      const last = page.entries.at(-1);
      if (page.nextSeq === undefined || !last) break;
      after = page.nextSeq;
    }
    bar?.stop();
    if (stream) {
      await new Promise<void>((resolve, reject) => stream?.end((err?: Error | null) => (err ? reject(err) : resolve())));
      out.error(`exported ${written} entries to ${options.file}`);
    }
    return 0;
  } catch (err) {
    bar?.stop();
    stream?.destroy();
    if (err instanceof HostError) {
      out.error(err.message);
      return HOST_UNREACHABLE;
    }
    if ((err as NodeJS.ErrnoException).code && options.file) {
      out.error(`cannot write ${options.file}: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
}
