/**
 * Fuzzing every adapter's entry point with hostile input, 10 000 cases each: the Vapi and Retell
 * webhook handlers (called as web-standard handlers, no sockets), the Pipecat bridge's `ingest`, and
 * the Pipecat listener's WebSocket frames (over a real socket: its frame handling has no other door).
 * Whatever arrives: never a 5xx, never a throw or an unhandled rejection, always an answer that says
 * what was wrong, and no event the adapter builds is refused by core (that would be an adapter bug).
 *
 * Signatures: any change to a signed body, its signature or its timestamp is refused (401), and so is
 * any credential but the right one.
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVoxtrace, type Diagnostic, type Voxtrace } from '@voxtrace/core';
import { CLOSE_CODES, createPipecatBridge, listenForPipecat } from '@voxtrace/pipecat-bridge';
import { createRetellWebhookHandler, signRetellPayload } from '@voxtrace/retell';
import { createVapiWebhookHandler } from '@voxtrace/vapi';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { evilValue, mutated, wire } from './helpers/mutate.js';

const RUNS = 10_000;
/** 10 000 cases take seconds; a shared 2-core machine can be several times slower. */
const TIMEOUT = 180_000;
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = (name: string) => JSON.parse(readFileSync(path.resolve(repoRoot, 'fixtures', name), 'utf8'));

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(async () => {
  await new Promise((r) => setTimeout(r, 20));
  process.off('unhandledRejection', onUnhandled);
  expect(unhandled).toEqual([]);
});

/** A voxtrace instance that keeps its diagnostics (no span export: the fuzz is about the adapters). */
function instance(): { vt: Voxtrace; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const vt = createVoxtrace({ otlp: false, onDiagnostic: (d) => diagnostics.push(d) });
  return { vt, diagnostics };
}

/**
 * Diagnostics that would mean a bug of the adapter: an exception it caught in itself, or an event it
 * built that core refused as invalid.
 */
function adapterBugs(diagnostics: Diagnostic[]): string[] {
  return diagnostics
    .filter(
      (d) =>
        d.code === 'invalid_event' ||
        d.code === 'sink_error' ||
        /internal|handler:|threw|failed: (?:Type|Range|Reference)Error/.test(d.message),
    )
    .map((d) => `${d.code}: ${d.message}`)
    .slice(0, 10);
}

/** Tallies response statuses, so a test can show each kind of outcome was reached. */
function tally() {
  const seen = new Map<number, number>();
  return {
    add: (status: number) => seen.set(status, (seen.get(status) ?? 0) + 1),
    count: (status: number) => seen.get(status) ?? 0,
    toString: () => JSON.stringify(Object.fromEntries(seen)),
  };
}

/** A response is JSON (or empty), and reading it never fails. */
async function expectJsonBody(res: Response): Promise<void> {
  const text = await res.text();
  if (text) expect(() => JSON.parse(text)).not.toThrow();
}

