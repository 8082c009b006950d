/**
 * `listenForPipecat` over real WebSockets on 127.0.0.1: Node `ws` clients play the Python
 * observer's part, sending fixture messages as `{conversation_id, ts, message}` envelopes.
 */
import { connect as tcp, type Socket } from 'node:net';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  CLOSE_CODES,
  listenForPipecat,
  MAX_PENDING_HANDSHAKES,
  type PipecatListener,
} from '@voxtrace/pipecat-bridge';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { rawRequest } from '../../core/test/support/raw-http.js';
import { BASE, F1, F2, type FixtureEvent, fixture, replay, setup } from './helpers.js';

const TOKEN = 'test-token-0123456789abcdef';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function start(
  options: {
    maxPayloadBytes?: number;
    token?: string;
    handshakeTimeoutMs?: number;
    maxConnections?: number;
  } = {},
) {
  const ctx = setup();
  const listenerDiagnostics: string[] = [];
  const listener = await listenForPipecat(ctx.bridge, {
    host: '127.0.0.1',
    port: 0,
    token: options.token ?? TOKEN,
    ...(options.maxPayloadBytes ? { maxPayloadBytes: options.maxPayloadBytes } : {}),
    ...(options.handshakeTimeoutMs ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    onDiagnostic: (d) => listenerDiagnostics.push(d.message),
  });
  cleanup.push(async () => {
    await listener.close();
    await ctx.vt.shutdown();
  });
  return { ...ctx, listener, listenerDiagnostics };
}

/** A connected client; rejects with the HTTP status when the handshake is refused. */
function connect(listener: PipecatListener, token: string | null = TOKEN): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(
      listener.url,
      token === null ? {} : { headers: { authorization: `Bearer ${token}` } },
    );
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
    cleanup.push(() => ws.terminate());
  });
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

/** Sends envelopes and an end, then waits until the bridge has them (the server echoes nothing). */
async function send(ws: WebSocket, id: string, events: FixtureEvent[], end = true): Promise<void> {
  const frames = events.map((e) =>
    JSON.stringify({ conversation_id: id, ts: (BASE + e.at_ms) / 1000, message: e.message }),
  );
  if (end)
    frames.push(JSON.stringify({ conversation_id: id, ts: (BASE + events.at(-1)!.at_ms) / 1000, end: true }));
  await Promise.all(
    frames.map(
      (f) => new Promise<void>((resolve, reject) => ws.send(f, (err) => (err ? reject(err) : resolve()))),
    ),
  );
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  if (!check()) throw new Error('condition not met');
}

