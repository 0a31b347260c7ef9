/** `reef migrate`: moves every plugin's data from one database to another (SQLite → PostgreSQL). */
import { existsSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';
import type { PluginModule } from '../../sdk/index.js';
import { copyDatabase, type CopyPlan, type CopyProgress, type TableReport } from '../db/copy.js';
import type { Database } from '../db/database.js';
import { openDatabase, sqliteFile } from '../db/open.js';
import { HOST_MIGRATIONS, HOST_TABLES } from '../host/host-tables.js';
import { DataDirInUseError, lockDataDir, type InstanceLock } from '../host/instance-lock.js';
import { KV_MIGRATIONS } from '../kv/sql-kv.js';
import type { HostConfig } from '../host/config.js';
import { builtinPluginsDir } from '../host/paths.js';
import { discoverPlugins } from '../host/plugin-loader.js';

export interface MigrateOptions {
  from: string;
  to: string;
  force: boolean;
  batch: number;
}

/** Every plugin's migrations and tables (importing its host module; nothing is activated). */
export async function copyPlans(config: HostConfig, builtinDir: string = builtinPluginsDir()): Promise<CopyPlan[]> {
  const plans: CopyPlan[] = [
    { owner: 'host', migrations: HOST_MIGRATIONS, tables: HOST_TABLES },
    { owner: 'kv', migrations: KV_MIGRATIONS, tables: [{ name: 'reef_kv', key: ['key'] }] },
  ];
  const { plugins } = discoverPlugins([{ dir: builtinDir, builtin: true }, ...config.pluginDirs.map((dir) => ({ dir, builtin: false }))]);
  for (const p of plugins) {
    if (!p.manifest.host || !p.manifest.permissions.database) continue;
    const mod = (await import(pathToFileURL(path.join(p.dir, p.manifest.host)).href)) as Partial<PluginModule>;
    if (mod.tables?.length) plans.push({ owner: p.manifest.id, migrations: mod.migrations ?? [], tables: mod.tables });
  }
  return plans;
}

/** Names the source in the target's resume points: the same database however its path was written. */
export function sourceId(spec: string): string {
  if (!spec.startsWith('sqlite:')) return spec.replace(/:[^:@/]*@/, '@');
  const file = sqliteFile(spec);
  try {
    return `sqlite:${realpathSync(file)}`;
  } catch {
    return `sqlite:${path.resolve(file)}`;
  }
}

function progressBar(): CopyProgress {
  const bar = new cliProgress.SingleBar(
    { format: 'copying {bar} {percentage}% | {value}/{total} rows | {table}', noTTYOutput: true, notTTYSchedule: 2000, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0, { table: '' }),
    advance: (rows, table) => bar.increment(rows, { table }),
    stop: () => bar.stop(),
  };
}

export async function runMigrate(
  config: HostConfig,
  options: MigrateOptions,
  out: { log: (s: string) => void; error: (s: string) => void },
  progress: CopyProgress | undefined = progressBar(),
): Promise<number> {
  if (options.from === options.to) throw new Error('--from and --to are the same database');
  let lock: InstanceLock | undefined;
  if (options.from.startsWith('sqlite:')) {
    const file = sqliteFile(options.from);
    // Opening a missing SQLite file would create an empty one and "copy" nothing.
    if (!existsSync(file)) throw new Error(`--from: there is no SQLite database at ${file}`);
    lock = lockSourceDir(path.dirname(path.resolve(file)), file);
  }
  let source: Database | undefined;
  let target: Database | undefined;
  try {
    source = await openDatabase(options.from, config.dataDir, 'normal');
    target = await openDatabase(options.to, config.dataDir, 'normal');
    const plans = await copyPlans(config);
    const reports = await copyDatabase(source, target, plans, {
      sourceId: sourceId(options.from),
      batch: options.batch,
      force: options.force,
      ...(progress ? { progress } : {}),
    });
    printReport(reports, out);
    const bad = reports.filter((r) => !r.ok);
    if (bad.length) {
      out.error(`reef: ${bad.length} table(s) differ after the copy: ${bad.map((r) => r.table).join(', ')}`);
      // Rows already on the target are kept, never rewritten: a source that changed after an
      // earlier run copied them stays different however often this runs again.
      out.error(
        `reef: rows already on the target are kept as they are: the source changed after an earlier run copied them (was a host running on it?)${options.force ? ', or the target held other rows under the same keys (--force)' : ''}; with every host stopped, copy again into an empty target (a new database, or drop its tables)`,
      );
      return 1;
    }
    out.log(`Verified: every table has the same rows and checksum on both sides.`);
    return 0;
  } finally {
    await source?.close();
    await target?.close();
    lock?.release();
  }
}

/**
 * A host still running on the source would go on acknowledging work the copy does not have, and
 * one started during the copy would too: the copy holds the data dir's host lock while it runs.
 * Where the lock cannot be written (a read-only copy of a data dir), no host can be writing there.
 */
function lockSourceDir(dir: string, file: string): InstanceLock | undefined {
  try {
    return lockDataDir(dir);
  } catch (err) {
    if (err instanceof DataDirInUseError) {
      throw new Error(
        `a Reef host (pid ${err.pid}) is running in ${dir}, the folder of ${file}; stop it first (Ctrl-C), so that nothing it acknowledges is left behind after the copy`,
      );
    }
    return undefined;
  }
}

function printReport(reports: TableReport[], out: { log: (s: string) => void }): void {
  const width = Math.max(...reports.map((r) => r.table.length), 5);
  out.log(`${'table'.padEnd(width)}  ${'source'.padStart(9)}  ${'target'.padStart(9)}  ${'copied'.padStart(9)}  checksum`);
  for (const r of reports) {
    const sum = r.sourceChecksum === r.targetChecksum ? `${r.sourceChecksum} ok` : `${r.sourceChecksum} ≠ ${r.targetChecksum}`;
    out.log(`${r.table.padEnd(width)}  ${String(r.sourceRows).padStart(9)}  ${String(r.targetRows).padStart(9)}  ${String(r.copied).padStart(9)}  ${sum}`);
  }
}
