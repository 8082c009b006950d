/**
 * `listenForPipecat(bridge, options)`: a WebSocket server that Pipecat bots connect to with the
 * voxtrace observer (`examples/pipecat/voxtrace_observer.py`). Each text frame is one JSON envelope,
 * `{conversation_id, ts, message}` or `{conversation_id, ts, end: true}`; one connection may carry
 * any number of conversations, and any number of bots may connect at once.
 *
 * Security: the handshake must carry `Authorization: Bearer <token>` (compared in constant time),
 * else it is answered `401` and no WebSocket is opened. A handshake's headers must arrive within
 * `handshakeTimeoutMs` (a half-sent upgrade is dropped then); TCP connections are capped at
 * `maxConnections` plus {@link MAX_PENDING_HANDSHAKES} still shaking hands. Frames are capped at
 * `maxPayloadBytes`. Plain HTTP requests are answered `426` without reading their body.
 *
 * A bad frame closes its connection (and only it) with a close code saying why; the bot's observer
 * reconnects. Conversations stay open across reconnects: the `end` envelope ends them, or core's
 * idle timeout does (outcome `abandoned`) when a bot dies without saying so.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Diagnostic, DiagnosticHandler } from '@voxtrace/core';
import { bearerToken, safeEqual, toNodeHandler } from '@voxtrace/core/http';
import { type WebSocket, WebSocketServer } from 'ws';
import type { PipecatBridge } from './bridge.js';
import { issues } from './decode.js';
import { envelopeSchema } from './schema.js';
import { secondsToMs } from './units.js';

/** Options of {@link listenForPipecat}. */
export interface ListenForPipecatOptions {
  /** Interface to listen on. Default `127.0.0.1`; use `0.0.0.0` only behind TLS termination. */
  host?: string;
  /** Port; `0` (default) picks a free one (read it from `.port`). */
  port?: number;
  /**
   * Shared secret the bots send as `Authorization: Bearer <token>`. At least 16 characters. Required: an
   * unset token throws at setup (there is no unauthenticated mode: the listener takes network connections).
   */
  token: string;
  /** Largest frame accepted, in bytes; a larger one closes the connection with 1009. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Connections accepted at once; more are answered `503`. Default 1000. */
  maxConnections?: number;
  /**
   * Time for a connection to send its whole handshake (the upgrade request's headers). Default 9 000 ms, so
   * that with the once-a-second check a half-sent handshake is dropped within 10 s.
   */
  handshakeTimeoutMs?: number;
  /** Ping interval; a connection that misses a pong is dropped. Default 30 000 ms. */
  heartbeatMs?: number;
  /** Called for refused handshakes and bad frames (code `adapter_error`). Must not throw. */
  onDiagnostic?: DiagnosticHandler;
}

/** Counters of {@link PipecatListener.stats}. */
export interface PipecatListenerStats {
  /** Connections open now. */
  connections: number;
  /** Connections accepted since start. */
  accepted: number;
  /** Handshakes refused: bad or missing token (401), too many connections (503). */
  refused: number;
  /** Envelopes handed to the bridge. */
  envelopes: number;
  /** Frames refused: not JSON, not an envelope, binary, oversize or invalid UTF-8. Each closed its connection. */
  badFrames: number;
}

/** A running listener. */
export interface PipecatListener {
  /** The port it listens on. */
  readonly port: number;
  /** `ws://host:port/`, for the bot's observer. */
  readonly url: string;
  stats(): PipecatListenerStats;
  /** Closes every connection (1001) and the server. Does not end conversations: `bridge.close()` does. */
  close(): Promise<void>;
}

/** TCP connections still shaking hands accepted beside `maxConnections`; beyond them a connection is dropped. */
export const MAX_PENDING_HANDSHAKES = 64;

/** WebSocket close codes used for refused frames (RFC 6455 §7.4.1). */
export const CLOSE_CODES = {
  /** A binary frame: envelopes are JSON text. */
  unsupportedData: 1003,
  /** Not JSON, or invalid UTF-8. */
  invalidPayload: 1007,
  /** JSON, but not an envelope. */
  policyViolation: 1008,
  /** Larger than `maxPayloadBytes`. */
  tooBig: 1009,
  /** The listener is closing. */
  goingAway: 1001,
} as const;

/**
 * Starts a WebSocket server that feeds forwarder envelopes into `bridge`. Resolves once listening;
 * rejects if the port cannot be bound. Throws on a missing or short token, or a malformed option.
 */
