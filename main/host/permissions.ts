/** Checks every bus call a plugin makes against the permissions its manifest declares. */
import { ReefError, patternCovers, subjectMatches, type Manifest } from '../../sdk/index.js';

export type BusAction = 'serve' | 'request' | 'publish' | 'subscribe';

const VERB: Record<BusAction, string> = {
  serve: 'serve',
  request: 'send requests on',
  publish: 'publish on',
  subscribe: 'subscribe to',
};

export function allowed(manifest: Manifest, action: BusAction, subjectOrPattern: string): boolean {
  const granted = manifest.permissions.bus[action];
  // serve and subscribe take patterns: the whole pattern must stay inside a grant.
  if (action === 'serve' || action === 'subscribe') return granted.some((g) => patternCovers(g, subjectOrPattern));
  return granted.some((g) => subjectMatches(g, subjectOrPattern));
}

export function assertAllowed(manifest: Manifest, action: BusAction, subjectOrPattern: string): void {
  if (allowed(manifest, action, subjectOrPattern)) return;
  throw new ReefError(
    'forbidden',
    `plugin ${manifest.id} may not ${VERB[action]} "${subjectOrPattern}": permissions.bus.${action} in its manifest does not include it`,
    { plugin: manifest.id, permission: `bus.${action}`, subject: subjectOrPattern },
  );
}
