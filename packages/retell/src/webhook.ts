/**
 * The Retell webhook endpoint: a web-standard `(Request) => Promise<Response>` handler, with the shared
 * Node `http` and Express bridge of `@voxtrace/core/http` over the same code path.
 *
 * The signature header's format and timestamp window are checked before any body byte is read (401);
 * the body is read under caps in bytes, time and concurrency; then the digest is verified over the raw
 * bytes (401). 405 not POST · 413 body over `maxBodyBytes` (checked on `Content-Length` and while
 * reading) · 408 body not received within `bodyTimeoutMs` · 503 too many bodies being read (with
 * `Retry-After`) or after `close()` · 400 not JSON or not a Retell webhook (with the reason) · 204
 * recorded, duplicate or ignored · 200 with your `onEvent`'s return value as JSON · 500 only when your
 * `onEvent` throws (so Retell retries; voxtrace's own recording is deduplicated).
 */
import type { ServerResponse } from 'node:http';
import { checkFactoryArguments, type Voxtrace } from '@voxtrace/core';
import {
  createBodyIntake,
  type HeaderVerdict,
  type IntakeOptions,
  type NodeRequest,
  resolveIntakeLimits,
  serveNode,
} from '@voxtrace/core/http';
import {
  type RetellObserveResult,
  type RetellTrackingOptions,
  type RetellTrackingStats,
  retellCallsFor,
} from './calls.js';
import type { RetellWebhookBody } from './schema.js';
import {
  checkRetellSignatureHeader,
  RETELL_SIGNATURE_HEADER,
  type RetellSignatureFailure,
  retellDigestMatches,
} from './signature.js';

/** Default largest webhook body: a long call's `call_analyzed` carries every word twice or three times. */
export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;

/** What `onEvent` learns about a delivery besides its body. */
export interface RetellDelivery {
  /** What voxtrace did with it (`duplicate` for Retell's retries). */
  action: Extract<RetellObserveResult, { ok: true }>['action'];
  /** The call id, for call events. */
  callId: string | null;
  /** The signature's timestamp, epoch ms. */
  signedAt: number;
  /** The raw body, as signed. */
  rawBody: string;
}

/**
 * Options of {@link createRetellWebhookHandler}. The intake options cap each body: `maxBodyBytes` (default
 * 10 MiB), `bodyTimeoutMs` (default 9 000), `maxConcurrentBodies` (default 8) and `maxQueuedBodies`
 * (default 256).
 */