export async function listenForPipecat(
  bridge: PipecatBridge,
  options: ListenForPipecatOptions,
): Promise<PipecatListener> {
  if (typeof bridge?.ingest !== 'function')
    throw new TypeError('listenForPipecat: the first argument must be what createPipecatBridge() returns');
  const token: unknown = options?.token;
  if (typeof token !== 'string' || token.length < 16) {
    const was =
      token === undefined
        ? 'undefined'
        : typeof token === 'string'
          ? `${token.length} characters`
          : typeof token;
    throw new TypeError(
      `listenForPipecat: token is ${was}: pass the shared secret the bots send (at least 16 characters, e.g. process.env.VOXTRACE_PIPECAT_TOKEN)`,
    );
  }
  const host = options.host ?? '127.0.0.1';
  const maxConnections = positive(options.maxConnections, 1000, 'maxConnections');
  const handshakeTimeoutMs = positive(options.handshakeTimeoutMs, 9_000, 'handshakeTimeoutMs');
  const counts = { accepted: 0, refused: 0, envelopes: 0, badFrames: 0 };
  const diagnose = (message: string, detail?: unknown) => {
    const d: Diagnostic = { code: 'adapter_error', message: `pipecat listener: ${message}`, detail };
    try {
      options.onDiagnostic?.(d);
    } catch {
      // A user callback must not break the server.
    }
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? 1024 * 1024 });
  const server = createServer(
    {
      // A half-sent upgrade is dropped once this passes (checked every second, not Node's 30 s).
      headersTimeout: handshakeTimeoutMs,
      requestTimeout: handshakeTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, handshakeTimeoutMs),
    },
    toNodeHandler(
      async () =>
        new Response('voxtrace pipecat listener: connect with a WebSocket\n', {
          status: 426,
          headers: { 'content-type': 'text/plain', upgrade: 'websocket' },
        }),
    ),
  );
  server.maxConnections = maxConnections + MAX_PENDING_HANDSHAKES;

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!authorized(req, token)) {
      counts.refused++;
      diagnose(`refused a connection from ${req.socket.remoteAddress}: missing or wrong token`);
      return refuse(socket, 401, 'Unauthorized');
    }
    if (wss.clients.size >= maxConnections) {
      counts.refused++;
      diagnose(`refused a connection: ${maxConnections} connections open`);
      return refuse(socket, 503, 'Service Unavailable');
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const alive = new WeakMap<WebSocket, boolean>();
  wss.on('connection', (ws: WebSocket) => {
    counts.accepted++;
    alive.set(ws, true);
    ws.on('pong', () => alive.set(ws, true));
    const reject = (code: number, reason: string, detail?: unknown) => {
      counts.badFrames++;
      diagnose(`closed a connection (${code}): ${reason}`, detail);
      ws.close(code, reason.slice(0, 120));
    };
    // ws closes the connection itself (1009 oversize, 1007 invalid UTF-8, 1002 protocol) and reports it here.
    ws.on('error', (err: Error & { code?: string }) => {
      counts.badFrames++;
      diagnose(`closed a connection: ${err.code ?? 'error'}: ${err.message}`, err);
    });
    ws.on('message', (data, isBinary) => {
      if (isBinary) return reject(CLOSE_CODES.unsupportedData, 'binary frames are not supported');
      let value: unknown;
      try {
        value = JSON.parse(data.toString());
      } catch {
        return reject(CLOSE_CODES.invalidPayload, 'frame is not JSON');
      }
      const env = envelopeSchema.safeParse(value);
      if (!env.success) return reject(CLOSE_CODES.policyViolation, `not an envelope: ${issues(env.error)}`);
      counts.envelopes++;
      const e = env.data;
      const meta = { conversationId: e.conversation_id, receivedAt: secondsToMs(e.ts) };
      if (e.end) bridge.end(e.conversation_id, { endedAt: meta.receivedAt });
      else bridge.ingest(e.message, meta);
    });
  });

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (!alive.get(ws)) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, options.heartbeatMs ?? 30_000);
  heartbeat.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => diagnose(`server error: ${err.message}`, err));
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | null = null;
  return {
    port,
    url: `ws://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    stats: () => ({ connections: wss.clients.size, ...counts }),
    close: () => {
      closing ??= (async () => {
        clearInterval(heartbeat);
        await Promise.all([...wss.clients].map((ws) => closeSocket(ws)));
        await new Promise<void>((resolve) => wss.close(() => resolve()));
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closing;
    },
  };
}

/** Constant-time check of `Authorization: Bearer <token>`. */
function authorized(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  return safeEqual(bearerToken(typeof header === 'string' ? header : null) ?? '', token);
}

function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new TypeError(`listenForPipecat: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

/** Closes with 1001 and waits for the peer's close, at most a second. */
function closeSocket(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close(CLOSE_CODES.goingAway, 'listener closing');
    setTimeout(() => ws.terminate(), 1000).unref();
  });
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
