/**
 * Credential checks in two steps, so that a request with a bad credential costs no body bytes: first what
 * the headers alone can decide (a shared secret, a bearer token, a signature's format and timestamp), then,
 * only for requests that passed, what needs the body (an HMAC over the raw bytes).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** A credential accepted or refused. `code` is a machine-readable reason where the adapter has one. */
export type CredentialVerdict = { ok: true } | { ok: false; reason: string; code?: string };

/**
 * What the headers decide: accepted, refused (answered 401 before any byte of the body is read), or
 * plausible but to be verified over the body once it is read (under the intake's caps).
 */
export type HeaderVerdict =
  | CredentialVerdict
  | {
      ok: 'body';
      verify: (body: Uint8Array) => CredentialVerdict | Promise<CredentialVerdict>;
    };

/** Checks a request's credentials from its headers; must not read the body. */
export type HeaderCheck = (request: Request) => HeaderVerdict | Promise<HeaderVerdict>;

/**
 * Constant-time equality of two strings or byte strings: both are hashed to equal-length digests first, so
 * neither the content nor the length of the expected value leaks through timing.
 */
export function safeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && byteLength(a) === byteLength(b);
}

function byteLength(v: string | Uint8Array): number {
  return typeof v === 'string' ? Buffer.byteLength(v, 'utf8') : v.byteLength;
}

// `Bearer` then one or more spaces or tabs, then the token; linear (no overlapping quantifiers).
const BEARER = /^bearer[ \t]+(\S.*)$/i;

/** The token of an `Authorization: Bearer <token>` value (trimmed), or `null` when it is not one. */
export function bearerToken(value: string | null | undefined): string | null {
  if (typeof value !== 'string') return null;
  const m = BEARER.exec(value.trim());
  return m ? m[1]! : null;
}
