/**
 * The Retell webhook endpoint: a web-standard `(Request) => Promise<Response>` handler, with thin Node
 * `http` and Express adapters over the same code path.
 *
 * 405 not POST · 413 body over `maxBodyBytes` (checked on `Content-Length` and while reading) ·
 * 401 bad or missing `x-retell-signature` (with the reason) · 400 not JSON or not a Retell webhook
 * (with the reason) · 204 recorded, duplicate or ignored · 200 with your `onEvent`'s return value as
 * JSON · 500 only when your `onEvent` throws (so Retell retries; voxtrace's own recording is
 * deduplicated) · 503 after `close()`.
 */
import { checkFactoryArguments, type Voxtrace } from '@voxtrace/core';
import { DEFAULT_MAX_BODY_BYTES, nodeBody, readCapped, webBody } from './body.js';
import {
  type RetellObserveResult,
  type RetellTrackingOptions,
  type RetellTrackingStats,
  retellCallsFor,
} from './calls.js';
import type { RetellWebhookBody } from './schema.js';
import { RETELL_SIGNATURE_HEADER, type RetellSignatureFailure, verifyRetellSignature } from './signature.js';

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

/** Options of {@link createRetellWebhookHandler}. */
export interface RetellWebhookHandlerOptions extends RetellTrackingOptions {
  /** A Retell API key with the webhook badge: the signing key. */
  apiKey: string;
  /**
   * Your own processing of every verified delivery (retries included; see `info.action`). Awaited:
   * a value other than `undefined` is sent back as JSON with 200 (e.g. for `call_inbound`); a throw
   * answers 500 so that Retell retries.
   */
  onEvent?: (body: RetellWebhookBody, info: RetellDelivery) => unknown;
  /** Largest body accepted. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Clock for the signature window, epoch ms. Default `Date.now`. */
  now?: () => number;
}

/** Counters of a webhook handler. */
export interface RetellWebhookStats extends RetellTrackingStats {
  deliveries: number;
  accepted: number;
  unauthorized: Partial<Record<RetellSignatureFailure, number>>;
  malformed: number;
  tooLarge: number;
  methodNotAllowed: number;
  callbackFailed: number;
}

/** A Node `http.IncomingMessage` (or Express request), structurally. */
export interface NodeRequestLike extends AsyncIterable<unknown> {
  method?: string;
  headers: Record<string, string | string[] | undefined>;
  /** Set by body parsers (`express.raw()` gives a Buffer). */
  body?: unknown;
  readableEnded?: boolean;
}

/** A Node `http.ServerResponse` (or Express response), structurally. */
export interface NodeResponseLike {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
}

/** The handler: call it with a `Request`, or use its Node and Express adapters. */
export interface RetellWebhookHandler {
  (request: Request): Promise<Response>;
  /** Node `http` adapter: `http.createServer((req, res) => handler.node(req, res))`. Never rejects. */
  node(req: NodeRequestLike, res: NodeResponseLike): Promise<void>;
  /**
   * Express adapter: `app.post('/retell', handler.express)`. Mount it before `express.json()`, or use
   * `express.raw({ type: 'application/json' })` on the route: the signature covers the raw bytes.
   */
  express(req: NodeRequestLike, res: NodeResponseLike, next?: (err?: unknown) => void): Promise<void>;
  /**
   * Ends now the calls awaiting `call_analyzed` (with what `call_ended` said), clears the timers and
   * answers 503 from then on. Call it before `vt.shutdown()`.
   */
  close(): void;
  stats(): RetellWebhookStats;
}

interface Incoming {
  method: string | undefined;
  header(name: string): string | null;
  /** The body, `null` past the cap. */
  read(maxBytes: number): Promise<Uint8Array | null>;
}

