import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkRetellSignatureHeader,
  createRetellWebhookHandler,
  signRetellPayload,
  verifyRetellSignature,
} from '@voxtrace/retell';
import { sign, verify } from 'retell-sdk';
import { describe, expect, it } from 'vitest';
import { fixture, testVoxtrace } from './helpers.js';

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

describe("against Retell's own SDK (retell-sdk 5.x)", () => {
  it('a delivery signed by retell-sdk is accepted by the webhook handler over a real socket', async () => {
    const t = testVoxtrace();
    const handler = createRetellWebhookHandler(t.vt, { apiKey: 'key_sdk_signed', analysisWaitMs: 0 });
    const server = createServer((req, res) => void handler.node(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/retell`;
      const raw = JSON.stringify(fixture('retell-call_analyzed.json'));
      const signature = await sign(raw, 'key_sdk_signed');
      const ok = await fetch(url, {
        method: 'POST',
        headers: { 'x-retell-signature': signature },
        body: raw,
      });
      expect(ok.status).toBe(204);
      // The same signature over other bytes, or under another key, is refused.
      const tampered = await fetch(url, {
        method: 'POST',
        headers: { 'x-retell-signature': signature },
        body: raw.replace('user_hangup', 'agent_hangup'),
      });
      expect(tampered.status).toBe(401);
      const otherKey = await fetch(url, {
        method: 'POST',
        headers: { 'x-retell-signature': await sign(raw, 'key_other') },
        body: raw,
      });
      expect(otherKey.status).toBe(401);
      expect(handler.stats().unauthorized).toEqual({ signature_mismatch: 2 });
    } finally {
      server.close();
      await t.vt.shutdown();
    }
    expect(t.named('conversation')).toHaveLength(1);
  });

  it('retell-sdk verifies what signRetellPayload signs', async () => {
    const raw = JSON.stringify({ event: 'call_started', call: { call_id: 'c' } });
    expect(await verify(raw, 'key_x', signRetellPayload(raw, 'key_x'))).toBe(true);
    expect(await verify(raw, 'key_y', signRetellPayload(raw, 'key_x'))).toBe(false);
  });
});

describe('checkRetellSignatureHeader: what the header alone decides', () => {
  it('passes a well-formed fresh header (the digest still needs the body) and refuses the rest', () => {
    const checked = checkRetellSignatureHeader(v.expected_header, at());
    expect(checked).toMatchObject({
      ok: true,
      timestampMs: v.timestamp_ms,
      timestamp: String(v.timestamp_ms),
    });
    expect(checkRetellSignatureHeader(null, at())).toMatchObject({ reason: 'missing_header' });
    expect(checkRetellSignatureHeader('v=1,d=zz', at())).toMatchObject({ reason: 'malformed_header' });
    expect(checkRetellSignatureHeader(v.expected_header, at(6 * 60_000))).toMatchObject({
      reason: 'timestamp_out_of_window',
    });
  });
});
