import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventSubject, isValidPattern, isValidSubject, patternCovers, patternsOverlap, subjectMatches } from './subjects.js';

describe('subjects', () => {
  it('accepts concrete subjects and refuses wildcards, empty tokens and odd characters', () => {
    for (const ok of ['reef', 'reef.v1.tasks.claim', 'a-b_c:d$e.F9']) expect(isValidSubject(ok), ok).toBe(true);
    for (const bad of ['', 'reef.*', 'reef.>', 'reef..v1', '.reef', 'reef.', 'reef v1', 'reef.v1/x', 'x'.repeat(257)]) {
      expect(isValidSubject(bad), bad).toBe(false);
    }
  });

  it('accepts patterns with * anywhere and > only last', () => {
    for (const ok of ['>', '*', 'reef.*.x', 'reef.v1.>', '*.*.>']) expect(isValidPattern(ok), ok).toBe(true);
    for (const bad of ['', 'reef.>.x', '>.>', 'reef..x', 'reef.a*', 're>ef', 'reef.**']) expect(isValidPattern(bad), bad).toBe(false);
  });

  it.each([
    ['reef.v1.tasks.claim', 'reef.v1.tasks.claim', true],
    ['reef.v1.tasks.claim', 'reef.v1.tasks.complete', false],
    ['reef.*.tasks', 'reef.v1.tasks', true],
    ['reef.*', 'reef.v1.tasks', false],
    ['reef.>', 'reef.v1.tasks', true],
    ['reef.>', 'reef', false],
    ['>', 'anything.at.all', true],
    ['reef.v1', 'reef.v1.tasks', false],
    ['reef.v1.tasks', 'reef.v1', false],
    ['*.*', 'a.b', true],
  ])('subjectMatches(%s, %s) is %s', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });

  it.each([
    ['reef.v1.>', 'reef.v1.tasks.*', true],
    ['reef.v1.>', 'reef.v1.>', true],
    ['reef.v1.*', 'reef.v1.>', false],
    ['reef.*.x', 'reef.v1.x', true],
    ['reef.v1.x', 'reef.*.x', false],
    ['*.>', '>', false],
    ['>', '*', true],
    ['reef.v1.>', 'reef.v1', false],
  ])('patternCovers(%s, %s) is %s', (outer, inner, expected) => {
    expect(patternCovers(outer, inner)).toBe(expected);
  });

  it.each([
    ['reef.v1.queue.>', 'reef.v1.queue.tasks.get', true],
    ['reef.v1.queue.>', 'reef.v1.*.x', true],
    ['reef.v1.queue.>', 'reef.v1.queue', false],
    ['reef.v1.queue.>', 'reef.v1.tasks.>', false],
    ['reef.v1.*', 'reef.v1.*.x', false],
    ['reef.v1.*.x', 'reef.v1.queue.*', true],
    ['reef.v1.a.x', 'reef.v1.b.x', false],
    ['reef.*.>', 'reef.v1', false],
    ['reef.*.>', '*.v1.x', true],
    ['>', 'reef', true],
    ['>', '>', true],
    ['*', 'reef.v1', false],
    ['reef.v1', 'reef.v1', true],
  ])('patternsOverlap(%s, %s) is %s', (a, b, expected) => {
    expect(patternsOverlap(a, b)).toBe(expected);
    expect(patternsOverlap(b, a)).toBe(expected);
  });

  it('builds event subjects under the protocol prefix', () => {
    expect(eventSubject('task', 'leased')).toBe('reef.v1.events.task.leased');
  });
});

// Properties: a small alphabet so that random patterns and subjects actually overlap.
const literal = fc.constantFrom('a', 'b', 'c');
const subjectArb = fc.array(literal, { minLength: 1, maxLength: 5 }).map((t) => t.join('.'));
const patternArb = fc
  .tuple(fc.array(fc.oneof(literal, fc.constant('*')), { minLength: 1, maxLength: 5 }), fc.boolean())
  .map(([tokens, tail]) => (tail ? [...tokens.slice(0, -1), '>'] : tokens).join('.'));

