import { signRetellPayload, verifyRetellSignature } from '@voxtrace/retell';
import { describe, expect, it } from 'vitest';
import { fixture } from './helpers.js';

interface Vector {
  api_key: string;
  raw_body: string;
  timestamp_ms: number;
  expected_digest: string;
  expected_header: string;
}
const v = fixture<Vector>('retell-signature-vector.json');
const at = (deltaMs = 0) => ({ now: v.timestamp_ms + deltaMs });

describe('verifyRetellSignature', () => {
  it("verifies the Retell SDK's test vector", () => {
    expect(verifyRetellSignature(v.raw_body, v.api_key, v.expected_header, at())).toEqual({
      ok: true,
      timestampMs: v.timestamp_ms,
    });
  });

  it('verifies the same bytes given as a Uint8Array', () => {
    const bytes = new TextEncoder().encode(v.raw_body);
    expect(verifyRetellSignature(bytes, v.api_key, v.expected_header, at()).ok).toBe(true);
  });

  it('signs exactly as the SDK does', () => {
    expect(signRetellPayload(v.raw_body, v.api_key, v.timestamp_ms)).toBe(v.expected_header);
  });

  it('accepts an upper-case digest (the SDK parses case-insensitively)', () => {
    const header = `v=${v.timestamp_ms},d=${v.expected_digest.toUpperCase()}`;
    expect(verifyRetellSignature(v.raw_body, v.api_key, header, at()).ok).toBe(true);
  });

  it('refuses a body with one byte flipped', () => {
    const flipped = Buffer.from(v.raw_body);
    flipped[5] = flipped[5]! ^ 0x01;
    expect(verifyRetellSignature(flipped, v.api_key, v.expected_header, at())).toMatchObject({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('refuses another key', () => {
    expect(verifyRetellSignature(v.raw_body, 'another-api-key', v.expected_header, at())).toMatchObject({
      ok: false,
      reason: 'signature_mismatch',
    });
  });

  it('refuses a timestamp 6 minutes old and one 6 minutes ahead', () => {
    for (const delta of [6 * 60_000, -6 * 60_000]) {
      const r = verifyRetellSignature(v.raw_body, v.api_key, v.expected_header, at(delta));
      expect(r).toMatchObject({ ok: false, reason: 'timestamp_out_of_window' });
    }
  });

  it('accepts a timestamp exactly 5 minutes off either way', () => {
    for (const delta of [5 * 60_000, -5 * 60_000]) {
      expect(verifyRetellSignature(v.raw_body, v.api_key, v.expected_header, at(delta)).ok).toBe(true);
    }
  });

  it('refuses a 63-digit digest, and a 65-digit one', () => {
    const short = `v=${v.timestamp_ms},d=${v.expected_digest.slice(0, 63)}`;
    const long = `v=${v.timestamp_ms},d=${v.expected_digest}0`;
    expect(verifyRetellSignature(v.raw_body, v.api_key, short, at())).toMatchObject({
      ok: false,
      reason: 'bad_digest_length',
    });
    expect(verifyRetellSignature(v.raw_body, v.api_key, long, at())).toMatchObject({
      ok: false,
      reason: 'bad_digest_length',
    });
  });

  it('refuses a missing or empty header', () => {
    for (const header of [undefined, null, '']) {
      expect(verifyRetellSignature(v.raw_body, v.api_key, header, at())).toMatchObject({
        ok: false,
        reason: 'missing_header',
      });
    }
  });

  it('refuses malformed headers', () => {
    for (const header of [
      v.expected_digest,
      `d=${v.expected_digest},v=${v.timestamp_ms}`,
      `v=${v.timestamp_ms},d=${v.expected_digest.replace(/a/, 'g')}`,
      `v=-1,d=${v.expected_digest}`,
      `v=${v.timestamp_ms}, d=${v.expected_digest}`,
      `v=${v.timestamp_ms},d=${v.expected_digest},x=1`,
    ]) {
      expect(verifyRetellSignature(v.raw_body, v.api_key, header, at())).toMatchObject({
        ok: false,
        reason: 'malformed_header',
      });
    }
  });

  it('refuses a timestamp that is not a safe integer', () => {
    const header = `v=99999999999999999999,d=${v.expected_digest}`;
    expect(verifyRetellSignature(v.raw_body, v.api_key, header, at())).toMatchObject({
      ok: false,
      reason: 'bad_timestamp',
    });
  });

  it('refuses when no key is configured', () => {
    expect(verifyRetellSignature(v.raw_body, '', v.expected_header, at())).toMatchObject({
      ok: false,
      reason: 'missing_api_key',
    });
  });

  it('uses the current time by default', () => {
    const header = signRetellPayload(v.raw_body, v.api_key);
    expect(verifyRetellSignature(v.raw_body, v.api_key, header).ok).toBe(true);
    expect(verifyRetellSignature(v.raw_body, v.api_key, v.expected_header).ok).toBe(false);
  });
});
