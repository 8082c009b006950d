/**
 * Verification of Vapi's server-URL requests, in two steps: what the headers decide (a shared secret, a
 * bearer token, an HMAC signature's format and signed timestamp) before any body byte is read, then the HMAC
 * over the raw body bytes. Compares are constant-time.
 *
 * The option names are Vapi's own, so a credential's `authenticationPlan` can be copied across:
 *
 * - `secret`: the legacy `server.secret`, sent as is in `X-Vapi-Secret` (older docs: `X-Vapi-Signature`).
 * - `bearer` (`BearerAuthenticationPlan`): `token`, `headerName` (default `Authorization`),
 *   `bearerPrefixEnabled` (default true). OAuth2 credentials send `Authorization: Bearer <access token>`:
 *   check those with `custom`.
 * - `hmac` (`HmacAuthenticationPlan`): `secretKey`, `algorithm`, `signatureHeader`, `timestampHeader`,
 *   `signaturePrefix`, `includeTimestamp`, `payloadFormat`, `messageIdHeader`, `signatureEncoding`,
 *   `secretIsBase64`; plus voxtrace's `toleranceMs`, the replay window on a signed timestamp.
 * - `custom`: your own check over the request and the raw body.
 *
 * A shared secret or bearer token proves the sender knows it, not that the body is intact or fresh: only an
 * HMAC covers the body; `maxMessageAgeMs` of the webhook handler bounds the age for every scheme.
 */
import { createHmac } from 'node:crypto';
import { type DiagnosticHandler, warnDeprecated } from '@voxtrace/core';
import { bearerToken, type CredentialVerdict, type HeaderVerdict, safeEqual } from '@voxtrace/core/http';
import { z } from 'zod';
import { isRecord } from './validate.js';

const credential = z.string().refine((s) => s.trim().length > 0, 'must be a non-empty string');
// An HTTP header name (RFC 9110 token).
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/, 'must be an HTTP header name');

const secretAuthSchema = z.object({
  type: z.literal('secret'),
  /** The `server.secret` value. */
  secret: credential,
  /** Header it arrives in. Default: `X-Vapi-Secret`, or `X-Vapi-Signature` as older Vapi docs sent it. */
  headerName: headerName.optional(),
});

const bearerAuthSchema = z.object({
  type: z.literal('bearer'),
  token: credential,
  /** Default `Authorization`. */
  headerName: headerName.optional(),
  /** The value is `Bearer <token>`. Default true. */
  bearerPrefixEnabled: z.boolean().optional(),
});

const hmacAuthSchema = z.object({
  type: z.literal('hmac'),
  secretKey: credential,
  /** Default `sha256`. */
  algorithm: z.enum(['sha256', 'sha512', 'sha1']).optional(),
  /** Default `x-signature`. */
  signatureHeader: headerName.optional(),
  /** Default `x-timestamp`. */
  timestampHeader: headerName.optional(),
  /** Before the encoded digest, e.g. `sha256=`. Default none. */
  signaturePrefix: z.string().max(100).optional(),
  /** Whether the signed payload holds the timestamp. Default true; false makes the default format `{body}`. */
  includeTimestamp: z.boolean().optional(),
  /**
   * What is signed. Default `{timestamp}.{body}` (`{body}` when `includeTimestamp` is false). Placeholders:
   * `{body}` (raw bytes), `{timestamp}`, `{method}`, `{url}` (the request URL as received), `{svix-id}`.
   */
  payloadFormat: z.string().max(1000).optional(),
  /** Header of the message id for `{svix-id}`. */
  messageIdHeader: headerName.optional(),
  /** Default `hex` (either case accepted). */
  signatureEncoding: z.enum(['hex', 'base64']).optional(),
  /** `secretKey` is base64 and is decoded before use. Default false. */
  secretIsBase64: z.boolean().optional(),
  /** Largest distance between a signed timestamp (seconds or milliseconds) and now. Default 300 000 ms. */
  toleranceMs: z.number().int().positive().optional(),
});

const customAuthSchema = z.object({
  type: z.literal('custom'),
  /** Called with the request and the raw body once it is read under the handler's caps. */
  verify: z.custom<(request: Request, rawBody: Uint8Array) => boolean | Promise<boolean>>(
    (v) => typeof v === 'function',
    'must be a function (request, rawBody) => boolean',
  ),
});

/** How Vapi's requests are verified: one scheme. */
export const vapiAuthSchema = z.discriminatedUnion('type', [
  secretAuthSchema,
  bearerAuthSchema,
  hmacAuthSchema,
  customAuthSchema,
]);

