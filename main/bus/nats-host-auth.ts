/** Host-to-host request signatures on NATS: an HMAC keyed with the hosts' shared bus secret (never sent), with a replay window. */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ReefError } from '../../sdk/index.js';

/** HMAC-SHA256 (base64url) over the fields of SignedRequest, keyed from the bus secret. */
export const HOST_SIG_HEADER = 'Reef-Host-Sig';
/** The signer's clock (epoch ms) when it sent the request. */
export const HOST_TS_HEADER = 'Reef-Host-Ts';
/** 16 random bytes (base64url), so two identical requests still differ and a replayed one is known. */
export const HOST_NONCE_HEADER = 'Reef-Host-Nonce';

/** How far a signed request's timestamp may be from the verifier's clock, either way, by default. */
export const DEFAULT_REPLAY_WINDOW_MS = 30_000;

/** What a signature covers: everything that decides what the request does, who it is for and where its answer goes. */
export interface SignedRequest {
  subject: string;
  /** The reply subject: a copy sent with another one (to read the answer) does not verify. */
  reply: string;
  /** The Reef-Caller header as sent ('' when the host calls as itself). */
  caller: string;
  /** The Reef-Timeout-Ms header as sent ('' when absent). */
  timeoutMs: string;
  body: Uint8Array;
}

export interface HostSignature {
  ts: string;
  nonce: string;
  sig: string;
}

const encoder = new TextEncoder();

/**
 * Signs the requests a host sends and verifies those it serves. Seeing signed requests on the
 * wire gives nothing to forge another: the key never leaves the hosts, a changed subject, body,
 * caller, deadline or reply subject breaks the signature, and the same request sent again is
 * refused (its nonce was seen) or too old (its timestamp left the window).
 */
export class HostRequestAuth {
  private readonly key: Buffer;
  private readonly windowMs: number;
  private readonly now: () => number;
  /** Nonces of accepted requests, with when they may be forgotten (their timestamp left the window). Insertion order ≈ expiry order. */
  private readonly seen = new Map<string, number>();

  constructor(secret: string, options: { windowMs?: number; now?: () => number } = {}) {
    if (secret.length < 16) throw new ReefError('invalid_request', 'the host bus secret must be at least 16 characters');
    // A key of its own, so the secret's use here cannot be confused with any other.
    this.key = createHmac('sha256', secret).update('reef host request signature v1').digest();
    this.windowMs = options.windowMs ?? DEFAULT_REPLAY_WINDOW_MS;
    this.now = options.now ?? Date.now;
  }

  sign(request: SignedRequest): HostSignature {
    const ts = String(this.now());
    const nonce = randomBytes(16).toString('base64url');
    return { ts, nonce, sig: this.mac(request, ts, nonce) };
  }

  /** Throws `unauthorized` (with why) unless the signature is valid, fresh and not seen before; then remembers it. */
  verify(request: SignedRequest, signature: Partial<HostSignature>): void {
    const { ts, nonce, sig } = signature;
    if (!ts || !nonce || !sig) {
      throw new ReefError('unauthorized', `a host-signed request needs ${HOST_SIG_HEADER}, ${HOST_TS_HEADER} and ${HOST_NONCE_HEADER}`);
    }
    const expected = Buffer.from(this.mac(request, ts, nonce), 'base64url');
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new ReefError('unauthorized', `the ${HOST_SIG_HEADER} signature does not match the request (not signed by a host of this database, or changed on the way)`);
    }
    const at = Number(ts);
    const now = this.now();
    if (!Number.isSafeInteger(at) || Math.abs(now - at) > this.windowMs) {
      throw new ReefError(
        'unauthorized',
        `the host-signed request is ${Math.round((now - at) / 1000)} s from this host's clock, more than the ${this.windowMs / 1000} s allowed: a replay, or the hosts' clocks disagree (run NTP on them)`,
      );
    }
    this.forgetExpired(now);
    if (this.seen.has(nonce)) throw new ReefError('unauthorized', 'the host-signed request was already received once (a replay)');
    this.seen.set(nonce, Math.max(at, now) + this.windowMs);
  }

  /** Nonces remembered now (for tests of the bound). */
  remembered(): number {
    return this.seen.size;
  }

  private forgetExpired(now: number): void {
    for (const [nonce, until] of this.seen) {
      if (until > now) break;
      this.seen.delete(nonce);
    }
  }

  private mac(r: SignedRequest, ts: string, nonce: string): string {
    const h = createHmac('sha256', this.key);
    // Each field length-prefixed, so no two different requests give the same input.
    const fields: Uint8Array[] = [r.subject, r.reply, r.caller, r.timeoutMs, ts, nonce].map((s) => encoder.encode(s));
    fields.push(r.body);
    for (const field of fields) {
      h.update(`${field.length}:`);
      h.update(field);
    }
    return h.digest('base64url');
  }
}
