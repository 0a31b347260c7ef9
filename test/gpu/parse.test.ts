/**
 * The nvidia-smi parsers over every recorded output of a real nvidia-smi (test/fixtures/nvidia-smi):
 * the CSVs give the values they hold, the error outputs give their typed reason, and the XML
 * reports and default tables are refused as "not CSV" instead of being read as garbage numbers.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GPU_QUERY_FIELDS, parseComputeApps, parseGpuQuery } from '../../plugins/gpu/host/telemetry/parse.js';
import { problemOfRun, recognizeError, type RunOutcome } from '../../plugins/gpu/host/telemetry/problems.js';
import { parseXmlReport } from '../../plugins/gpu/host/telemetry/xml.js';
import { fixture, fixtureNames, fixturePath } from './fixtures.js';

const ok = <T>(r: { ok: true; value: T } | { ok: false; problem: unknown }): T => {
  if (!r.ok) throw new Error(`expected readings, got ${JSON.stringify(r.problem)}`);
  return r.value;
};

describe('the fixture copies', () => {
  it('are byte for byte the recorded files (sha256 as PROVENANCE.md lists them), and every one is listed', () => {
    const provenance = fixture('PROVENANCE.md');
    const listed = [...provenance.matchAll(/### `([^`]+)`[\s\S]*?sha256 `([0-9a-f]{64})`/g)].map((m) => [m[1] as string, m[2] as string] as const);
    expect(listed.map(([name]) => name).sort()).toEqual(fixtureNames());
    for (const [name, sha] of listed) expect(createHash('sha256').update(readFileSync(fixturePath(name))).digest('hex'), name).toBe(sha);
  });
});

describe('parseGpuQuery on recorded CSVs', () => {
  it('reads the 212-column H100 capture by its header (units and canonical names: clocks.current.sm for clocks.sm)', () => {
    const r = parseGpuQuery(fixture('query-gpu-h100-80gb-hbm3-590.48.01.csv'));
    expect(ok(r)).toEqual([
      {
        index: 0,
        uuid: 'GPU-00000000-0000-0000-0000-000000000000',
        name: 'NVIDIA H100 80GB HBM3',
        driverVersion: '590.48.01',
        utilizationGpu: 0,
        utilizationMemory: 0,
        memoryUsedMiB: 0,
        memoryTotalMiB: 81559,
        temperatureC: 41,
        powerDrawW: 69.85,
        powerLimitW: 700,
        clockSmMHz: 345,
        clockMemMHz: 2619,
      },
    ]);
  });

  it('reads an H100 with MIG enabled: utilization is unknown (null), memory, power and clocks are there', () => {
    const [gpu] = ok(parseGpuQuery(fixture('query-gpu-h100-80gb-hbm3-mig-590.48.01.csv')));
    expect(gpu).toMatchObject({ utilizationGpu: null, utilizationMemory: null, memoryUsedMiB: 11125, memoryTotalMiB: 81559, temperatureC: 53, powerDrawW: 433.78, clockSmMHz: 1980 });
  });

  it('reads the 2021 Linux capture (driver 465.27, 115 columns, bare N/A elsewhere) and the Windows 610.62 one', () => {
    expect(ok(parseGpuQuery(fixture('query-gpu-rtx2080super-465.27-linux.csv')))).toEqual([
      {
        index: 0,
        uuid: 'GPU-df6e7a7c-7314-46f8-abc4-b88b36dcf3aa',
        name: 'NVIDIA GeForce RTX 2080 SUPER',
        driverVersion: '465.27',
        utilizationGpu: 0,
        utilizationMemory: 10,
        memoryUsedMiB: 344,
        memoryTotalMiB: 7979,
        temperatureC: 32,
        powerDrawW: 30.37,
        powerLimitW: 250,
        clockSmMHz: 300,
        clockMemMHz: 405,
      },
    ]);
    expect(ok(parseGpuQuery(fixture('query-gpu-rtx2080super-610.62-windows.csv')))).toEqual([
      expect.objectContaining({ driverVersion: '610.62', utilizationGpu: 7, utilizationMemory: 3, memoryUsedMiB: 1366, memoryTotalMiB: 8192, temperatureC: 44, powerDrawW: 97.99, clockSmMHz: 2040, clockMemMHz: 7500 }),
    ]);
  });

  it('reads 8 GPUs without a header by the fields that query asked for (gpustat #5, noheader,nounits)', () => {
    const fields = ['index', 'uuid', 'name', 'temperature.gpu', 'utilization.gpu', 'memory.used', 'memory.total'];
    const gpus = ok(parseGpuQuery(fixture('query-gpu-noheader-nounits-gtx-titan-x-8gpu-gpustat-issue5.csv'), fields));
    expect(gpus.map((g) => g.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(gpus[1]).toEqual({
      index: 1,
      uuid: 'GPU-86fe97db-bf54-a056-4e8d-9b07e1a298e7',
      name: 'GeForce GTX TITAN X',
      driverVersion: null,
      utilizationGpu: 86,
      utilizationMemory: null,
      memoryUsedMiB: 10032,
      memoryTotalMiB: 12206,
      temperatureC: 54,
      powerDrawW: null,
      powerLimitW: null,
      clockSmMHz: null,
      clockMemMHz: null,
    });
  });

  it('reads [Not Supported] as unknown and keeps the units it was given (GTX 770, noheader without nounits)', () => {
    const fields = ['gpu_name', 'utilization.gpu', 'utilization.memory', 'temperature.gpu', 'power.draw', 'power.limit', 'fan.speed', 'pstate', 'clocks.current.graphics', 'clocks.current.memory', 'power.max_limit', 'power.default_limit'];
    expect(ok(parseGpuQuery(fixture('query-gpu-noheader-gtx770-notsupported-megaminer-issue235.csv'), fields))).toEqual([
      {
        index: 0,
        uuid: null,
        name: 'GeForce GTX 770',
        driverVersion: null,
        utilizationGpu: null,
        utilizationMemory: null,
        memoryUsedMiB: null,
        memoryTotalMiB: null,
        temperatureC: 52,
        powerDrawW: null,
        powerLimitW: null,
        clockSmMHz: null,
        clockMemMHz: null,
      },
    ]);
  });

  it('reads the sampler’s own query in every form a driver prints it: nounits ignored, a header, CRLF, a BOM, bracketed markers', () => {
    const want = { index: 0, uuid: 'GPU-1', name: 'NVIDIA RTX A6000', driverVersion: '550.54.14', utilizationGpu: 42, utilizationMemory: 7, memoryUsedMiB: 1024, memoryTotalMiB: 49140, temperatureC: 61, powerDrawW: 120.5, powerLimitW: 300, clockSmMHz: 1800, clockMemMHz: 8001 };
    const plain = '0, GPU-1, NVIDIA RTX A6000, 550.54.14, 42, 7, 1024, 49140, 61, 120.50, 300.00, 1800, 8001\n';
    const units = '0, GPU-1, NVIDIA RTX A6000, 550.54.14, 42 %, 7 %, 1024 MiB, 49140 MiB, 61, 120.50 W, 300.00 W, 1800 MHz, 8001 MHz\n';
    const header = 'index, uuid, name, driver_version, utilization.gpu [%], utilization.memory [%], memory.used [MiB], memory.total [MiB], temperature.gpu, power.draw [W], power.limit [W], clocks.current.sm [MHz], clocks.current.memory [MHz]\n';
    for (const text of [plain, units, header + units, header + plain, `\uFEFF${plain.replace('\n', '\r\n')}`]) expect(ok(parseGpuQuery(text))).toEqual([want]);
    const markers = '0, GPU-1, NVIDIA RTX A6000, 550.54.14, [N/A], [Not Supported], 1024, 49140, N/A, [Unknown Error], [Requested functionality has been deprecated], ERR!, [Function Not Found]\n';
    expect(ok(parseGpuQuery(markers))).toEqual([{ ...want, utilizationGpu: null, utilizationMemory: null, temperatureC: null, powerDrawW: null, powerLimitW: null, clockSmMHz: null, clockMemMHz: null }]);
  });

  it('turns a value out of any sane range into null with a warning, keeping the rest of the GPU', () => {
    const r = parseGpuQuery('0, GPU-1, X, 1.0, 250, 7, 1024, 2048, 61, 100, 300, 1800, 8001\n');
    expect(r.ok && r.value[0]).toMatchObject({ utilizationGpu: null, utilizationMemory: 7, temperatureC: 61 });
    expect(r.ok && r.warnings.join()).toMatch(/utilizationGpu 250 ignored/);
  });

  it('reads empty output (no GPU rows) as no GPUs, not as a problem', () => {
    expect(parseGpuQuery('')).toEqual({ ok: true, value: [], warnings: [] });
    expect(parseGpuQuery('\n\n')).toEqual({ ok: true, value: [], warnings: [] });
  });
});

describe('parseComputeApps on recorded CSVs', () => {
  it('reads no process from an idle GPU: a header only, or nothing at all', () => {
    expect(ok(parseComputeApps(fixture('query-compute-apps-h100-80gb-hbm3-590.48.01-idle-empty.csv')))).toEqual([]);
    expect(ok(parseComputeApps(''))).toEqual([]);
  });

  it('reads the H100 under load by its header (used_gpu_memory for used_memory), ignoring the columns it does not use', () => {
    expect(ok(parseComputeApps(fixture('query-compute-apps-h100-80gb-hbm3-590.48.01-load.csv')))).toEqual([
      { gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', pid: 11327, processName: '/root/tools/memhog', usedMemoryMiB: 2566 },
      { gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', pid: 11328, processName: '/root/tools/memhog', usedMemoryMiB: 1542 },
      { gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', pid: 11345, processName: './gpu_burn', usedMemoryMiB: 15690 },
    ]);
  });

  it('reads Windows (WDDM): C:\\ paths with spaces and parentheses, memory unknown', () => {
    const procs = ok(parseComputeApps(fixture('query-compute-apps-rtx2080super-610.62-windows.csv')));
    expect(procs.length).toBeGreaterThan(15);
    expect(procs[0]).toEqual({ gpuUuid: 'GPU-00000000-0000-0000-0000-000000000000', pid: 2140, processName: 'C:\\Windows\\System32\\dwm.exe', usedMemoryMiB: null });
    expect(procs.map((p) => p.processName)).toContain('C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe');
    expect(procs.every((p) => p.usedMemoryMiB === null && Number.isInteger(p.pid))).toBe(true);
  });

  it('reads the sampler’s own query, a process name holding a comma, and [Not Found] as an unknown name', () => {
    const text = 'GPU-1, 4242, /opt/llama/server, 5120\nGPU-1, 77, C:\\Games\\Foo, Bar\\foo.exe, 300 MiB\nGPU-2, 78, [Not Found], [N/A]\n';
    expect(ok(parseComputeApps(text))).toEqual([
      { gpuUuid: 'GPU-1', pid: 4242, processName: '/opt/llama/server', usedMemoryMiB: 5120 },
      { gpuUuid: 'GPU-1', pid: 77, processName: 'C:\\Games\\Foo, Bar\\foo.exe', usedMemoryMiB: 300 },
      { gpuUuid: 'GPU-2', pid: 78, processName: null, usedMemoryMiB: null },
    ]);
  });
});

describe('error outputs become a typed reason', () => {
  const cases: Array<[string, string, RegExp, number]> = [
    ['error-no-driver-communicate-exit9-nvidia_gpu_exporter-issue65.txt', 'no_driver', /cannot communicate with the NVIDIA driver/, 9],
    ['error-libnvidia-ml-not-found-exit12-nvidia_gpu_exporter-issue105.txt', 'nvml_not_found', /NVML library/, 12],
    ['error-nvml-driver-library-mismatch-535.161-exit18-gputil-issue55.txt', 'driver_mismatch', /differ in version \(library 535\.161\).*reboot/, 18],
    ['error-no-devices-found-open-gpu-kernel-modules-issue862.txt', 'no_devices', /found no GPU/, 6],
  ];
  it.each(cases)('%s → %s, from the parsers and from a run that printed it', (name, code, message, exitCode) => {
    const text = fixture(name);
    for (const r of [parseGpuQuery(text), parseComputeApps(text)]) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problem).toMatchObject({ code, message: expect.stringMatching(message), output: expect.any(String) });
    }
    expect(recognizeError(text)?.code).toBe(code);
    const run: RunOutcome = { stdout: text, stderr: '', exitCode, signal: null, timedOut: false, durationMs: 5 };
    expect(problemOfRun(run, 'nvidia-smi', 2000)).toMatchObject({ code, exitCode });
    // On stderr instead of stdout: the same reason.
    expect(problemOfRun({ ...run, stdout: '', stderr: text }, 'nvidia-smi', 2000)?.code).toBe(code);
  });

  it('says what a run that never answered means: not installed, not executable, a timeout, a signal, an unknown exit', () => {
    const base: RunOutcome = { stdout: '', stderr: '', exitCode: null, signal: null, timedOut: false, durationMs: 1 };
    expect(problemOfRun({ ...base, spawnError: { code: 'ENOENT', message: 'spawn nvidia-smi ENOENT' } }, 'nvidia-smi', 2000)).toMatchObject({ code: 'not_installed', message: /no nvidia-smi found/ });
    expect(problemOfRun({ ...base, spawnError: { code: 'EACCES', message: 'x' } }, '/opt/nvidia-smi', 2000)).toMatchObject({ code: 'not_executable', message: /\/opt\/nvidia-smi cannot be run/ });
    expect(problemOfRun({ ...base, timedOut: true, signal: 'SIGKILL' }, 'nvidia-smi', 2000)).toMatchObject({ code: 'timeout', message: /within 2000 ms/ });
    expect(problemOfRun({ ...base, signal: 'SIGSEGV' }, 'nvidia-smi', 2000)).toMatchObject({ code: 'failed', message: /SIGSEGV/ });
    expect(problemOfRun({ ...base, exitCode: 9 }, 'nvidia-smi', 2000)).toMatchObject({ code: 'no_driver', exitCode: 9 });
    expect(problemOfRun({ ...base, exitCode: 15, stdout: 'Unable to determine the device handle for GPU 0000:01:00.0: Unknown Error' }, 'nvidia-smi', 2000)).toMatchObject({ code: 'gpu_lost' });
    expect(problemOfRun({ ...base, exitCode: 255, stdout: 'Failed to initialize NVML: Unknown Error\n' }, 'nvidia-smi', 2000)).toMatchObject({ code: 'nvml_error', message: 'NVML failed to initialise: Unknown Error' });
    expect(problemOfRun({ ...base, exitCode: 2, stdout: 'Field "clocks.sm" is not a valid field to query.\n' }, 'nvidia-smi', 2000)).toMatchObject({ code: 'unsupported_query', message: /"clocks\.sm"/ });
    expect(problemOfRun({ ...base, exitCode: 77, stdout: 'something odd\n' }, 'nvidia-smi', 2000)).toMatchObject({ code: 'failed', message: 'nvidia-smi failed (exit 77): something odd', exitCode: 77 });
    expect(problemOfRun({ ...base, exitCode: 0, stdout: 'anything' }, 'nvidia-smi', 2000)).toBeUndefined();
  });
});

describe('what is not CSV is refused by the CSV parsers, never read as numbers', () => {
  const others = fixtureNames().filter((f) => f.startsWith('xml-') || f.startsWith('table-'));
  it('covers every XML report and default table', () => expect(others).toHaveLength(8));
  it.each(others)('%s → not_csv', (name) => {
    for (const r of [parseGpuQuery(fixture(name)), parseComputeApps(fixture(name))]) {
      expect(r).toEqual({ ok: false, problem: { code: 'not_csv', message: expect.stringMatching(name.startsWith('xml') ? /XML report/ : /default table/) } });
    }
  });

  it.each([
    ['lorem ipsum dolor sit amet\n', /1 values where 13 were expected/],
    ['0, GPU-1, X, 1.0, lots, 7, 1024, 2048, 61, 100, 300, 1800, 8001\n', /utilization\.gpu: "lots" is not a number/],
    ['1.5, GPU-1, X, 1.0, 5, 7, 1024, 2048, 61, 100, 300, 1800, 8001\n', /index: "1.5" is not a whole number/],
    ['0, GPU-1, X, 1.0, 5, 7, 1024, 2048, 61, 100, 300, 1800, 8001, extra\n', /14 values where 13/],
    ['\u0000\u0001\u0002garbage', /NUL bytes/],
    ['flux.capacitor [GW], warp.factor\n1.21, 9\n', /2 values where 13/],
  ])('garbage %j → bad_output', (text, message) => {
    const r = parseGpuQuery(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problem).toMatchObject({ code: 'bad_output', message: expect.stringMatching(message) });
  });

  it('takes every fixture without throwing, with either readings or a problem', () => {
    for (const name of fixtureNames()) {
      for (const parse of [(t: string) => parseGpuQuery(t, GPU_QUERY_FIELDS), parseComputeApps, parseXmlReport]) {
        const r = parse(fixture(name));
        expect(r.ok ? typeof r.value === 'object' : typeof r.problem.message === 'string').toBe(true);
      }
    }
  });
});

describe('parseXmlReport on recorded XML reports (-q -x, DTD v11 to v13)', () => {
  const gpu = (name: string) => {
    const r = parseXmlReport(fixture(name));
    if (!r.ok) throw new Error(JSON.stringify(r.problem));
    expect(r.warnings).toEqual([]);
    return r.value;
  };

  it('reads an A100 with MIG (535, gpu_power_readings): utilization N/A, memory, power, clocks', () => {
    expect(gpu('xml-a100-sxm4-80gb-mig-535.54.03.xml')).toEqual({
      gpus: [
        {
          index: 0,
          uuid: 'GPU-513536b6-7d19-9063-b049-1e69664bb298',
          name: 'NVIDIA A100-SXM4-80GB',
          driverVersion: '535.54.03',
          utilizationGpu: null,
          utilizationMemory: null,
          memoryUsedMiB: 50,
          memoryTotalMiB: 81920,
          temperatureC: 27,
          powerDrawW: 67.03,
          powerLimitW: 500,
          clockSmMHz: 1275,
          clockMemMHz: 1593,
        },
      ],
      processes: [],
    });
  });

  it('reads the 525 layout (power_readings with power_limit) and v11 (T4), keeping compute processes only', () => {
    expect(gpu('xml-rtx3090-525.147.05.xml').gpus[0]).toMatchObject({ name: 'NVIDIA GeForce RTX 3090', driverVersion: '525.147.05', memoryTotalMiB: 24576, powerDrawW: 27.23, powerLimitW: 200, clockSmMHz: 0, clockMemMHz: 405 });
    const t4 = gpu('xml-tesla-t4-515.105.01-v11.xml');
    expect(t4.gpus[0]).toMatchObject({ name: 'Tesla T4', memoryUsedMiB: 1032, memoryTotalMiB: 15360, temperatureC: 40, powerDrawW: 26.78, powerLimitW: 70, clockSmMHz: 585, clockMemMHz: 5000 });
    // Xorg (type G) is left out, as --query-compute-apps would.
    expect(t4.processes).toEqual([{ gpuUuid: 'GPU-d37e67a5-91dd-3774-a5cb-99096249601a', pid: 5762, processName: 'python', usedMemoryMiB: 1005 }]);
  });

  it('reads v13 (595: average_power_draw, deprecated clocks as words) with C and C+G processes', () => {
    expect(gpu('xml-rtx3080-595.58.03-v13.xml').gpus[0]).toMatchObject({ utilizationGpu: 65, utilizationMemory: 9, memoryUsedMiB: 9184, memoryTotalMiB: 10240, powerDrawW: 139.62, powerLimitW: 320, clockSmMHz: 1950, clockMemMHz: 9251 });
    const ada = gpu('xml-rtx4000-sff-ada-595.84-v13.xml');
    expect(ada.gpus[0]).toMatchObject({ name: 'NVIDIA RTX 4000 SFF Ada Generation', powerDrawW: 8.81, powerLimitW: 70, utilizationMemory: 37 });
    expect(ada.processes.map((p) => [p.pid, p.processName, p.usedMemoryMiB])).toEqual([
      [4937, 'python', 160],
      [34626, '/usr/lib/chromium/chromium', 183],
    ]);
  });

  it('refuses CSV, tables, errors and broken XML with a typed problem', () => {
    expect(parseXmlReport(fixture('query-gpu-h100-80gb-hbm3-590.48.01.csv'))).toMatchObject({ ok: false, problem: { code: 'bad_output', message: /not an XML report/ } });
    expect(parseXmlReport(fixture('table-h100x8-550.90.07.txt'))).toMatchObject({ ok: false, problem: { code: 'bad_output' } });
    expect(parseXmlReport(fixture('error-nvml-driver-library-mismatch-535.161-exit18-gputil-issue55.txt'))).toMatchObject({ ok: false, problem: { code: 'driver_mismatch' } });
    const cut = fixture('xml-tesla-t4-515.105.01-v11.xml').slice(0, 5000);
    expect(parseXmlReport(cut)).toMatchObject({ ok: false, problem: { code: 'bad_output', message: /not well-formed: <\w+> is never closed/ } });
    expect(parseXmlReport('<?xml version="1.0" ?>\n<nvidia_smi_log><gpu></driver_version></nvidia_smi_log>')).toMatchObject({ ok: false, problem: { message: /<\/driver_version> closes <gpu>/ } });
  });
});
