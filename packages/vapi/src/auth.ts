/**
 * Verification of Vapi's server-URL requests, over the raw body bytes, with constant-time compares.
 *
 * - `secret`: the legacy `server.secret`, sent as is in `X-Vapi-Secret`.
 * - `bearer`: a Bearer credential (`Authorization: Bearer <token>`; header and prefix configurable). OAuth2
 *   credentials send `Authorization: Bearer <access token>`: check those with `custom`.
 * - `hmac`: an HMAC credential (`sha256`/`sha512`/`sha1` of `{timestamp}.{body}` or any payload format, hex
 *   or base64, optional prefix such as `sha256=`), with a replay window on the signed timestamp.
 * - `custom`: your own check (OAuth2 tokens, static `server.headers`).
 *
 * A shared secret or bearer token proves the sender knows it, not that the body is intact or fresh: only an
 * HMAC covers the body; `maxMessageAgeMs` of the webhook handler bounds the age for every scheme.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** The legacy shared secret (`server.secret`). */
export interface VapiSecretAuth {
  type: 'secret';
  secret: string;
  /** Default `x-vapi-secret`. */
  header?: string;
}

/** A Bearer credential. */
export interface VapiBearerAuth {
  type: 'bearer';
  token: string;
  /** Default `authorization`. */
  header?: string;
  /** Whether the value is `Bearer <token>` (Vapi's `bearerPrefixEnabled`). Default true. */
  prefix?: boolean;
}

/** An HMAC credential (Vapi's `HmacAuthenticationPlan`). */
export interface VapiHmacAuth {
  type: 'hmac';
  secret: string;
  /** Default `sha256`. */
  algorithm?: 'sha256' | 'sha512' | 'sha1';
  /** Default `x-signature`. */
  signatureHeader?: string;
  /** Default `x-timestamp`. */
  timestampHeader?: string;
  /**
   * What is signed. Default `{timestamp}.{body}`; `{body}` signs the body alone. Placeholders: `{body}` (raw
   * bytes), `{timestamp}`, `{method}`, `{url}` (the request URL as received), `{svix-id}` (`messageIdHeader`).
   */
  payloadFormat?: string;
  /** Before the encoded digest in the header, e.g. `sha256=`. Default none. */
  signaturePrefix?: string;
  /** Default `hex`. */
  encoding?: 'hex' | 'base64';
  /** The secret is base64 (Vapi's `secretIsBase64`). Default false. */
  secretIsBase64?: boolean;
  /** Header of the message id for `{svix-id}`. */
  messageIdHeader?: string;
  /** Largest difference between the signed timestamp (seconds or milliseconds) and now. Default 300 000 ms. */
  toleranceMs?: number;
}

/** Your own check, e.g. of an OAuth2 access token or a static header. */
export interface VapiCustomAuth {
  type: 'custom';
  verify: (request: Request, rawBody: Uint8Array) => boolean | Promise<boolean>;
}

/** No check. Only for local development. */
export interface VapiNoAuth {
  type: 'none';
}

/** How requests are verified. An array accepts a request that any scheme accepts (e.g. while migrating). */
export type VapiAuth = VapiSecretAuth | VapiBearerAuth | VapiHmacAuth | VapiCustomAuth | VapiNoAuth;

/** Result of {@link verifyVapiRequest}. */
export type VapiAuthResult = { ok: true } | { ok: false; reason: string };

const DEFAULT_TOLERANCE_MS = 300_000;

/** Verifies a request against one or more schemes. Never throws. */
export async function verifyVapiRequest(
  auth: VapiAuth | readonly VapiAuth[],
  request: Request,
  rawBody: Uint8Array,
  now: number = Date.now(),
): Promise<VapiAuthResult> {
  const schemes = Array.isArray(auth) ? (auth as readonly VapiAuth[]) : [auth as VapiAuth];
  if (!schemes.length) return { ok: false, reason: 'no authentication configured' };
  const reasons: string[] = [];
  for (const scheme of schemes) {
    let r: VapiAuthResult;
    try {
      r = await verifyOne(scheme, request, rawBody, now);
    } catch {
      r = { ok: false, reason: `${scheme.type} check failed` };
    }
    if (r.ok) return r;
    reasons.push(r.reason);
  }
  return { ok: false, reason: reasons.join('; ') };
}

