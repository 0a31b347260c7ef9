/** Bus subjects: NATS syntax (dot-separated tokens, `*` one token, `>` the rest). */

/** @since 0.1.0 */
export const SUBJECT_PREFIX = 'reef.v1';

const TOKEN = /^[A-Za-z0-9_\-:$]+$/;

/** True when `subject` is a concrete subject (no wildcards) that a message can be sent on. @since 0.1.0 */
export function isValidSubject(subject: string): boolean {
  if (subject.length === 0 || subject.length > 256) return false;
  return subject.split('.').every((t) => TOKEN.test(t));
}

/** True when `pattern` is a valid subscription pattern (tokens, `*`, `>` only last). @since 0.1.0 */
export function isValidPattern(pattern: string): boolean {
  if (pattern.length === 0 || pattern.length > 256) return false;
  const tokens = pattern.split('.');
  return tokens.every((t, i) => t === '*' || (t === '>' && i === tokens.length - 1) || TOKEN.test(t));
}

/** NATS matching: does the concrete `subject` fall under `pattern`? @since 0.1.0 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === '>') return s.length > i;
    if (i >= s.length) return false;
    if (tok !== '*' && tok !== s[i]) return false;
  }
  return p.length === s.length;
}

/**
 * Does every subject that `inner` can match also match `outer`? Used to check that a
 * subscription pattern stays inside what a plugin's permissions allow.
 * @since 0.1.0
 */
export function patternCovers(outer: string, inner: string): boolean {
  const o = outer.split('.');
  const n = inner.split('.');
  for (let i = 0; i < o.length; i++) {
    const ot = o[i];
    const nt = n[i];
    if (ot === '>') return nt !== undefined;
    if (nt === undefined) return false;
    if (nt === '>') return false;
    if (ot === '*') continue;
    if (nt === '*' || nt !== ot) return false;
  }
  return o.length === n.length;
}

/**
 * Can some subject match both patterns? Used to refuse a plugin whose `serve` grant reaches
 * into another plugin's subjects (`reef.v1.queue.>` overlaps `reef.v1.*.x`: `reef.v1.queue.x`).
 * @since 0.2.0
 */
export function patternsOverlap(a: string, b: string): boolean {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; ; i++) {
    const xt = x[i];
    const yt = y[i];
    // `>` stands for one or more tokens, so it meets whatever the other still has, if anything.
    if (xt === '>') return yt !== undefined;
    if (yt === '>') return xt !== undefined;
    if (xt === undefined || yt === undefined) return xt === yt;
    if (xt !== '*' && yt !== '*' && xt !== yt) return false;
  }
}

/** `reef.v1.events.<kind>...` for an event kind. @since 0.1.0 */
export function eventSubject(...tokens: string[]): string {
  return [SUBJECT_PREFIX, 'events', ...tokens].join('.');
}