/** The legacy shared secret (`server.secret`). */
export type VapiSecretAuth = z.infer<typeof secretAuthSchema>;
/** A Bearer credential (Vapi's `BearerAuthenticationPlan`). */
export type VapiBearerAuth = z.infer<typeof bearerAuthSchema>;
/** An HMAC credential (Vapi's `HmacAuthenticationPlan`, plus `toleranceMs`). */
export type VapiHmacAuth = z.infer<typeof hmacAuthSchema>;
/** Your own check, e.g. of an OAuth2 access token or a static header. */
export type VapiCustomAuth = z.infer<typeof customAuthSchema>;
/** One scheme, with Vapi's option names. */
export type VapiAuthScheme = z.infer<typeof vapiAuthSchema>;

/**
 * The option names of voxtrace 0.1, still accepted (each reported once as a `deprecated` diagnostic):
 * `header` is now `headerName`, the bearer's `prefix` `bearerPrefixEnabled`, the HMAC's `secret` `secretKey`
 * and `encoding` `signatureEncoding` (Vapi's own names); `{ type: 'none' }` is `allowUnauthenticated: true`.
 *
 * @deprecated Use {@link VapiAuthScheme}'s names; removed in 1.0.0.
 */
export type VapiLegacyAuth =
  | (Omit<VapiSecretAuth, 'headerName'> & { header?: string })
  | (Omit<VapiBearerAuth, 'headerName' | 'bearerPrefixEnabled'> & { header?: string; prefix?: boolean })
  | (Omit<VapiHmacAuth, 'secretKey' | 'signatureEncoding'> & {
      secret: string;
      encoding?: VapiHmacAuth['signatureEncoding'];
    })
  | VapiNoAuth;

/**
 * No check (voxtrace 0.1).
 *
 * @deprecated Use the handler option `allowUnauthenticated: true`; removed in 1.0.0.
 */
export interface VapiNoAuth {
  type: 'none';
}

/** How requests are verified. An array accepts a request that any scheme accepts (e.g. while migrating). */
export type VapiAuth = VapiAuthScheme | VapiLegacyAuth;

/** Result of {@link verifyVapiRequest}. */
export type VapiAuthResult = { ok: true } | { ok: false; reason: string };

/** Checks a request's headers at time `now` (epoch ms); a pending HMAC or custom check gets the body later. */
export type VapiHeaderCheck = (request: Request, now: number) => HeaderVerdict;

const DEFAULT_TOLERANCE_MS = 300_000;
const DIGEST_BYTES = { sha1: 20, sha256: 32, sha512: 64 } as const;
const CREDENTIAL_FIELD = { secret: 'secret', bearer: 'token', hmac: 'secretKey' } as const;
/** voxtrace 0.1's option names → Vapi's, per scheme: the one place the old names are read. */
const RENAMED: Record<string, Record<string, string>> = {
  secret: { header: 'headerName' },
  bearer: { header: 'headerName', prefix: 'bearerPrefixEnabled' },
  hmac: { secret: 'secretKey', encoding: 'signatureEncoding' },
};
const REMOVED_IN = '1.0.0';

/**
 * Validates `auth` and prepares its checks. Throws a `TypeError` naming `owner` on a configuration mistake:
 * a missing credential (`VAPI_SECRET` unset gives `undefined` or `''`) unless `allowUnauthenticated`, which
 * then drops that scheme; returns `null` when no scheme is left (every request accepted).
 */