interface Outgoing {
  status: number;
  headers: Record<string, string>;
  body: string | null;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Outgoing => ({
  status,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Creates the webhook handler: verifies Retell's signature, validates the body and records the call
 * into `vt` (see {@link observeRetellEvent} for what is recorded). Throws only on a missing `apiKey`.
 */
export function createRetellWebhookHandler(
  vt: Voxtrace,
  options: RetellWebhookHandlerOptions,
): RetellWebhookHandler {
  checkFactoryArguments('createRetellWebhookHandler', vt, options);
  if (!options) throw new TypeError('createRetellWebhookHandler: options with apiKey are required');
  const { apiKey, onEvent, maxBodyBytes = DEFAULT_MAX_BODY_BYTES, now = Date.now, ...tracking } = options;
  if (!apiKey) throw new TypeError('createRetellWebhookHandler: apiKey is required');
  const calls = retellCallsFor(vt, tracking);
  calls.webhookAttached = true;
  let closed = false;
  const counts = {
    deliveries: 0,
    accepted: 0,
    malformed: 0,
    tooLarge: 0,
    methodNotAllowed: 0,
    callbackFailed: 0,
  };
  const unauthorized: Partial<Record<RetellSignatureFailure, number>> = {};

  /** {@link respond}, with a last guard: a bug of ours answers 500 and is reported, never rejects. */
  async function handle(input: Incoming): Promise<Outgoing> {
    try {
      return await respond(input);
    } catch (err) {
      calls.diagnose({
        code: 'adapter_error',
        message: `Retell webhook failed: ${String(err)}`,
        detail: err,
      });
      return json(500, { error: 'internal error' });
    }
  }

  async function respond(input: Incoming): Promise<Outgoing> {
    counts.deliveries++;
    if (closed) return json(503, { error: 'shutting down' }, { 'retry-after': '5' });
    if (input.method !== 'POST') {
      counts.methodNotAllowed++;
      return json(405, { error: 'use POST' }, { allow: 'POST' });
    }
    const declared = Number(input.header('content-length') ?? Number.NaN);
    let bytes: Uint8Array | null;
    try {
      bytes = declared > maxBodyBytes ? null : await input.read(maxBodyBytes);
    } catch (err) {
      counts.malformed++;
      return json(400, { error: `could not read the body: ${String(err)}` });
    }
    if (bytes === null) {
      counts.tooLarge++;
      return json(413, { error: `body over ${maxBodyBytes} bytes` }, { connection: 'close' });
    }
    const sig = verifyRetellSignature(bytes, apiKey, input.header(RETELL_SIGNATURE_HEADER), { now });
    if (!sig.ok) {
      unauthorized[sig.reason] = (unauthorized[sig.reason] ?? 0) + 1;
      return json(401, { error: sig.message, reason: sig.reason });
    }
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
          signedAt: sig.timestampMs,
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
    return { status: 204, headers: {}, body: null };
  }

  const fetchHandler = async (request: Request): Promise<Response> => {
    const body = webBody(request.body);
    const out = await handle({
      method: request.method,
      header: (name) => request.headers.get(name),
      read: async (max) => {
        const bytes = await readCapped(body.next, max);
        if (bytes === null) body.stop();
        return bytes;
      },
    });
    return new Response(out.body, { status: out.status, headers: out.headers });
  };

  const send = (res: NodeResponseLike, out: Outgoing) => {
    try {
      res.statusCode = out.status;
      for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
      res.end(out.body ?? undefined);
    } catch (err) {
      // The client went away: nothing left to answer.
      calls.diagnose({ code: 'adapter_error', message: `Retell webhook response failed: ${String(err)}` });
    }
  };

  const fromNode = (req: NodeRequestLike, read: Incoming['read']): Incoming => ({
    method: req.method,
    header: (name) => {
      const v = req.headers[name];
      return (Array.isArray(v) ? v[0] : v) ?? null;
    },
    read,
  });

  const node = async (req: NodeRequestLike, res: NodeResponseLike): Promise<void> => {
    send(res, await handle(fromNode(req, (max) => readCapped(nodeBody(req), max))));
  };

  const express = async (req: NodeRequestLike, res: NodeResponseLike, next?: (err?: unknown) => void) => {
    const parsed = req.body;
    if (parsed instanceof Uint8Array || typeof parsed === 'string') {
      const bytes = typeof parsed === 'string' ? Buffer.from(parsed, 'utf8') : parsed;
      return send(res, await handle(fromNode(req, async (max) => (bytes.byteLength > max ? null : bytes))));
    }
    if (req.readableEnded && parsed !== undefined) {
      // A JSON parser consumed the body: the signed bytes are gone.
      const err = new Error(
        'Retell webhook: the body was already parsed (express.json?); mount the handler before it or use express.raw({ type: "application/json" })',
      );
      calls.diagnose({ code: 'adapter_error', message: err.message });
      if (next) return next(err);
      return send(res, json(500, { error: err.message }));
    }
    return node(req, res);
  };

  return Object.assign(fetchHandler, {
    node,
    express,
    close: () => {
      closed = true;
      calls.close();
    },
    stats: (): RetellWebhookStats => ({ ...calls.stats(), ...counts, unauthorized: { ...unauthorized } }),
  });
}
