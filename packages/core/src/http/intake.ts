/**
 * The body intake of a webhook or receiver: credentials checked from the headers first, then the body read
 * under caps in bytes (declared `Content-Length` and streamed), in time (`bodyTimeoutMs`, counted from the
 * handler asking, queue wait included) and in concurrency (`maxConcurrentBodies` read at once, a bounded
 * FIFO of `maxQueuedBodies` waiting; beyond that 503 with `Retry-After`). Every outcome is one result shape;
 * nothing here throws.
 */
import { promisify } from 'node:util';
import { gunzip as gunzipCallback } from 'node:zlib';
import type { HeaderCheck, HeaderVerdict } from './credentials.js';
import { Gate } from './gate.js';
import type { IntakeLimits } from './limits.js';

const gunzip = promisify(gunzipCallback);

/** Why a request was not taken, as the status to answer and a sentence saying why. */
export interface IntakeFailure {
  ok: false;
  /**
   * 400 unreadable (bad `Content-Length`, aborted, bad gzip) · 401 credential refused · 408 body too slow ·
   * 413 body too large · 415 unsupported `Content-Encoding` · 503 too many bodies being read (retry later).
   */
  status: 400 | 401 | 408 | 413 | 415 | 503;
  reason: string;
  /** For 401: the credential check's own code, when it has one. */
  code?: string;
  /** For 503: seconds to send in `Retry-After`. */
  retryAfterSeconds?: number;
}

/** A request's body, read whole and verified, or why not. */
export type IntakeResult = { ok: true; bytes: Uint8Array } | IntakeFailure;

/** Options of one {@link BodyIntake.receive}. */
export interface ReceiveOptions {
  /** Checks the credentials from the headers before any body byte is read; see {@link HeaderVerdict}. */
  check?: HeaderCheck;
  /**
   * Undo a `gzip` `Content-Encoding` (the decompressed size is capped by `maxBodyBytes` too, so a zip bomb
   * stops there); any other encoding but `identity` is a 415. Off: the bytes are returned as sent.
   */
  decompress?: boolean;
}

/** Reads request bodies under one set of limits; one per handler (the concurrency cap is per intake). */
export interface BodyIntake {
  readonly limits: Readonly<IntakeLimits>;
  /** Checks credentials, reads and verifies the body. Never rejects. */
  receive(request: Request, options?: ReceiveOptions): Promise<IntakeResult>;
  /** Bodies being read and requests waiting for a read slot, now. */
  load(): { reading: number; queued: number };
}

const EMPTY = new Uint8Array(0);
const DIGITS = /^\d{1,16}$/;