export interface RetellWebhookHandlerOptions extends RetellTrackingOptions, IntakeOptions {
  /**
   * A Retell API key with the webhook badge: the signing key. Required: an unset key (`undefined`, empty)
   * throws at construction. Retell signs every webhook, so there is no unauthenticated mode.
   */
  apiKey: string;
  /**
   * Your own processing of every verified delivery (retries included; see `info.action`). Awaited:
   * a value other than `undefined` is sent back as JSON with 200 (e.g. for `call_inbound`); a throw
   * answers 500 so that Retell retries.
   */
  onEvent?: (body: RetellWebhookBody, info: RetellDelivery) => unknown;
  /** Clock for the signature window, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** Counters of a webhook handler. */
export interface RetellWebhookStats extends RetellTrackingStats {
  deliveries: number;
  accepted: number;
  /** Refused signatures by reason; all but `signature_mismatch` were refused before reading the body. */
  unauthorized: Partial<Record<RetellSignatureFailure, number>>;
  malformed: number;
  tooLarge: number;
  /** Bodies not received within `bodyTimeoutMs` (408). */
  timedOut: number;
  /** Requests refused because too many bodies were being read (503). */
  busy: number;
  methodNotAllowed: number;
  callbackFailed: number;
}

/**
 * A Node `http.IncomingMessage` (or Express request).
 *
 * @deprecated Use `NodeRequest` from `@voxtrace/core/http` (the same type); removed in 1.0.0.
 */
export type NodeRequestLike = NodeRequest;

/**
 * A Node `http.ServerResponse` (or Express response).
 *
 * @deprecated Use `ServerResponse` from `node:http`; removed in 1.0.0.
 */
export type NodeResponseLike = ServerResponse;

/** The handler: call it with a `Request`, or use its Node and Express adapters. */
export interface RetellWebhookHandler {
  (request: Request): Promise<Response>;
  /** Node `http` adapter: `http.createServer((req, res) => handler.node(req, res))`. Never rejects. */
  node(req: NodeRequest, res: ServerResponse): Promise<void>;
  /**
   * Express adapter: `app.post('/retell', handler.express)`. Mount it before `express.json()`, or use
   * `express.raw({ type: 'application/json' })` on the route: the signature covers the raw bytes.
   */
  express(req: NodeRequest, res: ServerResponse, next?: (err?: unknown) => void): Promise<void>;
  /**
   * Ends now the calls awaiting `call_analyzed` (with what `call_ended` said), clears the timers and
   * answers 503 from then on. `vt.shutdown()` ends the waiting calls too, so it is optional there.
   */
  close(): void;
  stats(): RetellWebhookStats;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Creates the webhook handler: verifies Retell's signature, validates the body and records the call
 * into `vt` (see {@link observeRetellEvent} for what is recorded). Throws a `TypeError` at construction
 * on a missing `apiKey` or a malformed option; the handler itself never throws.
 */
export function createRetellWebhookHandler(
  vt: Voxtrace,
  options: RetellWebhookHandlerOptions,
): RetellWebhookHandler {
  const owner = 'createRetellWebhookHandler';
  checkFactoryArguments(owner, vt, options);
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${owner}: options must be an object with apiKey`);
  const {
    apiKey,
    onEvent,
    now = Date.now,
    maxBodyBytes,
    bodyTimeoutMs,
    maxConcurrentBodies,
    maxQueuedBodies,
    ...tracking
  } = options;
  if (typeof apiKey !== 'string' || !apiKey.trim())
    throw new TypeError(
      `${owner}: apiKey is ${apiKey === undefined ? 'undefined' : typeof apiKey === 'string' ? 'empty' : `a ${typeof apiKey}`}: pass the Retell API key with the webhook badge (e.g. process.env.RETELL_API_KEY)`,
    );
  const intake = createBodyIntake(
    resolveIntakeLimits(
      { maxBodyBytes, bodyTimeoutMs, maxConcurrentBodies, maxQueuedBodies },
      { maxBodyBytes: DEFAULT_MAX_BODY_BYTES },
      owner,
    ),
  );
  const calls = retellCallsFor(vt, tracking);
  calls.webhookAttached = true;
  let closed = false;
  const counts = {
    deliveries: 0,
    accepted: 0,
    malformed: 0,
    tooLarge: 0,
    timedOut: 0,
    busy: 0,
    methodNotAllowed: 0,
    callbackFailed: 0,
  };
  const unauthorized: Partial<Record<RetellSignatureFailure, number>> = {};

  /** {@link respond}, with a last guard: a bug of ours answers 500 and is reported, never rejects. */
  async function handle(request: Request): Promise<Response> {
    try {
      return await respond(request);
    } catch (err) {
      calls.diagnose({
        code: 'adapter_error',
        message: `Retell webhook failed: ${String(err)}`,
        detail: err,
      });
      return json(500, { error: 'internal error' });
    }
  }

  async function respond(request: Request): Promise<Response> {
    counts.deliveries++;
    if (closed) return json(503, { error: 'shutting down' }, { 'retry-after': '5' });
    if (request.method !== 'POST') {
      counts.methodNotAllowed++;
      return json(405, { error: 'use POST' }, { allow: 'POST' });
    }
    let signedAt = 0;
    const read = await intake.receive(request, {
      check: (r): HeaderVerdict => {
        const header = checkRetellSignatureHeader(r.headers.get(RETELL_SIGNATURE_HEADER), { now });
        if (!header.ok) return { ok: false, reason: header.message, code: header.reason };
        signedAt = header.timestampMs;
        return {
          ok: 'body',
          verify: (bytes) =>
            retellDigestMatches(bytes, apiKey, header)
              ? { ok: true }
              : { ok: false, reason: 'signature does not match the body', code: 'signature_mismatch' },
        };
      },
    });
    if (!read.ok) {
      if (read.status === 401) {
        const reason = read.code as RetellSignatureFailure;
        unauthorized[reason] = (unauthorized[reason] ?? 0) + 1;
        return json(401, { error: read.reason, reason });
      }
      if (read.status === 413) counts.tooLarge++;
      else if (read.status === 408) counts.timedOut++;
      else if (read.status === 503) counts.busy++;
      else counts.malformed++;
      return json(
        read.status,
        { error: read.reason },
        read.retryAfterSeconds ? { 'retry-after': String(read.retryAfterSeconds) } : {},
      );
    }
    const bytes = read.bytes;
    let rawBody: string;
    let body: unknown;
    try {
      rawBody = utf8.decode(bytes);
      body = JSON.parse(rawBody);
    } catch (err) {
      counts.malformed++;
      return json(400, { error: `body is not JSON: ${err instanceof Error ? err.message : String(err)}` });
    }
    const observed = calls.observe(body);
    if (!observed.ok) {
      counts.malformed++;
      return json(400, { error: observed.error });
    }
    if (onEvent) {
      let reply: unknown;
      try {
        reply = await onEvent(body as RetellWebhookBody, {
          action: observed.action,
          callId: observed.callId,
          signedAt,
          rawBody,
        });
      } catch (err) {
        counts.callbackFailed++;
        calls.diagnose({
          code: 'adapter_error',
          message: `Retell onEvent threw: ${String(err)}`,
          detail: err,
        });
        return json(500, { error: 'onEvent failed' });
      }
      if (reply !== undefined) {
        counts.accepted++;
        return json(200, reply);
      }
    }
    counts.accepted++;
    return new Response(null, { status: 204 });
  }

  const node = (req: NodeRequest, res: ServerResponse): Promise<void> => serveNode(handle, req, res);

  const express = async (req: NodeRequest, res: ServerResponse, next?: (err?: unknown) => void) => {
    const parsed = req.body;
    const raw = parsed instanceof Uint8Array || typeof parsed === 'string';
    if (!raw && req.readableEnded && parsed !== undefined) {
      // A JSON parser consumed the body: the signed bytes are gone.
      const err = new Error(
        'Retell webhook: the body was already parsed (express.json?); mount the handler before it or use express.raw({ type: "application/json" })',
      );
      calls.diagnose({ code: 'adapter_error', message: err.message });
      if (next) return next(err);
      return serveNode(async () => json(500, { error: err.message }), req, res);
    }
    return node(req, res);
  };

  return Object.assign(handle, {
    node,
    express,
    close: () => {
      closed = true;
      calls.close();
    },
    stats: (): RetellWebhookStats => ({ ...calls.stats(), ...counts, unauthorized: { ...unauthorized } }),
  });
}
