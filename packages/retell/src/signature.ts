/**
 * Retell's webhook signature, implemented here rather than taken from `retell-sdk` (whose `verify`
 * changed from sync to async in 5.x and was missing from some 5.x releases).
 *
 * Header `x-retell-signature: v=<timestamp_ms>,d=<hex>` where
 * `hex = HEX(HMAC-SHA256(key = api key, message = rawBody + String(timestamp_ms)))`: the body, then the
 * timestamp, no separator. Always the raw body bytes: re-serialized JSON does not match.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Name of the header Retell signs webhooks (and custom-function calls) with. */
export const RETELL_SIGNATURE_HEADER = 'x-retell-signature';

/** How far a signature's timestamp may be from now, either way: 5 minutes, as Retell's SDK checks. */
export const RETELL_SIGNATURE_TOLERANCE_MS = 5 * 60_000;

// As the SDK parses it: case-insensitive, nothing around it. The digest length is checked apart to say why.
const HEADER = /^v=(\d+),d=([0-9a-f]+)$/i;
const DIGEST_HEX_LENGTH = 64;

/** Why {@link verifyRetellSignature} refused a signature. */
export type RetellSignatureFailure =
  /** No `x-retell-signature` header (or an empty one). */
  | 'missing_header'
  /** Not `v=<digits>,d=<hex>`. */
  | 'malformed_header'
  /** The digest is not exactly 64 hex digits. */
  | 'bad_digest_length'
  /** The timestamp is not a safe integer. */
  | 'bad_timestamp'
  /** The timestamp is more than 5 minutes from now (old: a replay; ahead: a skewed or forged clock). */
  | 'timestamp_out_of_window'
  /** The digest does not match the body, timestamp and key. */
  | 'signature_mismatch'
  /** No API key was configured. */
  | 'missing_api_key';

/** Result of {@link verifyRetellSignature}: the signed timestamp, or why the check failed. */
export type RetellSignatureResult =
  { ok: true; timestampMs: number } | { ok: false; reason: RetellSignatureFailure; message: string };

/** Options of {@link verifyRetellSignature}. */
export interface VerifyRetellSignatureOptions {
  /** Clock, epoch ms. Default `Date.now()`. */
  now?: number | (() => number);
  /** Allowed distance between the signed timestamp and now. Default {@link RETELL_SIGNATURE_TOLERANCE_MS}. */
  toleranceMs?: number;
}

function hmac(rawBody: string | Uint8Array, apiKey: string, timestampMs: string): Buffer {
  return createHmac('sha256', apiKey).update(rawBody).update(timestampMs).digest();
}

function failure(
  reason: RetellSignatureFailure,
  message: string,
): Extract<RetellSignatureResult, { ok: false }> {
  return { ok: false, reason, message };
}

/** A well-formed, fresh `x-retell-signature`: what {@link checkRetellSignatureHeader} returns. */
export interface RetellSignatureHeader {
  ok: true;
  /** The signed timestamp, epoch ms. */
  timestampMs: number;
  /** The timestamp as signed (its digits). */
  timestamp: string;
  /** The 32-byte digest. */
  digest: Buffer;
}

/**
 * What the header alone decides, before any body byte is read: present, `v=<digits>,d=<64 hex>`, and the
 * timestamp within the window. Never throws. The digest itself needs the body: {@link verifyRetellSignature}.
 */
export function checkRetellSignatureHeader(
  header: string | null | undefined,
  options: VerifyRetellSignatureOptions = {},
): RetellSignatureHeader | Extract<RetellSignatureResult, { ok: false }> {
  if (!header) return failure('missing_header', `missing ${RETELL_SIGNATURE_HEADER} header`);
  const m = HEADER.exec(header.trim());
  if (!m)
    return failure('malformed_header', `${RETELL_SIGNATURE_HEADER} is not "v=<timestamp_ms>,d=<hex digest>"`);
  const [, ts, digest] = m as unknown as [string, string, string];
  if (digest.length !== DIGEST_HEX_LENGTH) {
    return failure(
      'bad_digest_length',
      `digest has ${digest.length} hex digits, expected ${DIGEST_HEX_LENGTH}`,
    );
  }
  const timestampMs = Number(ts);
  if (!Number.isSafeInteger(timestampMs))
    return failure('bad_timestamp', 'signature timestamp is not a safe integer');
  const now = typeof options.now === 'function' ? options.now() : (options.now ?? Date.now());
  const tolerance = options.toleranceMs ?? RETELL_SIGNATURE_TOLERANCE_MS;
  if (Math.abs(now - timestampMs) > tolerance) {
    const direction = timestampMs < now ? 'old' : 'ahead';
    return failure(
      'timestamp_out_of_window',
      `signature timestamp is ${Math.round(Math.abs(now - timestampMs) / 1000)} s ${direction} (limit ${tolerance / 1000} s)`,
    );
  }
  return { ok: true, timestampMs, timestamp: ts, digest: Buffer.from(digest, 'hex') };
}

/** The digest of a checked header against the body: constant time (both 32 bytes). */
export function retellDigestMatches(
  rawBody: string | Uint8Array,
  apiKey: string,
  header: RetellSignatureHeader,
): boolean {
  return timingSafeEqual(hmac(rawBody, apiKey, header.timestamp), header.digest);
}

/**
 * Verifies a Retell webhook signature over the raw request body. Never throws. The digest is compared
 * in constant time; the timestamp must be within ±5 minutes of now.
 *
 * @param rawBody the request body exactly as received (bytes, or the string they decode to)
 * @param apiKey a Retell API key with the webhook badge
 * @param header the `x-retell-signature` header value
 */
export function verifyRetellSignature(
  rawBody: string | Uint8Array,
  apiKey: string,
  header: string | null | undefined,
  options: VerifyRetellSignatureOptions = {},
): RetellSignatureResult {
  if (!apiKey) return failure('missing_api_key', 'no Retell API key configured');
  const checked = checkRetellSignatureHeader(header, options);
  if (!checked.ok) return checked;
  if (!retellDigestMatches(rawBody, apiKey, checked))
    return failure('signature_mismatch', 'signature does not match the body');
  return { ok: true, timestampMs: checked.timestampMs };
}

/**
 * Signs a body as Retell does: the `x-retell-signature` value for `rawBody` at `timestampMs`.
 * For tests and local simulations of Retell.
 */
export function signRetellPayload(
  rawBody: string | Uint8Array,
  apiKey: string,
  timestampMs: number = Date.now(),
): string {
  const ts = String(Math.trunc(timestampMs));
  return `v=${ts},d=${hmac(rawBody, apiKey, ts).toString('hex')}`;
}
