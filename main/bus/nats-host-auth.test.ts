// Host request signatures: what a sniffer who saw signed requests still cannot do.
import { describe, expect, it } from 'vitest';
import { ReefError } from '../../sdk/index.js';
import { HostRequestAuth, type SignedRequest } from './nats-host-auth.js';

const SECRET = 'a-bus-secret-of-enough-length';
const body = new TextEncoder().encode('{"queue":"build"}');
const request: SignedRequest = { subject: 'reef.v1.queues.list', reply: '_INBOX.abc', caller: '{"kind":"agent","id":"forge"}', timeoutMs: '5000', body };

function refusal(fn: () => void): ReefError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ReefError);
    return err as ReefError;
  }
  throw new Error('expected a refusal');
}

describe('HostRequestAuth', () => {
  it('a request signed by a host of the same database verifies once', () => {
    let now = 1_000_000;
    const signer = new HostRequestAuth(SECRET, { now: () => now });
    const verifier = new HostRequestAuth(SECRET, { now: () => now });
    const sig = signer.sign(request);
    expect(sig.sig).not.toContain(SECRET);
    verifier.verify(request, sig);
    now += 10;
    // The same request again is a replay, even inside the window.
    expect(refusal(() => verifier.verify(request, sig)).message).toMatch(/already received/);
  });

  it('changing any signed field breaks the signature: subject, reply subject, caller, deadline, body', () => {
    const signer = new HostRequestAuth(SECRET);
    const sig = signer.sign(request);
    const changes: Array<Partial<SignedRequest>> = [
      { subject: 'reef.v1.queues.pause' },
      { reply: '_INBOX.sniffer' },
      { caller: '{"kind":"operator","id":"operator"}' },
      { caller: '' },
      { timeoutMs: '60000' },
      { body: new TextEncoder().encode('{"queue":"deploy"}') },
    ];
    for (const change of changes) {
      const err = refusal(() => new HostRequestAuth(SECRET).verify({ ...request, ...change }, sig));
      expect(err.code).toBe('unauthorized');
      expect(err.message).toMatch(/signature does not match/);
    }
    // Another database's hosts have another key.
    expect(refusal(() => new HostRequestAuth('another-secret-of-enough-length').verify(request, sig)).code).toBe('unauthorized');
    expect(refusal(() => new HostRequestAuth(SECRET).verify(request, { ts: sig.ts, nonce: sig.nonce })).message).toMatch(/needs Reef-Host-Sig/);
  });

  it('refuses a timestamp outside the window either way, naming the clocks as a cause', () => {
    let now = 5_000_000;
    const signer = new HostRequestAuth(SECRET, { now: () => now });
    const old = signer.sign(request);
    now += 31_000;
    const verifier = new HostRequestAuth(SECRET, { now: () => now, windowMs: 30_000 });
    expect(refusal(() => verifier.verify(request, old)).message).toMatch(/31 s from this host's clock.*NTP/);
    now += 62_000;
    const future = signer.sign(request);
    now -= 62_000;
    expect(refusal(() => verifier.verify(request, future)).message).toMatch(/-62 s/);
  });

  it('forgets nonces once their timestamps have left the window, so memory stays bounded', () => {
    let now = 0;
    const auth = new HostRequestAuth(SECRET, { now: () => now, windowMs: 1000 });
    for (let i = 0; i < 100; i++) {
      now += 100;
      auth.verify(request, auth.sign(request));
    }
    expect(auth.remembered()).toBeLessThanOrEqual(11);
  });
});
