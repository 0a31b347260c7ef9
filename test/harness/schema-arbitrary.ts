/**
 * fast-check arbitraries read off a zod request schema (through its JSON Schema), mixing values
 * the schema declares with the ones an attacker tries at its edges: numbers past each bound,
 * 1e308, -0, Infinity, strings with NUL or a lone surrogate, one unit over a max length.
 */
import fc from 'fast-check';
import { z } from 'zod';

type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
};

/** Per property name (anywhere in the tree): an arbitrary that replaces the one read off the schema. */
export type Overrides = Record<string, fc.Arbitrary<unknown>>;

const edgeNumbers = [-0, 0.5, 1e308, -1e308, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 2, 8.64e15 + 1, -8.64e15 - 1, 2 ** 63];

/** Code units that a database or UTF-8 may not carry, and some that are merely unusual. */
const awkwardUnit = fc.constantFrom('\u0000', '\ud800', '\udfff', '\ud83d', '\ude00', '😀', 'é', '\u202e', '\uffff', ' ', '%', "'", '"', '\\');

/** Strings of min..max UTF-16 units: plain, any Unicode, or laced with awkward units. */
export function text(minLength = 0, maxLength = 200): fc.Arbitrary<string> {
  const max = Math.min(maxLength, 40);
  const min = Math.min(minLength, max);
  return fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength: min, maxLength: max }) },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: max }) },
    { weight: 2, arbitrary: fc.string({ unit: fc.oneof(fc.constantFrom('a', 'Z', '0'), awkwardUnit), minLength: Math.max(min, 1), maxLength: Math.max(max, 1) }) },
    { weight: 1, arbitrary: fc.constantFrom('x'.repeat(maxLength), 'x'.repeat(maxLength + 1), '😀'.repeat(Math.ceil(maxLength / 2)), '') },
  );
}

/** Any JSON value, some with awkward strings, -0 and huge numbers in them. */
export const jsonLike: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.letrec((tie) => ({ v: fc.oneof({ depthSize: 'small' }, text(0, 20), fc.constantFrom(...edgeNumbers, null, true), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(text(0, 8), tie('v'), { maxKeys: 3 })) })).v },
);

function numberArb(s: JsonSchema): fc.Arbitrary<unknown> {
  const lo = Math.max(s.minimum ?? Number.MIN_SAFE_INTEGER, Number.MIN_SAFE_INTEGER);
  const hi = Math.min(s.maximum ?? Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  const inRange = s.type === 'integer' ? fc.integer({ min: lo, max: hi }) : fc.double({ min: lo, max: hi, noNaN: true });
  const edges = [lo, hi, lo - 1, hi + 1, ...edgeNumbers];
  return fc.oneof({ weight: 5, arbitrary: inRange }, { weight: 2, arbitrary: fc.constantFrom(...edges) }, { weight: 1, arbitrary: fc.constantFrom(String(lo), null) });
}

function stringArb(s: JsonSchema): fc.Arbitrary<unknown> {
  if (s.enum) return fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...s.enum) }, { weight: 1, arbitrary: text(0, 10) });
  if (s.pattern) {
    const valid = fc.stringMatching(new RegExp(s.pattern));
    return fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: text(0, 70) });
  }
  return text(s.minLength ?? 0, s.maxLength ?? 200);
}

function objectArb(s: JsonSchema, overrides: Overrides): fc.Arbitrary<unknown> {
  const props = s.properties ?? {};
  const names = Object.keys(props);
  if (names.length === 0 && typeof s.additionalProperties === 'object') {
    const key = s.propertyNames ? stringArb(s.propertyNames) : text(0, 20);
    return fc.dictionary(key as fc.Arbitrary<string>, arbitraryFromJsonSchema(s.additionalProperties, overrides), { maxKeys: 5 });
  }
  const record = fc.record(Object.fromEntries(names.map((n) => [n, overrides[n] ?? arbitraryFromJsonSchema(props[n] as JsonSchema, overrides)])), {
    requiredKeys: s.required?.filter((k) => names.includes(k)) ?? [],
  });
  // Now and then a field the schema does not know, which a strict schema refuses.
  return fc.oneof({ weight: 8, arbitrary: record }, { weight: 1, arbitrary: record.map((r) => ({ ...(r as object), unexpected: 1 })) });
}

export function arbitraryFromJsonSchema(s: JsonSchema, overrides: Overrides = {}): fc.Arbitrary<unknown> {
  if (s.anyOf) return fc.oneof(...s.anyOf.map((o) => arbitraryFromJsonSchema(o, overrides)));
  if (s.const !== undefined) return fc.constant(s.const);
  switch (Array.isArray(s.type) ? s.type[0] : s.type) {
    case 'object':
      return objectArb(s, overrides);
    case 'array': {
      const items = s.items ? arbitraryFromJsonSchema(s.items, overrides) : jsonLike;
      const maxLength = Math.min(s.maxItems ?? 5, 5);
      return fc.array(items, { minLength: Math.min(s.minItems ?? 0, maxLength), maxLength });
    }
    case 'string':
      return stringArb(s);
    case 'integer':
    case 'number':
      return numberArb(s);
    case 'boolean':
      return fc.oneof({ weight: 6, arbitrary: fc.boolean() }, { weight: 1, arbitrary: fc.constantFrom('true', 0) });
    case 'null':
      return fc.constant(null);
    default:
      return jsonLike;
  }
}

/** Arbitrary request bodies for `schema` (its input side), with `overrides` for chosen fields. */
export function arbitraryFromSchema(schema: z.ZodType, overrides: Overrides = {}): fc.Arbitrary<unknown> {
  return arbitraryFromJsonSchema(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema, overrides);
}

/**
 * JSON as a hostile client may write it: -0 stays "-0" and ±Infinity becomes 1e999 (which
 * JSON.parse reads as Infinity), where JSON.stringify would quietly write 0 and null.
 */
export function wireJson(value: unknown): string {
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return '-0';
    if (value === Infinity) return '1e999';
    if (value === -Infinity) return '-1e999';
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : wireJson(v))).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${wireJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
