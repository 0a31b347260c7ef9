/**
 * Parsers for `nvidia-smi --query-gpu=… --format=csv,noheader,nounits` and
 * `--query-compute-apps=…`, tolerant of what real versions print: a header row (with `[unit]`
 * suffixes and canonical names instead of the aliases asked for), units left in the values,
 * "[N/A]", "N/A", "[Not Supported]" and other bracketed markers, MIG GPUs (utilization [N/A]),
 * Windows paths, CRLF, a BOM, empty output when idle. They never throw: anything else (an error
 * message, an XML report, the default table, garbage) is a typed problem.
 */
import { z } from 'zod';
import { recognizeError } from './problems.js';
import { ComputeProcessSchema, GpuReadingSchema, type ComputeProcess, type GpuProblem, type GpuReading } from './schemas.js';

export type Parsed<T> = { ok: true; value: T; warnings: string[] } | { ok: false; problem: GpuProblem };

/** The fields the sampler asks `--query-gpu` for, in this order. */
export const GPU_QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'driver_version',
  'utilization.gpu',
  'utilization.memory',
  'memory.used',
  'memory.total',
  'temperature.gpu',
  'power.draw',
  'power.limit',
  'clocks.sm',
  'clocks.mem',
] as const;

/** The fields the sampler asks `--query-compute-apps` for, in this order. */
export const APP_QUERY_FIELDS = ['gpu_uuid', 'pid', 'process_name', 'used_memory'] as const;