const methods = fc.oneof(
  { weight: 20, arbitrary: fc.constant('POST') },
  { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS') },
);

// ---- Vapi ----------------------------------------------------------------------------------------

const VAPI_FIXTURES = [
  'vapi-end-of-call-report.json',
  'vapi-speech-update.json',
  'vapi-status-update-ended.json',
  'vapi-status-update-in-progress.json',
  'vapi-tool-calls.json',
].map((f) => fixture(`vapi/${f}`));
const VAPI_TYPES = [
  'end-of-call-report',
  'status-update',
  'speech-update',
  'transcript',
  'model-output',
  'voice-input',
  'user-interrupted',
  'tool-calls',
  'function-call',
  'conversation-update',
  'hang',
  'assistant-request',
  'transfer-update',
];

/** A Vapi server message: a fixture for a fresh call, with hostile edits and maybe another type. */
const vapiDocument = fc
  .tuple(fc.nat(VAPI_FIXTURES.length - 1), fc.uuid(), fc.option(fc.constantFrom(...VAPI_TYPES)))
  .chain(([i, id, type]) => {
    const base = structuredClone(VAPI_FIXTURES[i]) as { message: Record<string, unknown> };
    base.message.call = { ...(base.message.call as object), id };
    if (type) base.message.type = type;
    return mutated(base, 6, fc.constantFrom(...VAPI_TYPES));
  });

describe('Vapi webhook handler', () => {
  it(
    `${RUNS} hostile requests: never a 5xx or a rejection, always a JSON answer`,
    async () => {
      const { vt, diagnostics } = instance();
      const handler = createVapiWebhookHandler(vt, {
        auth: { type: 'secret', secret: 'vapi-secret' },
        onMessage: (m) =>
          m.type === 'tool-calls' ? { results: [{ toolCallId: 'x', result: 'ok' }] } : undefined,
      });
      const statuses = tally();
      await fc.assert(
        fc.asyncProperty(
          methods,
          wire(vapiDocument),
          fc.constantFrom('right', 'right', 'right', 'right', 'right', 'right', 'wrong', 'missing'),
          async (method, body, credential) => {
            const headers: Record<string, string> = { 'content-type': 'application/json' };
            if (credential === 'right') headers['x-vapi-secret'] = 'vapi-secret';
            if (credential === 'wrong') headers['x-vapi-secret'] = 'vapi-secreT';
            const res = await handler(
              new Request('http://127.0.0.1/vapi', { method, headers, body: method === 'GET' ? null : body }),
            );
            statuses.add(res.status);
            expect(res.status).toBeLessThan(500);
            if (method !== 'POST') expect(res.status).toBe(405);
            else if (credential !== 'right') expect(res.status).toBe(401);
            else expect([200, 400]).toContain(res.status);
            await expectJsonBody(res);
          },
        ),
        { numRuns: RUNS },
      );
      // The fuzz reached every outcome, the accepted messages most of all.
      for (const s of [200, 400, 401, 405]) expect(statuses.count(s), statuses.toString()).toBeGreaterThan(0);
      expect(statuses.count(200), statuses.toString()).toBeGreaterThan(RUNS / 4);
      expect(adapterBugs(diagnostics)).toEqual([]);
      await vt.shutdown();
    },
    TIMEOUT,
  );

  it(
    'HMAC: any change to the body, the signature or the timestamp is refused',
    async () => {
      const { vt } = instance();
      const secret = 'hmac-secret-for-the-fuzz';
      const now = 1_763_700_000_000;
      const handler = createVapiWebhookHandler(vt, {
        auth: { type: 'hmac', secretKey: secret },
        now: () => now,
      });
      const sign = (timestamp: string, body: Uint8Array, key = secret) =>
        createHmac('sha256', key).update(`${timestamp}.`).update(body).digest('hex');
      const tampering = fc.oneof(
        fc.record({ kind: fc.constant('none' as const) }),
        fc.record({ kind: fc.constant('body' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ kind: fc.constant('append' as const), byte: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ kind: fc.constant('truncate' as const), by: fc.integer({ min: 1, max: 10 }) }),
        fc.record({
          kind: fc.constant('signature' as const),
          at: fc.nat(),
          delta: fc.integer({ min: 1, max: 15 }),
        }),
        fc.record({
          kind: fc.constant('timestamp' as const),
          delta: fc.integer({ min: -299_000, max: 299_000 }).filter((d) => d !== 0),
        }),
        fc.record({
          kind: fc.constant('key' as const),
          key: fc.string({ minLength: 1 }).filter((k) => k !== secret),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), fc.boolean(), tampering, async (doc, seconds, t) => {
          const body = new TextEncoder().encode(JSON.stringify({ message: { type: 'hang', detail: doc } }));
          const signedAt = seconds ? String(Math.floor(now / 1000)) : String(now);
          let timestamp = signedAt;
          let signature = sign(signedAt, body);
          let sent = body;
          switch (t.kind) {
            case 'body': {
              sent = body.slice();
              const i = t.at % sent.length;
              sent[i] = sent[i]! ^ (1 << t.bit);
              break;
            }
            case 'append':
              sent = new Uint8Array([...body, t.byte]);
              break;
            case 'truncate':
              sent = body.slice(0, Math.max(0, body.length - t.by));
              break;
            case 'signature': {
              // A different hex digit (not merely another case of the same one).
              const i = t.at % signature.length;
              const digit = ((parseInt(signature[i]!, 16) + t.delta) % 16).toString(16);
              signature = signature.slice(0, i) + digit + signature.slice(i + 1);
              break;
            }
            case 'timestamp':
              timestamp = seconds
                ? String(Number(signedAt) + (Math.trunc(t.delta / 1000) || Math.sign(t.delta)))
                : String(now + t.delta);
              break;
            case 'key':
              signature = sign(signedAt, body, t.key);
              break;
          }
          const res = await handler(
            new Request('http://127.0.0.1/vapi', {
              method: 'POST',
              headers: { 'x-signature': signature, 'x-timestamp': timestamp },
              body: sent,
            }),
          );
          if (t.kind === 'none') expect(res.status).not.toBe(401);
          else expect(res.status).toBe(401);
        }),
        { numRuns: RUNS },
      );
      await vt.shutdown();
    },
    TIMEOUT,
  );

  it(
    'shared secret and bearer token: any other value is refused',
    async () => {
      const { vt } = instance();
      const secret = 'the-shared-secret';
      const handler = createVapiWebhookHandler(vt, {
        auth: [
          { type: 'secret', secret },
          { type: 'bearer', token: secret },
        ],
      });
      const body = JSON.stringify({ message: { type: 'hang' } });
      await fc.assert(
        fc.asyncProperty(
          fc.string().filter((s) => s.trim() !== secret),
          fc.constantFrom('x-vapi-secret', 'authorization'),
          async (guess, header) => {
            let value = header === 'authorization' ? `Bearer ${guess}` : guess;
            // Headers cannot carry every string; what cannot be sent cannot be tried.
            try {
              new Headers({ [header]: value });
            } catch {
              value = 'x';
            }
            const res = await handler(
              new Request('http://127.0.0.1/vapi', { method: 'POST', headers: { [header]: value }, body }),
            );
            expect(res.status).toBe(401);
          },
        ),
        { numRuns: 2000 },
      );
      await vt.shutdown();
    },
    TIMEOUT,
  );
});

// ---- Retell --------------------------------------------------------------------------------------

const RETELL_KEY = 'key_fuzz_retell';
const retellBase = fixture('retell/retell-call_analyzed.json') as { call: Record<string, unknown> };
const RETELL_EVENTS = [
  'call_started',
  'call_ended',
  'call_analyzed',
  'transfer_started',
  'call_inbound',
  'bogus',
];
let retellCall = 0;

const retellDocument = fc.constantFrom(...RETELL_EVENTS).chain((event) => {
  const base = structuredClone(retellBase);
  (base as Record<string, unknown>).event = event;
  base.call.call_id = `fuzz-${retellCall++}`;
  return mutated(base, 6, fc.constantFrom(...RETELL_EVENTS));
});

describe('Retell webhook handler', () => {
  it(
    `${RUNS} hostile requests, correctly signed: never a 5xx or a rejection, always a JSON answer`,
    async () => {
      const { vt, diagnostics } = instance();
      const handler = createRetellWebhookHandler(vt, { apiKey: RETELL_KEY, analysisWaitMs: 0 });
      const statuses = tally();
      await fc.assert(
        fc.asyncProperty(methods, wire(retellDocument), async (method, body) => {
          const res = await handler(
            new Request('http://127.0.0.1/retell', {
              method,
              headers: { 'x-retell-signature': signRetellPayload(body, RETELL_KEY) },
              body: method === 'GET' ? null : body,
            }),
          );
          statuses.add(res.status);
          expect(res.status).toBeLessThan(500);
          expect(method === 'POST' ? [200, 204, 400] : [405]).toContain(res.status);
          await expectJsonBody(res);
        }),
        { numRuns: RUNS },
      );
      for (const s of [204, 400, 405]) expect(statuses.count(s), statuses.toString()).toBeGreaterThan(0);
      expect(statuses.count(204), statuses.toString()).toBeGreaterThan(RUNS / 4);
      expect(adapterBugs(diagnostics)).toEqual([]);
      handler.close();
      await vt.shutdown();
    },
    TIMEOUT,
  );

  it(
    'any change to the body, the signature, its timestamp or the key is refused',
    async () => {
      const { vt } = instance();
      const now = 1_763_700_000_000;
      const handler = createRetellWebhookHandler(vt, {
        apiKey: RETELL_KEY,
        analysisWaitMs: 0,
        now: () => now,
      });
      const tampering = fc.oneof(
        fc.record({ kind: fc.constant('none' as const) }),
        fc.record({ kind: fc.constant('body' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
        fc.record({ kind: fc.constant('append' as const), text: fc.string({ minLength: 1, maxLength: 3 }) }),
        fc.record({
          kind: fc.constant('digest' as const),
          at: fc.nat(),
          delta: fc.integer({ min: 1, max: 15 }),
        }),
        fc.record({
          kind: fc.constant('timestamp' as const),
          delta: fc.integer({ min: -299_999, max: 299_999 }).filter((d) => d !== 0),
        }),
        fc.record({
          kind: fc.constant('stale' as const),
          delta: fc.integer({ min: 300_001, max: 10 ** 12 }),
        }),
        fc.record({
          kind: fc.constant('future' as const),
          delta: fc.integer({ min: 300_001, max: 10 ** 12 }),
        }),
        fc.record({
          kind: fc.constant('key' as const),
          key: fc.string({ minLength: 1 }).filter((k) => k !== RETELL_KEY),
        }),
      );
      await fc.assert(
        fc.asyncProperty(fc.jsonValue(), tampering, async (doc, t) => {
          const raw = JSON.stringify({ event: 'bogus', call: { call_id: 'sig' }, detail: doc });
          let body = new TextEncoder().encode(raw);
          let header = signRetellPayload(raw, RETELL_KEY, now);
          const [, digest] = /d=([0-9a-f]+)/.exec(header)!;
          switch (t.kind) {
            case 'body': {
              body = body.slice();
              const i = t.at % body.length;
              body[i] = body[i]! ^ (1 << t.bit);
              break;
            }
            case 'append':
              body = new TextEncoder().encode(raw + t.text);
              break;
            case 'digest': {
              const i = t.at % digest!.length;
              const d = ((parseInt(digest![i]!, 16) + t.delta) % 16).toString(16);
              header = `v=${now},d=${digest!.slice(0, i)}${d}${digest!.slice(i + 1)}`;
              break;
            }
            case 'timestamp':
              header = `v=${now + t.delta},d=${digest}`;
              break;
            case 'stale':
              header = signRetellPayload(raw, RETELL_KEY, now - t.delta);
              break;
            case 'future':
              header = signRetellPayload(raw, RETELL_KEY, now + t.delta);
              break;
            case 'key':
              header = signRetellPayload(raw, t.key, now);
              break;
          }
          const res = await handler(
            new Request('http://127.0.0.1/retell', {
              method: 'POST',
              headers: { 'x-retell-signature': header },
              body,
            }),
          );
          if (t.kind === 'none') expect(res.status).not.toBe(401);
          else expect(res.status).toBe(401);
        }),
        { numRuns: RUNS },
      );
      handler.close();
      await vt.shutdown();
    },
    TIMEOUT,
  );
});

// ---- Pipecat -------------------------------------------------------------------------------------

const pipecatEvents = (
  fixture('pipecat/01-three-turns-function-call-full.json') as {
    events: { message: Record<string, unknown> }[];
  }
).events.map((e) => e.message);
const RTVI_TYPES = [...new Set(pipecatEvents.map((m) => m.type as string)), 'error', 'llm-function-call'];

/** An RTVI message from the fixture, with hostile edits, another type or another shape. */
const rtviMessage = fc
  .tuple(fc.nat(pipecatEvents.length - 1), fc.option(fc.constantFrom(...RTVI_TYPES)))
  .chain(([i, type]) => {
    const base = structuredClone(pipecatEvents[i]!);
    if (type) base.type = type;
    return mutated(base, 4, fc.constantFrom(...RTVI_TYPES));
  });

/** What the bridge may be handed: messages, envelopes, their JSON text, bytes, anything. */
const ingestInput = fc.oneof(
  { weight: 6, arbitrary: rtviMessage },
  {
    weight: 3,
    arbitrary: fc
      .record({
        conversation_id: fc.constantFrom('p1', 'p2', 'p3'),
        ts: evilValue,
        message: rtviMessage,
        end: fc.option(fc.boolean(), { nil: undefined }),
      })
      .map((e) => (e.end === undefined ? { ...e, end: undefined } : e)),
  },
  { weight: 2, arbitrary: rtviMessage.map((m) => JSON.stringify(m)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 1, arbitrary: fc.anything() },
);

describe('Pipecat bridge ingest', () => {
  it(
    `${RUNS} hostile inputs: never a throw, and the bridge still records a clean session after`,
    () => {
      const { vt, diagnostics } = instance();
      const bridge = createPipecatBridge(vt);
      fc.assert(
        fc.property(
          ingestInput,
          fc.option(
            fc.record({ conversationId: fc.constantFrom('p1', 'p2', undefined), receivedAt: evilValue }),
          ),
          (input, meta) => {
            expect(() => bridge.ingest(input, (meta ?? undefined) as never)).not.toThrow();
          },
        ),
        { numRuns: RUNS },
      );
      const stats = bridge.stats();
      expect(stats.received).toBe(RUNS);
      expect(stats.malformed).toBeGreaterThan(0);
      expect(adapterBugs(diagnostics)).toEqual([]);
      // Unharmed: a clean session afterwards gives its turns.
      const turns: number[] = [];
      vt.on('conversation', (r) => r.id === 'after' && turns.push(r.turnCount));
      pipecatEvents.forEach((m, k) =>
        bridge.ingest(m, { conversationId: 'after', receivedAt: 1_763_700_000_000 + k * 100 }),
      );
      bridge.end('after');
      expect(turns).toHaveLength(1);
      expect(turns[0]).toBeGreaterThan(0);
      bridge.close();
    },
    TIMEOUT,
  );
});

describe('Pipecat listener frames', () => {
  const TOKEN = 'fuzz-token-0123456789abcdef';

  it(
    `${RUNS} hostile frames: invalid ones close only their connection with a documented code`,
    async () => {
      const { vt, diagnostics } = instance();
      const bridge = createPipecatBridge(vt);
      const listener = await listenForPipecat(bridge, { token: TOKEN, heartbeatMs: 60_000 });
      const connect = () =>
        new Promise<WebSocket>((resolve, reject) => {
          const ws = new WebSocket(listener.url, { headers: { authorization: `Bearer ${TOKEN}` } });
          ws.once('open', () => resolve(ws));
          ws.once('error', reject);
        });
      let ws = await connect();
      let closes = 0;
      const codes = new Set<number>();
      // Mostly envelopes around hostile messages (the connection stays open); some frames that are not
      // envelopes, not JSON or binary (each closes its connection, and the bot reconnects).
      const frame = fc.oneof(
        {
          weight: 30,
          arbitrary: fc
            .tuple(
              fc.constantFrom('f1', 'f2'),
              fc.double({ min: 1.7e9, max: 1.8e9, noNaN: true }),
              rtviMessage,
            )
            .map(([id, ts, message]) => ({
              text: JSON.stringify({ conversation_id: id, ts, message }),
              ok: true,
            })),
        },
        {
          weight: 1,
          arbitrary: fc.constant({ text: '{"conversation_id": "f1", "ts": 1.7e9, "end": true}', ok: true }),
        },
        {
          weight: 1,
          arbitrary: mutated({ conversation_id: 'f1', ts: 1.7e9, message: { type: 'x' } }, 3).map((d) => ({
            text: JSON.stringify(d) ?? 'null',
            ok: undefined,
          })),
        },
        { weight: 1, arbitrary: fc.string().map((text) => ({ text: `${text}{`, ok: false })) },
        {
          weight: 1,
          arbitrary: fc.uint8Array({ minLength: 1, maxLength: 32 }).map((bytes) => ({ bytes, ok: false })),
        },
      );
      await fc.assert(
        fc.asyncProperty(frame, async (f) => {
          const before = listener.stats();
          const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
          await new Promise<void>((resolve, reject) =>
            ws.send('bytes' in f ? f.bytes : f.text, { binary: 'bytes' in f }, (err) =>
              err ? reject(err) : resolve(),
            ),
          );
          // The frame is handled once the server answers a ping sent after it (frames are in order),
          // or once it closed the connection.
          const outcome = await Promise.race([
            closed.then((code) => ({ closed: code })),
            new Promise<{ closed: null }>((resolve) => {
              ws.once('pong', () => resolve({ closed: null }));
              ws.ping();
            }),
          ]);
          const after = listener.stats();
          if (outcome.closed === null) {
            expect(f.ok).not.toBe(false);
            expect(after.envelopes).toBe(before.envelopes + 1);
          } else {
            expect(f.ok).not.toBe(true);
            codes.add(outcome.closed);
            expect([
              CLOSE_CODES.unsupportedData,
              CLOSE_CODES.invalidPayload,
              CLOSE_CODES.policyViolation,
            ]).toContain(outcome.closed);
            expect(after.badFrames).toBe(before.badFrames + 1);
            closes++;
            ws = await connect();
          }
        }),
        { numRuns: RUNS },
      );
      ws.terminate();
      expect(closes).toBeGreaterThan(0);
      expect(codes.size).toBe(3);
      expect(listener.stats().envelopes).toBeGreaterThan(RUNS / 2);
      expect(adapterBugs(diagnostics)).toEqual([]);
      await listener.close();
      bridge.close();
      await vt.shutdown();
    },
    TIMEOUT,
  );

  it(
    'any token but the right one is refused at the handshake',
    async () => {
      const { vt } = instance();
      const bridge = createPipecatBridge(vt);
      const listener = await listenForPipecat(bridge, { token: TOKEN });
      await fc.assert(
        fc.asyncProperty(
          fc
            .oneof(
              fc.string({ unit: 'binary-ascii' }),
              fc.nat(TOKEN.length - 1).map((n) => TOKEN.slice(0, n)),
              fc
                .tuple(fc.nat(TOKEN.length - 1), fc.constantFrom('0', 'x', 'F'))
                .map(([i, c]) => TOKEN.slice(0, i) + c + TOKEN.slice(i + 1)),
            )
            .filter((t) => t !== TOKEN),
          async (token) => {
            const status = await new Promise<number>((resolve) => {
              let ws: WebSocket;
              try {
                ws = new WebSocket(listener.url, { headers: { authorization: `Bearer ${token}` } });
              } catch {
                return resolve(401); // a header Node cannot send cannot be tried
              }
              ws.once('open', () => {
                ws.terminate();
                resolve(101);
              });
              ws.once('unexpected-response', (_req, res) => {
                res.resume();
                ws.terminate();
                resolve(res.statusCode ?? 0);
              });
              ws.once('error', () => resolve(401));
            });
            expect(status).toBe(401);
          },
        ),
        { numRuns: 300 },
      );
      expect(listener.stats().accepted).toBe(0);
      await listener.close();
      bridge.close();
      await vt.shutdown();
    },
    TIMEOUT,
  );
});