/** Creates an intake. `limits` come from {@link resolveIntakeLimits}. */
export function createBodyIntake(limits: IntakeLimits): BodyIntake {
  const gate = new Gate(limits.maxConcurrentBodies, limits.maxQueuedBodies);
  const { maxBodyBytes, bodyTimeoutMs } = limits;

  async function receive(request: Request, options: ReceiveOptions = {}): Promise<IntakeResult> {
    const verdict = options.check ? await headerVerdict(options.check, request) : ({ ok: true } as const);
    if (verdict.ok === false) {
      discard(request);
      return { ok: false, status: 401, reason: verdict.reason, ...(verdict.code && { code: verdict.code }) };
    }
    const length = request.headers.get('content-length');
    let declared: number | null = null;
    if (length !== null) {
      if (!DIGITS.test(length.trim())) {
        discard(request);
        return { ok: false, status: 400, reason: 'content-length is not a byte count' };
      }
      declared = Number(length.trim());
      if (declared > maxBodyBytes) {
        discard(request);
        return {
          ok: false,
          status: 413,
          reason: `body of ${declared} bytes is over the limit of ${maxBodyBytes} bytes (maxBodyBytes)`,
        };
      }
    }
    const asked = Date.now();
    const slot = await gate.acquire(bodyTimeoutMs);
    if (slot !== 'held') {
      discard(request);
      return {
        ok: false,
        status: 503,
        reason:
          slot === 'full'
            ? `busy: ${limits.maxConcurrentBodies} bodies are being read and ${limits.maxQueuedBodies} are waiting`
            : `busy: no read slot freed up within ${bodyTimeoutMs} ms`,
        retryAfterSeconds: 1,
      };
    }
    try {
      const read = await readCapped(request, declared, bodyTimeoutMs - (Date.now() - asked));
      if (!read.ok) return read;
      const bytes = options.decompress ? await decode(request, read.bytes) : read;
      if (!bytes.ok) return bytes;
      if (verdict.ok === 'body') {
        const v = await bodyVerdict(verdict.verify, read.bytes);
        if (!v.ok) return { ok: false, status: 401, reason: v.reason, ...(v.code && { code: v.code }) };
      }
      return bytes;
    } finally {
      gate.release();
    }
  }

  /** The body, stopping at the byte cap or the deadline (the stream is cancelled: nothing more is read). */
  async function readCapped(
    request: Request,
    declared: number | null,
    timeLeftMs: number,
  ): Promise<IntakeResult> {
    if (!request.body) return { ok: true, bytes: EMPTY };
    if (timeLeftMs <= 0) {
      discard(request);
      return {
        ok: false,
        status: 503,
        reason: `busy: no read slot freed up within ${bodyTimeoutMs} ms`,
        retryAfterSeconds: 1,
      };
    }
    let reader: ReadableStreamDefaultReader<Uint8Array>;
    try {
      reader = request.body.getReader();
    } catch (err) {
      return { ok: false, status: 400, reason: `could not read the body: ${String(err)}` };
    }
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reader.cancel().catch(() => {});
    }, timeLeftMs);
    timer.unref?.();
    const slow = (): IntakeFailure => ({
      ok: false,
      status: 408,
      reason: `body not received within ${bodyTimeoutMs} ms (bodyTimeoutMs)`,
    });
    // With a declared length the body is copied into one buffer as it arrives (no second copy at the end).
    const whole = declared !== null ? Buffer.allocUnsafe(declared) : null;
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (timedOut) return slow();
        if (done) break;
        const chunk = toBytes(value);
        if (size + chunk.byteLength > maxBodyBytes) {
          reader.cancel().catch(() => {});
          return {
            ok: false,
            status: 413,
            reason: `body over the limit of ${maxBodyBytes} bytes (maxBodyBytes): reading stopped there`,
          };
        }
        if (whole && size + chunk.byteLength <= whole.byteLength) whole.set(chunk, size);
        else chunks.push(chunk);
        size += chunk.byteLength;
      }
    } catch (err) {
      if (timedOut) return slow();
      return { ok: false, status: 400, reason: `could not read the body: ${message(err)}` };
    } finally {
      clearTimeout(timer);
    }
    if (whole && !chunks.length)
      return { ok: true, bytes: size === whole.byteLength ? whole : whole.subarray(0, size) };
    // No declared length (chunked), or a body longer than it declared (only a hand-built Request can be).
    const parts = whole ? [whole.subarray(0, Math.min(size, whole.byteLength)), ...chunks] : chunks;
    return { ok: true, bytes: parts.length === 1 ? parts[0]! : Buffer.concat(parts, size) };
  }

  /** Undoes a gzip content-encoding, the output capped by `maxBodyBytes`. */
  async function decode(request: Request, bytes: Uint8Array): Promise<IntakeResult> {
    const encoding = (request.headers.get('content-encoding') ?? '').trim().toLowerCase();
    if (encoding === '' || encoding === 'identity') return { ok: true, bytes };
    if (encoding !== 'gzip' && encoding !== 'x-gzip')
      return {
        ok: false,
        status: 415,
        reason: `unsupported content-encoding "${encoding.slice(0, 40)}" (gzip or none)`,
      };
    try {
      return { ok: true, bytes: await gunzip(bytes, { maxOutputLength: maxBodyBytes }) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        return {
          ok: false,
          status: 413,
          reason: `decompressed body over the limit of ${maxBodyBytes} bytes (maxBodyBytes): decompression stopped there`,
        };
      return { ok: false, status: 400, reason: `invalid gzip body: ${message(err)}` };
    }
  }

  return {
    limits: Object.freeze({ ...limits }),
    receive: async (request, options) => {
      try {
        return await receive(request, options);
      } catch (err) {
        // A bug of ours must not reject into the host's server.
        return { ok: false, status: 400, reason: `could not read the request: ${message(err)}` };
      }
    },
    load: () => ({ reading: gate.held, queued: gate.queued }),
  };
}

/** A check that throws refuses (and says so) instead of rejecting. */
async function headerVerdict(check: HeaderCheck, request: Request): Promise<HeaderVerdict> {
  try {
    return await check(request);
  } catch (err) {
    return { ok: false, reason: `credential check failed: ${message(err)}` };
  }
}

async function bodyVerdict(
  verify: (body: Uint8Array) => HeaderVerdict | Promise<HeaderVerdict>,
  body: Uint8Array,
): Promise<{ ok: true } | { ok: false; reason: string; code?: string }> {
  try {
    const v = await verify(body);
    return v.ok === true ? v : v.ok === false ? v : { ok: false, reason: 'credential check did not decide' };
  } catch (err) {
    return { ok: false, reason: `credential check failed: ${message(err)}` };
  }
}

/** Tells the body's source we will not read it (the Node bridge then closes the connection after answering). */
function discard(request: Request): void {
  try {
    if (request.body && !request.body.locked) request.body.cancel().catch(() => {});
  } catch {
    // Nothing to cancel.
  }
}

function toBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  throw new TypeError(`unexpected body chunk: ${typeof value}`);
}

function message(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 200);
}
