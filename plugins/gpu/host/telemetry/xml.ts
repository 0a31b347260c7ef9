/**
 * A reader for `nvidia-smi -q -x` (the XML report), giving the same readings as the CSV query:
 * the richest output, and the one whose layout changed most between drivers (`power_readings`
 * with `power_limit` before 535, `gpu_power_readings` with `current_power_limit` after; v13's
 * `average_power_draw`/`instant_power_draw`). Missing values are bare `N/A` or words
 * ("Requested functionality has been deprecated"); units are in the text. The sampler uses the
 * CSV query; this is for a driver whose CSV we cannot read, and for tools. Never throws.
 */
import { recognizeError } from './problems.js';
import type { Parsed } from './parse.js';
import { ComputeProcessSchema, GpuReadingSchema, type ComputeProcess, type GpuProblem, type GpuReading } from './schemas.js';

interface XmlNode {
  name: string;
  children: XmlNode[];
  text: string;
}

/** Far beyond a 16-GPU report (about 70 KiB a GPU). */
const MAX_XML_BYTES = 8 * 1024 * 1024;
const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const decode = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-f]+);/gi, (_, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e.toLowerCase()] ?? ''),
  );

/** The element tree of a well-formed document, or a reason it is not one. */
function parseXml(text: string): XmlNode | string {
  const token = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!DOCTYPE[^>]*>|<(\/?)([A-Za-z_][\w.-]*)(?:\s[^>]*?)?(\/?)>|([^<]+)|(<)/g;
  const root: XmlNode = { name: '#document', children: [], text: '' };
  const stack: XmlNode[] = [root];
  for (let m = token.exec(text); m; m = token.exec(text)) {
    const top = stack[stack.length - 1] as XmlNode;
    if (m[5]) return `a stray "<" at ${m.index}`;
    if (m[4] !== undefined) {
      top.text += m[4];
      continue;
    }
    const name = m[2];
    if (!name) continue; // a comment, the declaration, the DOCTYPE
    if (m[1]) {
      if (top.name !== name) return `</${name}> closes <${top.name}>`;
      stack.pop();
    } else {
      const node: XmlNode = { name, children: [], text: '' };
      top.children.push(node);
      if (!m[3]) stack.push(node);
    }
  }
  if (stack.length !== 1) return `<${(stack[stack.length - 1] as XmlNode).name}> is never closed`;
  return root;
}

const child = (node: XmlNode | undefined, ...path: string[]): XmlNode | undefined => {
  let at = node;
  for (const name of path) at = at?.children.find((c) => c.name === name);
  return at;
};
const textOf = (node: XmlNode | undefined, ...path: string[]): string | undefined => {
  const n = child(node, ...path);
  return n === undefined ? undefined : decode(n.text).trim();
};

/** "27 C", "500.00 W", "19968 MiB", "65 %" → the number; N/A and words → null. */
function numberOf(text: string | undefined): number | null {
  const m = text === undefined ? null : /^([-+]?\d+(?:\.\d+)?)\s*(%|MiB|W|MHz|C)?$/.exec(text);
  return m ? Number(m[1]) : null;
}
const first = (...values: Array<number | null>) => values.find((v) => v !== null) ?? null;
const textOrNull = (text: string | undefined) => (text === undefined || text === '' || /^N\/A$/i.test(text) ? null : text);

const bad = (message: string): GpuProblem => ({ code: 'bad_output', message });

/** `nvidia-smi -q -x` → the GPUs (by their order in the report) and their compute processes. */
export function parseXmlReport(input: string): Parsed<{ gpus: GpuReading[]; processes: ComputeProcess[] }> {
  if (typeof input !== 'string') return { ok: false, problem: bad('the XML report is not text') };
  const text = input.replace(/^\uFEFF/, '');
  const error = recognizeError(text);
  if (error) return { ok: false, problem: error };
  if (!/^\s*<(\?xml|!DOCTYPE|nvidia_smi_log)/i.test(text)) return { ok: false, problem: bad('not an XML report: it does not start with <?xml or <nvidia_smi_log>') };
  if (text.length > MAX_XML_BYTES) return { ok: false, problem: bad(`the XML report is over ${MAX_XML_BYTES} bytes`) };
  const doc = parseXml(text);
  if (typeof doc === 'string') return { ok: false, problem: bad(`the XML report is not well-formed: ${doc}`) };
  const log = child(doc, 'nvidia_smi_log');
  if (!log) return { ok: false, problem: bad('the XML report has no <nvidia_smi_log>') };

  const warnings: string[] = [];
  const driverVersion = textOrNull(textOf(log, 'driver_version'));
  const gpus: GpuReading[] = [];
  const processes: ComputeProcess[] = [];
  for (const [index, gpu] of log.children.filter((c) => c.name === 'gpu').entries()) {
    // 535 and later: gpu_power_readings (v13 without power_draw); before: power_readings.
    const power = child(gpu, 'gpu_power_readings') ?? child(gpu, 'power_readings');
    const uuid = textOrNull(textOf(gpu, 'uuid'));
    const reading = GpuReadingSchema.safeParse({
      index,
      uuid,
      name: textOrNull(textOf(gpu, 'product_name')),
      driverVersion,
      utilizationGpu: numberOf(textOf(gpu, 'utilization', 'gpu_util')),
      utilizationMemory: numberOf(textOf(gpu, 'utilization', 'memory_util')),
      memoryUsedMiB: numberOf(textOf(gpu, 'fb_memory_usage', 'used')),
      memoryTotalMiB: numberOf(textOf(gpu, 'fb_memory_usage', 'total')),
      temperatureC: numberOf(textOf(gpu, 'temperature', 'gpu_temp')),
      powerDrawW: first(numberOf(textOf(power, 'power_draw')), numberOf(textOf(power, 'average_power_draw')), numberOf(textOf(power, 'instant_power_draw'))),
      powerLimitW: first(numberOf(textOf(power, 'current_power_limit')), numberOf(textOf(power, 'power_limit')), numberOf(textOf(power, 'enforced_power_limit'))),
      clockSmMHz: numberOf(textOf(gpu, 'clocks', 'sm_clock')),
      clockMemMHz: numberOf(textOf(gpu, 'clocks', 'mem_clock')),
    });
    if (!reading.success) {
      warnings.push(`GPU ${index}: ${reading.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      continue;
    }
    gpus.push(reading.data);
    for (const info of child(gpu, 'processes')?.children.filter((c) => c.name === 'process_info') ?? []) {
      // Compute processes only (C, C+G), as --query-compute-apps lists them; not display-only ones (G).
      const type = textOf(info, 'type');
      if (type !== undefined && !type.includes('C')) continue;
      const proc = ComputeProcessSchema.safeParse({
        gpuUuid: uuid,
        pid: numberOf(textOf(info, 'pid')),
        processName: textOrNull(textOf(info, 'process_name')),
        usedMemoryMiB: numberOf(textOf(info, 'used_memory')),
      });
      if (proc.success) processes.push(proc.data);
      else warnings.push(`GPU ${index}: a process without a pid, skipped`);
    }
  }
  return { ok: true, value: { gpus, processes }, warnings };
}
