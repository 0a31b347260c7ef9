/** Finds plugin folders and validates their manifests without running any plugin code. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { MANIFEST_FILE, ManifestSchema, REEF_VERSION, describeIssues, engineSatisfies, type Manifest } from '../../sdk/index.js';
import { type ManifestProblem } from '../../sdk/contract.js';

export interface DiscoveredPlugin {
  manifest: Manifest;
  dir: string;
  builtin: boolean;
}

export interface Discovery {
  plugins: DiscoveredPlugin[];
  /** One entry per manifest that could not be used; the others still load. */
  problems: ManifestProblem[];
}

export function readManifest(file: string, hostVersion: string = REEF_VERSION): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) throw new Error(describeIssues(parsed.error.issues));
  const manifest = parsed.data;
  if (!engineSatisfies(manifest.engines.reef, hostVersion)) {
    throw new Error(`engines.reef: needs Reef ${manifest.engines.reef}, this is ${hostVersion}`);
  }
  for (const cmd of manifest.contributes.commands) {
    if (cmd.panel && !manifest.contributes.panels.some((p) => p.id === cmd.panel)) {
      throw new Error(`contributes.commands.${cmd.id}.panel: no panel "${cmd.panel}" in contributes.panels`);
    }
  }
  if (manifest.host && !existsSync(path.join(path.dirname(file), manifest.host))) {
    throw new Error(`host: file ${manifest.host} does not exist`);
  }
  return manifest;
}

/** A broken link or unreadable entry in a plugins folder is not a plugin; it must not stop the host. */
function isDirectory(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export function discoverPlugins(roots: ReadonlyArray<{ dir: string; builtin: boolean }>, hostVersion?: string): Discovery {
  const plugins: DiscoveredPlugin[] = [];
  const problems: ManifestProblem[] = [];
  const byId = new Map<string, string>();
  for (const root of roots) {
    if (!existsSync(root.dir)) continue;
    for (const name of readdirSync(root.dir).sort()) {
      const dir = path.join(root.dir, name);
      const file = path.join(dir, MANIFEST_FILE);
      if (!isDirectory(dir) || !existsSync(file)) continue;
      try {
        const manifest = readManifest(file, hostVersion);
        const clash = byId.get(manifest.id);
        if (clash) throw new Error(`id: "${manifest.id}" is already used by ${clash}`);
        byId.set(manifest.id, file);
        plugins.push({ manifest, dir, builtin: root.builtin });
      } catch (err) {
        problems.push({ file, message: err instanceof Error ? err.message : String(err) });
      }
    }
  }
  return { plugins, problems };
}