/** A concrete subject the pattern matches, wildcards filled from `fill`. */
function instantiate(pattern: string, fill: string[][]): string {
  let k = 0;
  return pattern
    .split('.')
    .flatMap((t) => (t === '*' ? [fill[k++]?.[0] ?? 'a'] : t === '>' ? (fill[k++] ?? ['a']) : [t]))
    .join('.');
}

const fillArb = fc.array(fc.array(fc.constantFrom('a', 'b', 'c', 'z'), { minLength: 1, maxLength: 4 }), {
  minLength: 6,
  maxLength: 6,
});

describe('subject properties', () => {
  it('every generated subject and pattern is valid', () => {
    fc.assert(fc.property(subjectArb, (s) => isValidSubject(s)));
    fc.assert(fc.property(patternArb, (p) => isValidPattern(p)));
  });

  it('a pattern matches every subject made from it', () => {
    fc.assert(fc.property(patternArb, fillArb, (p, fill) => subjectMatches(p, instantiate(p, fill))));
  });

  it('for a concrete subject, covering is matching', () => {
    fc.assert(fc.property(patternArb, subjectArb, (p, s) => patternCovers(p, s) === subjectMatches(p, s)));
  });

  it('sound: when outer covers inner, outer matches every subject inner matches', () => {
    fc.assert(
      fc.property(patternArb, patternArb, fillArb, (outer, inner, fill) => {
        fc.pre(patternCovers(outer, inner));
        return subjectMatches(outer, instantiate(inner, fill));
      }),
      { numRuns: 500 },
    );
  });

  it('complete: when outer does not cover inner, some subject of inner escapes outer', () => {
    fc.assert(
      fc.property(patternArb, patternArb, (outer, inner) => {
        fc.pre(!patternCovers(outer, inner));
        // "z" never occurs in generated patterns; ">" as one token or as more tokens than outer has.
        const long = Array(outer.split('.').length + 1).fill('z');
        const witnesses = [instantiate(inner, Array(6).fill(['z'])), instantiate(inner, Array(6).fill(long))];
        return witnesses.some((s) => subjectMatches(inner, s) && !subjectMatches(outer, s));
      }),
      { numRuns: 500 },
    );
  });

  // Patterns have at most 5 tokens over a, b, c: a subject both match, if there is one, is among these.
  const universe = [1, 2, 3, 4, 5].flatMap((n) =>
    Array.from({ length: 3 ** n }, (_, k) =>
      Array.from({ length: n }, (_, i) => ['a', 'b', 'c'][Math.floor(k / 3 ** i) % 3]).join('.'),
    ),
  );

  it('overlap is exact: true iff some subject matches both patterns', () => {
    fc.assert(
      fc.property(patternArb, patternArb, (a, b) => patternsOverlap(a, b) === universe.some((s) => subjectMatches(a, s) && subjectMatches(b, s))),
      { numRuns: 1000 },
    );
  });

  it('overlap is symmetric, reflexive, and implied by covering', () => {
    fc.assert(fc.property(patternArb, patternArb, (a, b) => patternsOverlap(a, b) === patternsOverlap(b, a)));
    fc.assert(fc.property(patternArb, (p) => patternsOverlap(p, p)));
    fc.assert(
      fc.property(patternArb, patternArb, (a, b) => {
        fc.pre(patternCovers(a, b));
        return patternsOverlap(a, b);
      }),
    );
  });

  it('for a concrete subject, overlapping is matching', () => {
    fc.assert(fc.property(patternArb, subjectArb, (p, s) => patternsOverlap(p, s) === subjectMatches(p, s)));
  });

  it('covering is reflexive and transitive', () => {
    fc.assert(fc.property(patternArb, (p) => patternCovers(p, p)));
    fc.assert(
      fc.property(patternArb, patternArb, patternArb, (a, b, c) => {
        fc.pre(patternCovers(a, b) && patternCovers(b, c));
        return patternCovers(a, c);
      }),
    );
  });
});
