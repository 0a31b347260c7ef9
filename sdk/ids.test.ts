import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, sortableId } from './ids.js';

describe('sortableId', () => {
  it('sorts in the order made, within a millisecond and when the clock steps back', () => {
    const ids = [sortableId('t', 5000), sortableId('t', 5000), sortableId('t', 4000), sortableId('t', 6000), sortableId('t', 6000)];
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(/^t_[0-9a-z]{9}[0-9a-z]{4}[0-9a-f]{12}$/);
  });

  it('keeps the prefix', () => {
    expect(sortableId('ap')).toMatch(/^ap_/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: undefined, x: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[2,{"x":null,"z":1}]},"b":1}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('gives equal text for equal values whatever the key order, and parses back to the value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const shuffled = JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).reverse()) : x))) as unknown;
        expect(canonicalJson(shuffled)).toBe(canonicalJson(v));
        expect(JSON.parse(canonicalJson(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });
});
