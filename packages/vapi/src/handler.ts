/**
 * `createVapiWebhookHandler(vt, options)`: a web-standard `(Request) => Promise<Response>` for Vapi's server
 * URL. It checks the credential from the headers (401 before any body byte is read), reads the body under
 * caps in bytes (413), time (408) and concurrency (503 with `Retry-After`), verifies an HMAC over the raw
 * bytes (401), parses and validates the message (400 with the reasons), observes it, and hands it to your
 * `onMessage`, whose return value is the response (so `tool-calls` and `assistant-request` get their
 * answers). An unknown message type is a 200.
 */
import { checkFactoryArguments, type Voxtrace } from '@voxtrace/core';
import { createBodyIntake, type IntakeOptions, resolveIntakeLimits } from '@voxtrace/core/http';
import { compileVapiAuth, type VapiAuth } from './auth.js';
import { diagnose } from './diagnose.js';
import {
  observeVapiMessage,
  observeVapiResponse,
  type VapiObserveOptions,
  type VapiObserveResult,
} from './observe.js';
import type { VapiMessage } from './schemas.js';
import { isRecord } from './validate.js';

/** What `onMessage` gets beside the message. */
export interface VapiMessageContext {
  /** The parsed body as received (`{ message, … }`), before validation. */
  body: Record<string, unknown>;
  /** What voxtrace recorded from it. */
  observed: VapiObserveResult;
  request: Request;
}

/**
 * Options of {@link createVapiWebhookHandler}. The intake options cap each body: `maxBodyBytes` (default
 * 5 MiB), `bodyTimeoutMs` (default 9 000), `maxConcurrentBodies` (default 8) and `maxQueuedBodies`
 * (default 256).
 */
export interface VapiWebhookOptions extends VapiObserveOptions, IntakeOptions {
  /**
   * How requests are verified; an array accepts any of the schemes. Required: a handler without a credential
   * (e.g. `process.env.VAPI_SECRET` unset) throws at construction unless `allowUnauthenticated` is true.
   */
  auth?: VapiAuth | readonly VapiAuth[];
  /**
   * Accept requests without checking a credential when `auth` is absent or its credential is empty. Only for
   * local development; reported once as a diagnostic.
   */
  allowUnauthenticated?: boolean;
  /**
   * Your handling of each valid message (validated: unknown fields kept, malformed ones removed). Its return
   * value becomes the JSON response (a `Response` is sent as is; nothing gives `{"ok":true}`). If it throws,
   * the response is a 500.
   */
  onMessage?: (message: VapiMessage, context: VapiMessageContext) => unknown;
  /**
   * Refuse (401) a message whose `timestamp` is further than this from now (epoch ms; both directions).
   * Default off: the one freshness check a shared secret or bearer token can have.
   */
  maxMessageAgeMs?: number;
}

/** Default largest body: an end-of-call report of a long call with every message. */
export const VAPI_DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024;

const ERRORS = {
  400: 'bad request',
  401: 'unauthorized',
  408: 'request timeout',
  413: 'payload too large',
  415: 'unsupported media type',
  503: 'busy',
} as const;

/**
 * Creates the webhook handler. Throws a `TypeError` at construction on a configuration mistake (no
 * credential, a malformed option); the returned handler never throws and its promise never rejects.
 */
export function createVapiWebhookHandler(
  vt: Voxtrace,
  options: VapiWebhookOptions,
): (request: Request) => Promise<Response> {
  const owner = 'createVapiWebhookHandler';
  checkFactoryArguments(owner, vt, options);
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${owner}: options must be an object with auth`);
  const check = compileVapiAuth(options.auth, {
    allowUnauthenticated: options.allowUnauthenticated === true,
    owner,
    onDiagnostic: (d) => diagnose(vt, options.onDiagnostic, d),
  });
  if (!check)
    diagnose(vt, options.onDiagnostic, {
      code: 'adapter_error',
      message: 'vapi webhook handler accepts unauthenticated requests (allowUnauthenticated)',
    });
  const intake = createBodyIntake(
    resolveIntakeLimits(options, { maxBodyBytes: VAPI_DEFAULT_MAX_BODY_BYTES }, owner),
  );
  const now = options.now ?? Date.now;
  return async (request) => {
    try {
      if (request.method !== 'POST') return json(405, { error: 'method not allowed' }, { allow: 'POST' });
      const receivedAt = now();
      const read = await intake.receive(request, check ? { check: (r) => check(r, now()) } : {});
      if (!read.ok)
        return json(
          read.status,
          { error: ERRORS[read.status], reason: read.reason },
          read.retryAfterSeconds ? { 'retry-after': String(read.retryAfterSeconds) } : {},
        );
      let body: unknown;
      try {
        body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(read.bytes));
      } catch (err) {
        return json(400, {
          error: 'malformed JSON',
          reason: String(err instanceof Error ? err.message : err),
        });
      }
      const stale = staleness(body, options.maxMessageAgeMs, now());
      if (stale) return json(401, { error: 'unauthorized', reason: stale });
      const observed = observeVapiMessage(vt, body, options);
      if (!observed.ok) return json(400, { error: 'invalid message', problems: observed.problems });
      if (!options.onMessage) return json(200, { ok: true });
      let answer: unknown;
      try {
        answer = await options.onMessage(observed.message!, {
          body: body as Record<string, unknown>,
          observed,
          request,
        });
      } catch (err) {
        diagnose(vt, options.onDiagnostic, {
          code: 'adapter_error',
          message: `vapi onMessage threw on ${observed.type}: ${String(err)}`,
          ...(observed.callId && { conversationId: observed.callId }),
          detail: err,
        });
        return json(500, { error: 'onMessage failed' });
      }
      if (observed.type === 'tool-calls' || observed.type === 'function-call') {
        // The tools end when the answer is ready: Vapi's timestamp plus the time taken here, one clock each.
        const sent = observed.message?.timestamp ?? receivedAt;
        observeVapiResponse(vt, body, answer, { ...options, at: sent + Math.max(0, now() - receivedAt) });
      }
      return answer instanceof Response
        ? answer
        : json(200, answer === undefined || answer === null ? { ok: true } : answer);
    } catch (err) {
      diagnose(vt, options.onDiagnostic, {
        code: 'adapter_error',
        message: `vapi handler: ${String(err)}`,
        detail: err,
      });
      return json(500, { error: 'internal error' });
    }
  };
}

/** Why a message is too old or too far in the future, or `null`. */
function staleness(body: unknown, maxAgeMs: number | undefined, now: number): string | null {
  if (maxAgeMs === undefined || !isRecord(body) || !isRecord(body.message)) return null;
  const ts = body.message.timestamp;
  if (typeof ts !== 'number') return 'message.timestamp missing: freshness cannot be checked';
  return Math.abs(now - ts) > maxAgeMs ? 'message.timestamp outside the allowed age' : null;
}

function json(status: number, value: unknown, headers: Record<string, string> = {}): Response {
  let text: string;
  try {
    text = JSON.stringify(value) ?? 'null';
  } catch {
    return new Response(JSON.stringify({ error: 'onMessage returned a value that is not JSON' }), {
      status: 500,
      headers: { 'content-type': 'application/json' },
    });
  }
  return new Response(text, { status, headers: { 'content-type': 'application/json', ...headers } });
}
