// Builds better-sqlite3 for Electron's ABI into native/electron-<version>-<platform>-<arch>/, leaving
// the Node build in node_modules (used by tests and `reef serve`) untouched.
//
//   node scripts/build-electron-sqlite.mjs [--electron-version V] [--arch A] [--force]
//        [--dist-url URL] [--devdir DIR] [--nodedir DIR] [--print-target]
//
// It needs Electron's headers: downloaded from --dist-url into --devdir (~/.electron-gyp, shared with
// @electron/rebuild), or already unpacked in --nodedir for machines without network access.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(path.join(root, 'package.json'));
const DEFAULT_DIST_URL = 'https://electronjs.org/headers';

class BuildError extends Error {}

/** Must match electronBindingPath() in main/db/sqlite-binding.ts (its test checks the two agree). */
function bindingTarget(version, platform, arch) {
  return path.join(root, 'native', `electron-${version}-${platform}-${arch}`, 'better_sqlite3.node');
}

function installedElectronVersion() {
  try {
    return JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version;
  } catch {
    throw new BuildError('the electron package is not installed (run npm ci), and no --electron-version was given');
  }
}

function nodeGyp() {
  try {
    return require.resolve('node-gyp/bin/node-gyp.js');
  } catch {
    throw new BuildError('node-gyp is not installed (it comes with npm; run npm ci)');
  }
}

function tail(text, lines = 15) {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Fetches the headers first, on their own, so "no network" is told apart from a compile error. */
function fetchHeaders({ gyp, version, arch, distUrl, devdir }) {
  const result = spawnSync(
    process.execPath,
    [gyp, 'install', `--target=${version}`, `--arch=${arch}`, `--dist-url=${distUrl}`, `--devdir=${devdir}`, '--ensure'],
    { encoding: 'utf8', env: process.env },
  );
  if (result.status === 0) return;
  const tarball = `${distUrl}/v${version}/node-v${version}-headers.tar.gz`;
  throw new BuildError(
    [
      `could not download the headers of Electron ${version} from ${tarball}.`,
      'This machine cannot reach that address (offline or blocked), so better-sqlite3 cannot be built for Electron here.',
      `Run this script where ${distUrl} is reachable, or download that tarball elsewhere, unpack it and pass --nodedir <the unpacked folder>.`,
      '',
      'node-gyp said:',
      tail(`${result.stdout ?? ''}\n${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`),
    ].join('\n'),
  );
}

function compile({ gyp, version, arch, distUrl, devdir, nodedir }) {
  const work = mkdtempSync(path.join(os.tmpdir(), 'reef-electron-sqlite-'));
  try {
    const source = path.dirname(require.resolve('better-sqlite3/package.json'));
    const copy = path.join(work, 'better-sqlite3');
    // A copy, so the Node build in node_modules/better-sqlite3/build is never overwritten.
    cpSync(source, copy, { recursive: true, filter: (p) => path.relative(source, p).split(path.sep)[0] !== 'build' });
    const args = [gyp, 'rebuild', '--release', '--runtime=electron', `--target=${version}`, `--arch=${arch}`, `--jobs=${os.availableParallelism()}`];
    args.push(...(nodedir ? [`--nodedir=${nodedir}`] : [`--dist-url=${distUrl}`, `--devdir=${devdir}`]));
    console.log(`building better-sqlite3 for Electron ${version} (${process.platform}-${arch}) in ${copy}`);
    const result = spawnSync(process.execPath, args, { cwd: copy, stdio: 'inherit', env: process.env });
    if (result.status !== 0) throw new BuildError(`node-gyp rebuild failed (exit ${result.status ?? result.signal}); its output is above`);
    const built = path.join(copy, 'build', 'Release', 'better_sqlite3.node');
    if (!existsSync(built)) throw new BuildError(`node-gyp succeeded but ${built} is missing`);
    return { built, cleanup: () => rmSync(work, { recursive: true, force: true }) };
  } catch (err) {
    rmSync(work, { recursive: true, force: true });
    throw err;
  }
}

/** Loads the binding in Electron's own Node when the Electron binary is there; says so when it is not. */
function checkLoads(target) {
  const pkgDir = path.dirname(require.resolve('electron/package.json'));
  const pathFile = path.join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) {
    console.log('not load-checked: the Electron binary was not downloaded (node_modules/electron/path.txt is missing)');
    return;
  }
  const binary = path.join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  const result = spawnSync(binary, ['-e', `require(${JSON.stringify(target)})`], {
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
  });
  if (result.status !== 0) throw new BuildError(`the new build does not load in Electron:\n${tail(`${result.stdout}\n${result.stderr}`)}`);
  console.log('load-checked in Electron: ok');
}

function main(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'electron-version': { type: 'string' },
      arch: { type: 'string' },
      'dist-url': { type: 'string' },
      devdir: { type: 'string' },
      nodedir: { type: 'string' },
      force: { type: 'boolean' },
      'print-target': { type: 'boolean' },
    },
  });
  const version = values['electron-version'] ?? installedElectronVersion();
  if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) throw new BuildError(`"${version}" is not an Electron version like 38.8.6`);
  const arch = values.arch ?? process.arch;
  const target = bindingTarget(version, process.platform, arch);
  if (values['print-target']) {
    console.log(target);
    return;
  }
  if (existsSync(target) && !values.force) {
    console.log(`already built: ${target} (use --force to rebuild)`);
    return;
  }
  const options = {
    gyp: nodeGyp(),
    version,
    arch,
    distUrl: (values['dist-url'] ?? DEFAULT_DIST_URL).replace(/\/+$/, ''),
    devdir: path.resolve(values.devdir ?? path.join(os.homedir(), '.electron-gyp')),
    nodedir: values.nodedir ? path.resolve(values.nodedir) : undefined,
  };
  if (!options.nodedir) fetchHeaders(options);
  const { built, cleanup } = compile(options);
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(built, target);
  } finally {
    cleanup();
  }
  console.log(`wrote ${target}`);
  checkLoads(target);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  if (!(err instanceof BuildError) && !(err instanceof TypeError && 'code' in err)) throw err;
  console.error(`build-electron-sqlite: ${err.message}`);
  process.exitCode = 1;
}
