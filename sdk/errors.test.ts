import { describe, expect, it } from 'vitest';
import { ReefError, describeIssues } from './errors.js';

describe('ReefError', () => {
  it('maps each code to the HTTP status of PROTOCOL.md', () => {
    expect(new ReefError('invalid_request', 'x').httpStatus).toBe(400);
    expect(new ReefError('unauthorized', 'x').httpStatus).toBe(401);
    expect(new ReefError('too_large', 'x').httpStatus).toBe(413);
    expect(new ReefError('unavailable', 'x').httpStatus).toBe(503);
  });

  it('round-trips through its wire body, details included', () => {
    const e = new ReefError('busy', 'queue full', { retryAfterMs: 500 });
    expect(e.toBody()).toEqual({ error: { code: 'busy', message: 'queue full', details: { retryAfterMs: 500 } } });
    const back = ReefError.fromBody(JSON.parse(JSON.stringify(e.toBody())));
    expect(back).toBeInstanceOf(ReefError);
    expect([back?.code, back?.message, back?.details]).toEqual(['busy', 'queue full', { retryAfterMs: 500 }]);
    expect(new ReefError('conflict', 'x').toBody()).toEqual({ error: { code: 'conflict', message: 'x' } });
  });

  it('fromBody: an unknown code becomes internal; a body that is not an error gives undefined', () => {
    expect(ReefError.fromBody({ error: { code: 'teapot', message: 'short and stout' } })?.code).toBe('internal');
    for (const notAnError of [null, 'x', {}, { error: null }, { error: { code: 1, message: 'x' } }, { error: { code: 'busy' } }]) {
      expect(ReefError.fromBody(notAnError)).toBeUndefined();
    }
  });

  it('from: keeps ReefErrors, wraps other errors and thrown values as internal', () => {
    const e = new ReefError('forbidden', 'no');
    expect(ReefError.from(e)).toBe(e);
    expect(ReefError.from(new Error('disk'))).toMatchObject({ code: 'internal', message: 'disk' });
    // A ReefError from a plugin's own copy of the SDK (another class) keeps its code.
    class BundledReefError extends Error {
      readonly code = 'invalid_request';
      readonly details = { field: 'queue' };
      constructor(message: string) {
        super(message);
        this.name = 'ReefError';
      }
    }
    const copied = ReefError.from(new BundledReefError('queue: required'));
    expect(copied).toBeInstanceOf(ReefError);
    expect([copied.code, copied.httpStatus, copied.message, copied.details]).toEqual(['invalid_request', 400, 'queue: required', { field: 'queue' }]);
    // Named ReefError but with a code that is not ours: internal.
    const odd = Object.assign(new Error('x'), { name: 'ReefError', code: 'EACCES' });
    expect(ReefError.from(odd).code).toBe('internal');
    expect(ReefError.from('plain')).toMatchObject({ code: 'internal', message: 'plain' });
  });

  it('describeIssues names each field path, or (root)', () => {
    expect(
      describeIssues([
        { path: ['permissions', 'bus', 'serve', 0], message: 'bad pattern' },
        { path: [], message: 'Unrecognized key' },
      ]),
    ).toBe('permissions.bus.serve.0: bad pattern; (root): Unrecognized key');
  });
});