export function compileVapiAuth(
  auth: unknown,
  {
    allowUnauthenticated = false,
    owner,
    onDiagnostic,
  }: { allowUnauthenticated?: boolean; owner: string; onDiagnostic?: DiagnosticHandler },
): VapiHeaderCheck | null {
  const hint =
    'pass a credential (e.g. auth: { type: "secret", secret: process.env.VAPI_SECRET }), or allowUnauthenticated: true for local development';
  if (auth === undefined || auth === null) {
    if (allowUnauthenticated) return null;
    throw new TypeError(`${owner}: no credential configured: ${hint}`);
  }
  const list: unknown[] = Array.isArray(auth) ? [...auth] : [auth];
  if (!list.length) throw new TypeError(`${owner}: auth is an empty list: ${hint}`);
  const deprecated = (name: string, replacement: string) => {
    if (onDiagnostic) warnDeprecated(onDiagnostic, { name, replacement, removedIn: REMOVED_IN });
  };
  if (list.some((scheme) => isRecord(scheme) && scheme.type === 'none')) {
    // voxtrace 0.1's explicit opt-out: any scheme accepting means every request is accepted.
    deprecated("auth { type: 'none' }", 'allowUnauthenticated: true');
    return null;
  }
  const checks: VapiHeaderCheck[] = [];
  list.forEach((given, i) => {
    const where = Array.isArray(auth) ? `auth[${i}]` : 'auth';
    const scheme = renamed(given, deprecated);
    const missing = missingCredential(scheme);
    if (missing) {
      if (allowUnauthenticated) return;
      throw new TypeError(`${owner}: ${where}.${missing} is ${describe(scheme, missing)}: ${hint}`);
    }
    const parsed = vapiAuthSchema.safeParse(scheme);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.path.length ? `.${issue.path.join('.')}` : '';
      const type = isRecord(scheme) ? scheme.type : undefined;
      throw new TypeError(
        type === 'oauth2'
          ? `${owner}: ${where}: oauth2 credentials send Authorization: Bearer <access token>; verify it with { type: 'custom' }`
          : `${owner}: ${where}${field}: ${issue.message}`,
      );
    }
    checks.push(compileOne(parsed.data));
  });
  if (!checks.length) return null;
  return checks.length === 1 ? checks[0]! : anyOf(checks);
}

/** `scheme` with voxtrace 0.1's option names moved to Vapi's (a name given both ways keeps the new one). */
function renamed(scheme: unknown, deprecated: (name: string, replacement: string) => void): unknown {
  if (!isRecord(scheme) || typeof scheme.type !== 'string') return scheme;
  const renames = RENAMED[scheme.type];
  if (!renames) return scheme;
  let out: Record<string, unknown> = scheme;
  for (const [old, now] of Object.entries(renames)) {
    if (!(old in scheme)) continue;
    deprecated(`auth ${scheme.type} option '${old}'`, `'${now}' (Vapi's name)`);
    const { [old]: value, ...rest } = out;
    out = now in rest ? rest : { ...rest, [now]: value };
  }
  return out;
}

/** The credential field of a known scheme when it is absent or blank. */
function missingCredential(scheme: unknown): string | null {
  if (!isRecord(scheme)) return null;
  const field = CREDENTIAL_FIELD[scheme.type as keyof typeof CREDENTIAL_FIELD];
  if (!field) return null;
  const v = scheme[field];
  return v === undefined || v === null || (typeof v === 'string' && !v.trim()) ? field : null;
}

function describe(scheme: unknown, field: string): string {
  const v = (scheme as Record<string, unknown>)[field];
  return v === undefined ? 'undefined' : v === null ? 'null' : 'empty';
}

function compileOne(auth: VapiAuthScheme): VapiHeaderCheck {
  switch (auth.type) {
    case 'secret': {
      const headers = auth.headerName ? [auth.headerName] : ['x-vapi-secret', 'x-vapi-signature'];
      return (request) => {
        const name = headers.find((h) => request.headers.has(h));
        if (!name) return { ok: false, reason: `missing ${headers.join(' or ')}` };
        return equalOrFail(request.headers.get(name)!, auth.secret, name);
      };
    }
    case 'bearer': {
      const header = (auth.headerName ?? 'authorization').toLowerCase();
      const prefixed = auth.bearerPrefixEnabled !== false;
      return (request) => {
        const value = request.headers.get(header);
        if (value === null) return { ok: false, reason: `missing ${header}` };
        const token = prefixed ? bearerToken(value) : value.trim();
        return token === null
          ? { ok: false, reason: `${header} is not a Bearer token` }
          : equalOrFail(token, auth.token, header);
      };
    }
    case 'hmac':
      return compileHmac(auth);
    case 'custom':
      return (request) => ({
        ok: 'body',
        verify: async (body) =>
          (await auth.verify(request, body)) ? { ok: true } : { ok: false, reason: 'custom check refused' },
      });
  }
}

function equalOrFail(actual: string, expected: string, header: string): CredentialVerdict {
  return safeEqual(actual, expected) ? { ok: true } : { ok: false, reason: `wrong ${header}` };
}

