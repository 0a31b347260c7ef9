/**
 * Checked once before any suite runs: which system packages the tests launch are missing,
 * with one line each saying how to install them, and whether the run must stop.
 */
import { isExecutable, type Availability } from './binaries.js';
import { natsAvailability } from './nats.js';
import { postgresAvailability } from './postgres.js';

export type SystemPackage = 'chromium' | 'nats-server' | 'postgresql';

/** Where to look; tests pass fake folders and environments. */
export interface PreflightContext {
  env: NodeJS.ProcessEnv;
  /** Folders searched for nats-server before PATH (the harness's own list when omitted). */
  natsDirs?: readonly string[];
  /** Where PostgreSQL's versioned bin folders live (`/usr/lib/postgresql` when omitted). */
  postgresBase?: string;
}

export interface PreflightResult {
  /** One line per missing package, to print before anything else. */
  lines: string[];
  /** True when the run must stop now: under CI=true, or when a package every test needs is missing. */
  stop: boolean;
}

interface PackageFacts {
  /** What to set instead of installing it. */
  override: string;
  /** What happens to a local run without it. */
  without: string;
  check(where: PreflightContext): Availability;
}

/** The Chromium the e2e tests drive: Debian's, or REEF_CHROMIUM. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.REEF_CHROMIUM ?? '/usr/bin/chromium';
}

const PACKAGES: Record<SystemPackage, PackageFacts> = {
  chromium: {
    override: 'REEF_CHROMIUM to its path',
    without: 'the e2e tests (Playwright) cannot run',
    check: ({ env }) => {
      const file = chromiumPath(env);
      return isExecutable(file) ? { ok: true } : { ok: false, reason: `no executable ${file}` };
    },
  },
  'nats-server': {
    override: 'REEF_TEST_NATS_SERVER to its path',
    without: 'the NATS suites are skipped',
    check: ({ env, natsDirs }) => {
      const named = env.REEF_TEST_NATS_SERVER;
      // The harness takes this variable on trust; a wrong one would fail every NATS suite at launch.
      if (named && !isExecutable(named)) return { ok: false, reason: `REEF_TEST_NATS_SERVER=${named} is not an executable` };
      const found = natsDirs ? natsAvailability(env, natsDirs) : natsAvailability(env);
      return found.ok ? found : { ok: false, reason: 'no nats-server in /usr/sbin, /usr/local/bin or on PATH' };
    },
  },
  postgresql: {
    override: 'REEF_TEST_PG_URL to a server',
    without: 'the PostgreSQL suites are skipped',
    check: ({ env, postgresBase }) => {
      const found = postgresAvailability(env, postgresBase);
      return found.ok ? found : { ok: false, reason: 'no initdb and pg_ctl in /usr/lib/postgresql/*/bin or on PATH' };
    },
  },
};

/**
 * Checks `packages`. A missing one stops the run under CI=true (a CI run that skipped its
 * integration tests proves nothing) or when it is in `essential` (every test of this runner
 * needs it); otherwise the suites needing it skip, and the line says so.
 */
export function preflight(
  packages: readonly SystemPackage[],
  where: PreflightContext,
  essential: readonly SystemPackage[] = [],
): PreflightResult {
  const missing = packages.flatMap((pkg) => {
    const found = PACKAGES[pkg].check(where);
    return found.ok ? [] : [{ pkg, reason: found.reason }];
  });
  const ci = where.env.CI === 'true';
  const stop = missing.length > 0 && (ci || missing.some((m) => essential.includes(m.pkg)));
  const outcome = (pkg: SystemPackage): string => {
    if (!stop) return `until then ${PACKAGES[pkg].without}`;
    return ci ? 'CI=true, so the run stops here' : essential.includes(pkg) ? 'every test here needs it, so the run stops here' : 'the run stops here';
  };
  const lines = missing.map(
    ({ pkg, reason }) =>
      `reef tests: ${pkg} is not installed (${reason}): apt-get install ${pkg} (Debian), or set ${PACKAGES[pkg].override}; ${outcome(pkg)}`,
  );
  return { lines, stop };
}