export const GPU_QUERY_ARGS = [`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];
export const APP_QUERY_ARGS = [`--query-compute-apps=${APP_QUERY_FIELDS.join(',')}`, '--format=csv,noheader,nounits'];

type Kind = 'int' | 'number' | 'text';
interface Field<K extends string> {
  key: K;
  kind: Kind;
  /** The name nvidia-smi prints in a header first, then the aliases a query may use. */
  names: readonly string[];
}

type GpuKey = keyof GpuReading;
const GPU_FIELDS: ReadonlyArray<Field<GpuKey>> = [
  { key: 'index', kind: 'int', names: ['index'] },
  { key: 'uuid', kind: 'text', names: ['uuid', 'gpu_uuid'] },
  { key: 'name', kind: 'text', names: ['name', 'gpu_name'] },
  { key: 'driverVersion', kind: 'text', names: ['driver_version'] },
  { key: 'utilizationGpu', kind: 'number', names: ['utilization.gpu'] },
  { key: 'utilizationMemory', kind: 'number', names: ['utilization.memory'] },
  { key: 'memoryUsedMiB', kind: 'number', names: ['memory.used'] },
  { key: 'memoryTotalMiB', kind: 'number', names: ['memory.total'] },
  { key: 'temperatureC', kind: 'number', names: ['temperature.gpu'] },
  { key: 'powerDrawW', kind: 'number', names: ['power.draw'] },
  { key: 'powerLimitW', kind: 'number', names: ['power.limit'] },
  { key: 'clockSmMHz', kind: 'number', names: ['clocks.current.sm', 'clocks.sm'] },
  { key: 'clockMemMHz', kind: 'number', names: ['clocks.current.memory', 'clocks.mem'] },
];

type AppKey = keyof ComputeProcess;
const APP_FIELDS: ReadonlyArray<Field<AppKey>> = [
  { key: 'gpuUuid', kind: 'text', names: ['gpu_uuid'] },
  { key: 'pid', kind: 'int', names: ['pid'] },
  { key: 'processName', kind: 'text', names: ['process_name', 'name'] },
  { key: 'usedMemoryMiB', kind: 'number', names: ['used_gpu_memory', 'used_memory'] },
];

/** A field name as a header prints it: lower case, without its ` [MiB]` unit. */
const bareName = (cell: string) => cell.trim().replace(/\s*\[[^\]]*\]$/, '').toLowerCase();
/** What a header cell looks like: `memory.used [MiB]`, `clocks_event_reasons.active`. */
const HEADER_CELL = /^[a-z_][a-z0-9_.]*(?: \[[^\]]+\])?$/i;

/** "[N/A]", "[Not Supported]", "[Requested functionality has been deprecated]", bare "N/A", "ERR!", … */
const MISSING = /^(?:\[[^\]]*\]|N\/A|Not Supported|Not Available|Unknown Error|Unknown|ERR!|)$/i;

/** Units nvidia-smi prints when `nounits` was not honoured, as factors to our units (MiB, W, MHz, %, °C). */
const UNITS: Record<string, number> = { '': 1, '%': 1, mib: 1, mb: 1, gib: 1024, kib: 1 / 1024, w: 1, mw: 1 / 1000, mhz: 1, ghz: 1000, c: 1 };
const NUMBER = /^([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)\s*([a-z%]*)$/i;

type Cell = { ok: true; value: string | number | null } | { ok: false; why: string };

function readCell(raw: string, kind: Kind): Cell {
  let text = raw.trim();
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) text = text.slice(1, -1).trim();
  if (MISSING.test(text)) return { ok: true, value: null };
  if (kind === 'text') return { ok: true, value: text };
  const m = NUMBER.exec(text);
  const factor = m ? UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || factor === undefined) return { ok: false, why: `${JSON.stringify(text.slice(0, 60))} is not a number` };
  const value = Number(m[1]) * factor;
  if (kind === 'int' && !Number.isInteger(value)) return { ok: false, why: `${JSON.stringify(text)} is not a whole number` };
  return { ok: true, value };
}

const notCsv = (what: string): GpuProblem => ({ code: 'not_csv', message: `nvidia-smi answered with ${what}, not CSV (was --format=csv dropped?)` });
const badOutput = (message: string, text: string): GpuProblem => {
  const first = text.split('\n').find((l) => l.trim() !== '');
  return { code: 'bad_output', message, ...(first !== undefined && { output: first.slice(0, 500) }) };
};

/** Reads CSV rows into objects keyed by our field keys; the shared part of both parsers. */
function parseRows<K extends string>(
  input: string,
  requested: readonly string[],
  fields: ReadonlyArray<Field<K>>,
  /** The one free-text column whose value may hold a comma (a process name). */
  looseKey: K | undefined,
  what: string,
): Parsed<Array<Partial<Record<K, string | number | null>>>> {
  if (typeof input !== 'string') return { ok: false, problem: badOutput(`${what}: the output is not text`, '') };
  const text = input.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const error = recognizeError(text);
  if (error) return { ok: false, problem: error };
  if (/^\s*<(\?xml|!DOCTYPE nvidia_smi_log|nvidia_smi_log)/i.test(text)) return { ok: false, problem: notCsv('an XML report (-q -x)') };
  if (/^\s*\+[-=+]{10,}\+\s*$/m.test(text) || /^\|\s+NVIDIA-SMI \d/m.test(text)) return { ok: false, problem: notCsv('its default table') };
  if (text.includes('\u0000')) return { ok: false, problem: badOutput(`${what}: the output holds NUL bytes (binary garbage)`, '') };

  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const byName = new Map<string, Field<K>>();
  for (const f of fields) for (const n of f.names) byName.set(n, f);
  const warnings: string[] = [];

  // A header names our fields (in nvidia-smi's spelling); a data row never looks like one.
  const firstCells = lines[0]?.split(',').map((c) => c.trim()) ?? [];
  const isHeader = (cells: string[]) => cells.length > 0 && cells.every((c) => HEADER_CELL.test(c)) && cells.some((c) => byName.has(bareName(c)));
  const header = isHeader(firstCells) ? firstCells : undefined;
  const columns = (header ?? requested.map((r) => r)).map((name) => byName.get(bareName(name)));
  const present = new Set(columns.filter((c): c is Field<K> => c !== undefined).map((c) => c.key));
  if (header && present.size === 0) return { ok: false, problem: badOutput(`${what}: the header names none of the fields asked for`, text) };
  const looseAt = looseKey === undefined ? -1 : columns.findIndex((c) => c?.key === looseKey);

  const rows: Array<Partial<Record<K, string | number | null>>> = [];
  for (let i = header ? 1 : 0; i < lines.length; i++) {
    const line = lines[i] as string;
    let cells = line.split(',');
    if (header && isHeader(cells.map((c) => c.trim()))) continue; // a repeated header
    if (cells.length > columns.length && looseAt >= 0) {
      // A process name with commas in it: the extra cells belong to it.
      const extra = cells.length - columns.length;
      cells = [...cells.slice(0, looseAt), cells.slice(looseAt, looseAt + extra + 1).join(','), ...cells.slice(looseAt + extra + 1)];
    }
    if (cells.length !== columns.length) {
      return { ok: false, problem: badOutput(`${what}, line ${i + 1}: ${cells.length} values where ${columns.length} were expected`, text) };
    }
    const row: Partial<Record<K, string | number | null>> = {};
    for (let c = 0; c < columns.length; c++) {
      const field = columns[c];
      if (!field) continue;
      const cell = readCell(cells[c] as string, field.kind);
      if (!cell.ok) return { ok: false, problem: badOutput(`${what}, line ${i + 1}, ${field.names[0]}: ${cell.why}`, text) };
      row[field.key] = cell.value;
    }
    rows.push(row);
  }
  return { ok: true, value: rows, warnings };
}

/**
 * Validates a row with its schema; a value out of any sane range (a temperature of 4000 °C)
 * becomes null with a warning, so one odd reading does not lose the GPU's other figures.
 */
function validated<T>(schema: z.ZodType<T>, row: Record<string, unknown>, where: string, warnings: string[]): T | undefined {
  let candidate = { ...row };
  for (let attempt = 0; attempt < 3; attempt++) {
    const result = schema.safeParse(candidate);
    if (result.success) return result.data;
    const next = { ...candidate };
    let cleared = false;
    for (const issue of result.error.issues) {
      const key = issue.path[0];
      if (typeof key === 'string' && next[key] !== null && key in next) {
        warnings.push(`${where}: ${key} ${JSON.stringify(next[key])} ignored (${issue.message})`);
        next[key] = null;
        cleared = true;
      }
    }
    if (!cleared) return undefined;
    candidate = next;
  }
  return undefined;
}

/**
 * `--query-gpu` output → one reading per GPU. `fields` are the fields the query asked for, in
 * order (the sampler's by default): they name the columns when nvidia-smi printed no header.
 * Fields we do not use are skipped; fields not asked for are null. Without an `index` column a
 * GPU's index is its row.
 */
export function parseGpuQuery(text: string, fields: readonly string[] = GPU_QUERY_FIELDS): Parsed<GpuReading[]> {
  const parsed = parseRows(text, fields, GPU_FIELDS, undefined, 'query-gpu');
  if (!parsed.ok) return parsed;
  const warnings = [...parsed.warnings];
  const gpus: GpuReading[] = [];
  for (const [i, row] of parsed.value.entries()) {
    const full: Record<string, unknown> = Object.fromEntries(GPU_FIELDS.map((f) => [f.key, row[f.key] ?? null]));
    if (full.index === null) full.index = i;
    const gpu = validated(GpuReadingSchema, full, `GPU ${String(full.index)}`, warnings);
    if (!gpu) return { ok: false, problem: badOutput(`query-gpu, GPU row ${i + 1}: its index is not a GPU index`, text) };
    gpus.push(gpu);
  }
  return { ok: true, value: gpus, warnings };
}

/** `--query-compute-apps` output → the compute processes (none when idle: empty output, or a header only). */
export function parseComputeApps(text: string, fields: readonly string[] = APP_QUERY_FIELDS): Parsed<ComputeProcess[]> {
  const parsed = parseRows(text, fields, APP_FIELDS, 'processName', 'query-compute-apps');
  if (!parsed.ok) return parsed;
  const warnings = [...parsed.warnings];
  const processes: ComputeProcess[] = [];
  for (const [i, row] of parsed.value.entries()) {
    const full: Record<string, unknown> = Object.fromEntries(APP_FIELDS.map((f) => [f.key, row[f.key] ?? null]));
    const proc = full.pid === null ? undefined : validated(ComputeProcessSchema, full, `process row ${i + 1}`, warnings);
    if (!proc) {
      // A process without a pid tells nothing we can show; nvidia-smi always prints one.
      warnings.push(`query-compute-apps, row ${i + 1}: no pid, skipped`);
      continue;
    }
    processes.push(proc);
  }
  return { ok: true, value: processes, warnings };
}