const PLACEHOLDER = /\{(body|timestamp|method|url|svix-id)\}/g;
const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function compileHmac(auth: VapiHmacAuth): VapiHeaderCheck {
  const sigHeader = (auth.signatureHeader ?? 'x-signature').toLowerCase();
  const tsHeader = (auth.timestampHeader ?? 'x-timestamp').toLowerCase();
  const algorithm = auth.algorithm ?? 'sha256';
  const encoding = auth.signatureEncoding ?? 'hex';
  const prefix = auth.signaturePrefix ?? '';
  const signsTime = auth.includeTimestamp !== false;
  const format = auth.payloadFormat ?? (signsTime ? '{timestamp}.{body}' : '{body}');
  // Only a signed timestamp means anything: its freshness is checked when the payload holds it.
  const checksTime = signsTime && format.includes('{timestamp}');
  const tolerance = auth.toleranceMs ?? DEFAULT_TOLERANCE_MS;
  const key = auth.secretIsBase64
    ? Buffer.from(auth.secretKey, 'base64')
    : Buffer.from(auth.secretKey, 'utf8');
  const digestBytes = DIGEST_BYTES[algorithm];
  const parts = format.split(PLACEHOLDER);

  return (request, now) => {
    const header = request.headers.get(sigHeader)?.trim();
    if (!header) return { ok: false, reason: `missing ${sigHeader}` };
    if (!header.startsWith(prefix))
      return { ok: false, reason: `${sigHeader} does not start with "${prefix}"` };
    const encoded = header.slice(prefix.length);
    const given = decodeDigest(encoded, encoding);
    if (!given || given.byteLength !== digestBytes)
      return { ok: false, reason: `${sigHeader} is not a ${encoding} ${algorithm} digest` };
    const timestamp = request.headers.get(tsHeader)?.trim() ?? '';
    if (checksTime) {
      if (!timestamp) return { ok: false, reason: `missing ${tsHeader}` };
      const at = timestampMs(timestamp);
      if (at === null) return { ok: false, reason: `${tsHeader} is not a timestamp` };
      if (Math.abs(now - at) > tolerance)
        return { ok: false, reason: `${tsHeader} outside the replay window` };
    }
    const fields: Record<string, string> = {
      timestamp,
      method: request.method,
      url: request.url,
      'svix-id': auth.messageIdHeader ? (request.headers.get(auth.messageIdHeader) ?? '') : '',
    };
    return {
      ok: 'body',
      verify: (body) => {
        const mac = createHmac(algorithm, key);
        // `split` with a capturing group alternates text and placeholder names.
        parts.forEach((part, i) => {
          if (i % 2 === 0) mac.update(part, 'utf8');
          else if (part === 'body') mac.update(body);
          else mac.update(fields[part]!, 'utf8');
        });
        return safeEqual(mac.digest(), given) ? { ok: true } : { ok: false, reason: `wrong ${sigHeader}` };
      },
    };
  };
}

function decodeDigest(encoded: string, encoding: 'hex' | 'base64'): Buffer | null {
  if (encoded.length > 256) return null;
  if (encoding === 'hex')
    return HEX.test(encoded) && encoded.length % 2 === 0 ? Buffer.from(encoded, 'hex') : null;
  return BASE64.test(encoded) ? Buffer.from(encoded, 'base64') : null;
}

/** Epoch ms of a timestamp header: 13+ digits are milliseconds, fewer are seconds (the unit is undocumented). */
function timestampMs(value: string): number | null {
  if (!/^\d{1,16}(\.\d{1,9})?$/.test(value)) return null;
  const n = Number(value);
  return n >= 1e12 ? n : n * 1000;
}

/** Accepts what any check accepts; header refusals are reported with the body checks' reasons. */
function anyOf(checks: VapiHeaderCheck[]): VapiHeaderCheck {
  return (request, now) => {
    const refused: string[] = [];
    const pending: ((body: Uint8Array) => CredentialVerdict | Promise<CredentialVerdict>)[] = [];
    for (const check of checks) {
      const v = check(request, now);
      if (v.ok === true) return v;
      if (v.ok === false) refused.push(v.reason);
      else pending.push(v.verify);
    }
    if (!pending.length) return { ok: false, reason: refused.join('; ') };
    return {
      ok: 'body',
      verify: async (body) => {
        const reasons = [...refused];
        for (const verify of pending) {
          const v = await verify(body);
          if (v.ok) return v;
          reasons.push(v.reason);
        }
        return { ok: false, reason: reasons.join('; ') };
      },
    };
  };
}

/**
 * Verifies a request whose raw body you already read, against one or more schemes. Never throws: a
 * configuration mistake is a refusal saying so.
 */
export async function verifyVapiRequest(
  auth: VapiAuth | readonly VapiAuth[],
  request: Request,
  rawBody: Uint8Array,
  now: number = Date.now(),
): Promise<VapiAuthResult> {
  try {
    const check = compileVapiAuth(auth, { owner: 'verifyVapiRequest' })!;
    const v = check(request, now);
    const result = v.ok === 'body' ? await v.verify(rawBody) : v;
    return result.ok ? { ok: true } : { ok: false, reason: result.reason };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