/** A trace without its random ids: every span's name, parent's name, times and attributes. */
function shape(spans: ReadableSpan[]) {
  const names = new Map(spans.map((s) => [s.spanContext().spanId, s.name]));
  return spans
    .map((s) => ({
      name: s.name,
      parent: s.parentSpanContext ? (names.get(s.parentSpanContext.spanId) ?? 'remote') : null,
      traceId: s.spanContext().traceId,
      start: s.startTime,
      end: s.endTime,
      attributes: s.attributes,
      status: s.status,
    }))
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

describe('listenForPipecat', () => {
  it('turns a replayed fixture into the same trace as ingest does', async () => {
    const { listener, bridge, vt, spans } = await start();
    expect(listener.url).toBe(`ws://127.0.0.1:${listener.port}/`);
    const ws = await connect(listener);
    await send(ws, 'conv-f1', fixture(F1));
    await until(() => bridge.stats().openConversations === 0 && listener.stats().envelopes === 124);
    await vt.forceFlush();

    const direct = setup();
    replay(direct.bridge, fixture(F1), 'conv-f1');
    direct.bridge.end('conv-f1', { endedAt: BASE + 16351 });
    await direct.vt.forceFlush();

    expect(spans()).toHaveLength(direct.spans().length);
    expect(shape(spans())).toEqual(shape(direct.spans()));
    const turn2 = spans().find((s) => s.name === 'turn' && s.attributes['turn.index'] === 2)!;
    expect(turn2.attributes['turn.e2e_latency_ms']).toBe(2060);
    expect(listener.stats()).toMatchObject({ accepted: 1, refused: 0, badFrames: 0, connections: 1 });
  });

  it('refuses a wrong or missing token with 401, before any WebSocket opens', async () => {
    const { listener, bridge, listenerDiagnostics } = await start();
    await expect(connect(listener, 'test-token-0123456789abcdeX')).rejects.toThrow('HTTP 401');
    await expect(connect(listener, 'short')).rejects.toThrow('HTTP 401');
    await expect(connect(listener, null)).rejects.toThrow('HTTP 401');
    expect(listener.stats()).toMatchObject({ refused: 3, accepted: 0, connections: 0 });
    expect(bridge.stats().received).toBe(0);
    expect(listenerDiagnostics.filter((m) => m.includes('wrong token'))).toHaveLength(3);
    // The right token still works.
    await connect(listener);
    expect(listener.stats().accepted).toBe(1);
  });

  it('refuses an oversize or a non-JSON frame, closing only that connection', async () => {
    const { listener, bridge } = await start({ maxPayloadBytes: 4096 });
    const good = await connect(listener);
    const big = await connect(listener);
    const garbled = await connect(listener);
    const binary = await connect(listener);
    const notEnvelope = await connect(listener);
    const events = fixture(F2);

    // The good bot sends the first half of its session, the others misbehave, then it finishes.
    await send(good, 'good', events.slice(0, 20), false);
    const bigClosed = closed(big);
    big.send(
      JSON.stringify({
        conversation_id: 'big',
        ts: BASE / 1000,
        message: { type: 'x', data: 'y'.repeat(5000) },
      }),
    );
    const garbledClosed = closed(garbled);
    garbled.send('{"conversation_id": "g", "ts": 1, "message": ');
    const binaryClosed = closed(binary);
    binary.send(Buffer.from([1, 2, 3]));
    const notEnvelopeClosed = closed(notEnvelope);
    notEnvelope.send(JSON.stringify({ label: 'rtvi-ai', type: 'bot-ready' }));

    expect((await bigClosed).code).toBe(CLOSE_CODES.tooBig);
    expect(await garbledClosed).toEqual({ code: CLOSE_CODES.invalidPayload, reason: 'frame is not JSON' });
    expect((await binaryClosed).code).toBe(CLOSE_CODES.unsupportedData);
    const ne = await notEnvelopeClosed;
    expect(ne.code).toBe(CLOSE_CODES.policyViolation);
    expect(ne.reason).toMatch(/^not an envelope/);

    await send(good, 'good', events.slice(20));
    await until(() => bridge.stats().openConversations === 0);
    expect(good.readyState).toBe(WebSocket.OPEN);
    expect(listener.stats()).toMatchObject({ badFrames: 4, connections: 1, envelopes: events.length + 1 });
    expect(bridge.stats()).toMatchObject({ received: events.length, malformed: 0 });
  });

  it('takes many bots at once, each with its own conversations', async () => {
    const { listener, bridge, vt } = await start();
    const records: { id: string; latency: number | null }[] = [];
    vt.on('conversation', (r) => records.push({ id: r.id, latency: r.turns[0]?.e2eLatencyMs ?? null }));
    const bots = await Promise.all(Array.from({ length: 8 }, () => connect(listener)));
    await Promise.all(bots.map((ws, i) => send(ws, `bot-${i}`, fixture(F2))));
    await until(() => records.length === 8);
    expect(records.map((r) => r.id).sort()).toEqual(Array.from({ length: 8 }, (_, i) => `bot-${i}`).sort());
    expect(records.every((r) => r.latency === 2900)).toBe(true);
    expect(listener.stats()).toMatchObject({ accepted: 8, connections: 8 });
    expect(bridge.stats().malformed).toBe(0);
  });

  it('keeps a conversation open across a reconnect, until its end envelope', async () => {
    const { listener, bridge } = await start();
    const events = fixture(F2);
    const first = await connect(listener);
    await send(first, 'resumed', events.slice(0, 10), false);
    first.close();
    await closed(first);
    expect(bridge.stats().openConversations).toBe(1);
    const second = await connect(listener);
    await send(second, 'resumed', events.slice(10));
    await until(() => bridge.stats().openConversations === 0);
    expect(bridge.stats().afterEnd).toBe(0);
  });

  it('refuses plain HTTP, rejects a short token at setup, and closes cleanly', async () => {
    const { listener, bridge } = await start();
    const res = await fetch(`http://127.0.0.1:${listener.port}/`);
    expect(res.status).toBe(426);
    await expect(listenForPipecat(bridge, { token: 'short' })).rejects.toThrow(TypeError);
    // An unset environment variable fails at setup, saying what to pass.
    await expect(
      listenForPipecat(bridge, { token: process.env.VOXTRACE_SURELY_UNSET_TOKEN! }),
    ).rejects.toThrow(/token is undefined: pass the shared secret/);
    await expect(listenForPipecat(bridge, { token: TOKEN, handshakeTimeoutMs: 0 })).rejects.toThrow(
      /handshakeTimeoutMs/,
    );
    const ws = await connect(listener);
    const wsClosed = closed(ws);
    await listener.close();
    expect((await wsClosed).code).toBe(CLOSE_CODES.goingAway);
    await listener.close(); // idempotent
  });
});

/** A raw TCP connection; `closed` resolves with the ms from connect to the server closing it. */
async function open(listener: PipecatListener): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = tcp(listener.port, '127.0.0.1');
  socket.on('error', () => {});
  socket.resume(); // read (and drop) what the server says, so its close is seen
  cleanup.push(() => void socket.destroy());
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const at = performance.now();
  const closed = new Promise<number>((r) => socket.once('close', () => r(performance.now() - at)));
  return { socket, closed };
}

