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