async function verifyOne(
  auth: VapiAuth,
  request: Request,
  body: Uint8Array,
  now: number,
): Promise<VapiAuthResult> {
  switch (auth.type) {
    case 'none':
      return { ok: true };
    case 'secret':
      return compareHeader(request, auth.header ?? 'x-vapi-secret', auth.secret);
    case 'bearer': {
      const header = auth.header ?? 'authorization';
      const value = request.headers.get(header);
      if (value === null) return { ok: false, reason: `missing ${header}` };
      if (auth.prefix === false) return equalOrFail(value.trim(), auth.token, header);
      const m = /^bearer\s+(.+)$/i.exec(value.trim());
      return m
        ? equalOrFail(m[1]!, auth.token, header)
        : { ok: false, reason: `${header} is not a Bearer token` };
    }
    case 'hmac':
      return verifyHmac(auth, request, body, now);
    case 'custom':
      return (await auth.verify(request, body))
        ? { ok: true }
        : { ok: false, reason: 'custom check refused' };
    default:
      return { ok: false, reason: `unknown auth type ${String((auth as { type?: unknown }).type)}` };
  }
}

function compareHeader(request: Request, header: string, expected: string): VapiAuthResult {
  const value = request.headers.get(header);
  return value === null ? { ok: false, reason: `missing ${header}` } : equalOrFail(value, expected, header);
}

function equalOrFail(actual: string, expected: string, header: string): VapiAuthResult {
  return safeEqual(actual, expected) ? { ok: true } : { ok: false, reason: `wrong ${header}` };
}

function verifyHmac(auth: VapiHmacAuth, request: Request, body: Uint8Array, now: number): VapiAuthResult {
  const sigHeader = auth.signatureHeader ?? 'x-signature';
  const tsHeader = auth.timestampHeader ?? 'x-timestamp';
  const format = auth.payloadFormat ?? '{timestamp}.{body}';
  const signature = request.headers.get(sigHeader);
  if (signature === null) return { ok: false, reason: `missing ${sigHeader}` };
  let timestamp = '';
  // Only a signed timestamp means anything: check freshness when the payload includes it.
  if (format.includes('{timestamp}')) {
    timestamp = request.headers.get(tsHeader)?.trim() ?? '';
    if (!timestamp) return { ok: false, reason: `missing ${tsHeader}` };
    const at = timestampMs(timestamp);
    if (at === null) return { ok: false, reason: `${tsHeader} is not a timestamp` };
    if (Math.abs(now - at) > (auth.toleranceMs ?? DEFAULT_TOLERANCE_MS)) {
      return { ok: false, reason: `${tsHeader} outside the replay window` };
    }
  }
  const fields: Record<string, string> = {
    timestamp,
    method: request.method,
    url: request.url,
    'svix-id': auth.messageIdHeader ? (request.headers.get(auth.messageIdHeader) ?? '') : '',
  };
  const text = format.replace(/\{(timestamp|method|url|svix-id)\}/g, (_, k: string) => fields[k]!);
  const parts = text.split('{body}');
  const key = auth.secretIsBase64 ? Buffer.from(auth.secret, 'base64') : Buffer.from(auth.secret, 'utf8');
  const mac = createHmac(auth.algorithm ?? 'sha256', key);
  parts.forEach((part, i) => {
    if (i > 0) mac.update(body);
    mac.update(part, 'utf8');
  });
  const encoding = auth.encoding ?? 'hex';
  const expected = (auth.signaturePrefix ?? '') + mac.digest(encoding);
  const actual = signature.trim();
  // Hex digests may arrive in either case.
  const same =
    encoding === 'hex'
      ? safeEqual(actual.toLowerCase(), expected.toLowerCase())
      : safeEqual(actual, expected);
  return same ? { ok: true } : { ok: false, reason: `wrong ${sigHeader}` };
}

/** Epoch ms of a timestamp header: 13+ digits are milliseconds, fewer are seconds (the unit is undocumented). */
function timestampMs(value: string): number | null {
  if (!/^\d{1,16}(\.\d+)?$/.test(value)) return null;
  const n = Number(value);
  return n >= 1e12 ? n : n * 1000;
}

/**
 * Constant-time string equality: both sides are hashed to equal-length digests first, so neither the content
 * nor the length of the secret leaks through timing.
 */
export function safeEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a, 'utf8').digest();
  const y = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(x, y) && a.length === b.length;
}