const UPGRADE_HEAD = (port: number) =>
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
  `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer ${TOKEN}\r\n`;

describe('the upgrade path under attack', () => {
  it('drops a half-sent upgrade (headers never finished) once handshakeTimeoutMs has passed', async () => {
    const { listener } = await start({ handshakeTimeoutMs: 500 });
    const { socket, closed } = await open(listener);
    socket.write(UPGRADE_HEAD(listener.port)); // no blank line: the headers never end
    const ms = await closed;
    expect(ms).toBeGreaterThanOrEqual(450);
    expect(ms).toBeLessThan(2500);
    expect(listener.stats()).toMatchObject({ accepted: 0, connections: 0 });
  });

  it('drops upgrade headers sent a byte at a time at the same cap', async () => {
    const { listener } = await start({ handshakeTimeoutMs: 500 });
    const { socket, closed } = await open(listener);
    const head = Buffer.from(`${UPGRADE_HEAD(listener.port)}\r\n`);
    let i = 0;
    const timer = setInterval(() => {
      if (i < head.length && !socket.destroyed) socket.write(head.subarray(i, ++i));
    }, 50);
    const ms = await closed;
    clearInterval(timer);
    expect(i).toBeLessThan(head.length); // cut before the headers were complete
    expect(ms).toBeLessThan(2500);
    expect(listener.stats().accepted).toBe(0);
  });

  it('answers plain HTTP with a body 426 without reading the body, and closes the connection', async () => {
    const { listener } = await start();
    const res = await rawRequest({ port: listener.port, body: { total: 50 * 1024 * 1024 } });
    expect(res.status).toBe(426);
    expect(res.headers.connection).toBe('close');
    expect(await res.closed).toBeLessThan(2000);
    expect(res.sentBytes).toBeLessThan(50 * 1024 * 1024);
  });

  it('caps TCP connections at maxConnections plus the pending handshakes; a bot connects once they time out', async () => {
    const { listener } = await start({ handshakeTimeoutMs: 800, maxConnections: 1 });
    const stalled = await Promise.all(
      Array.from({ length: 1 + MAX_PENDING_HANDSHAKES }, async () => {
        const c = await open(listener);
        c.socket.write('GET / HTTP/1.1\r\n');
        return c;
      }),
    );
    // One more is dropped at once: the server holds no more sockets than the cap.
    const extra = await open(listener);
    expect(await extra.closed).toBeLessThan(500);
    // The stalled ones are dropped at the handshake cap; then a real bot gets in.
    await Promise.all(stalled.map((c) => c.closed));
    const ws = await connect(listener);
    expect(ws.readyState).toBe(WebSocket.OPEN);
    expect(listener.stats()).toMatchObject({ accepted: 1, connections: 1 });
  });
});
