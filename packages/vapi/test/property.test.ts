import { createVapiWebhookHandler, observeVapiMessage } from '@voxtrace/vapi';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, fixture, type Harness, harness } from './helpers.js';

const KNOWN_TYPES = [
  'end-of-call-report',
  'status-update',
  'speech-update',
  'transcript',
  'transcript[transcriptType="final"]',
  'model-output',
  'voice-input',
  'user-interrupted',
  'tool-calls',
  'function-call',
  'conversation-update',
  'hang',
  'assistant.speechStarted',
  'language-change-detected',
  'assistant-request',
];

type Json = unknown;
type Path = (string | number)[];

/** Every path of a JSON value (objects and arrays included). */
function paths(value: Json, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...paths(v, [...prefix, i]));
  } else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

function mutate(root: Json, path: Path, op: 'set' | 'delete', value: Json): Json {
  if (path.length === 0) return op === 'set' ? value : undefined;
  const [head, ...rest] = path;
  if (Array.isArray(root)) {
    const copy = [...root];
    if (rest.length === 0 && op === 'delete') copy.splice(head as number, 1);
    else copy[head as number] = mutate(copy[head as number], rest, op, value);
    return copy;
  }
  if (root && typeof root === 'object') {
    const copy: Record<string, Json> = { ...(root as Record<string, Json>) };
    if (rest.length === 0 && op === 'delete') delete copy[head as string];
    else copy[head as string] = mutate(copy[head as string], rest, op, value);
    return copy;
  }
  return root;
}

const bodies = FIXTURES.map((name) => fixture(name));
const allPaths = bodies.map((b) => paths(b));

/** A fixture with up to 6 mutations: a value replaced by anything, a key removed, or the type swapped. */
const mutatedFixture = fc
  .record({
    fixture: fc.nat({ max: bodies.length - 1 }),
    edits: fc.array(
      fc.record({
        at: fc.nat(),
        op: fc.constantFrom('set' as const, 'delete' as const),
        value: fc.oneof(
          fc.jsonValue(),
          fc.constantFrom(...KNOWN_TYPES),
          fc.double(),
          fc.constant(null),
          fc.string(),
          fc.integer({ min: -1e15, max: 1e15 }),
        ),
      }),
      { maxLength: 6 },
    ),
    retype: fc.option(fc.constantFrom(...KNOWN_TYPES)),
    callId: fc.uuid(),
  })
  .map(({ fixture: i, edits, retype, callId }) => {
    // A new call each time, so a report is not skipped as a repeat of the previous one.
    let body: Json = mutate(bodies[i], ['message', 'call', 'id'], 'set', callId);
    for (const e of edits) {
      const ps = allPaths[i]!;
      body = mutate(body, ps[e.at % ps.length]!, e.op, e.value);
    }
    if (retype && body && typeof body === 'object' && (body as { message?: unknown }).message) {
      body = mutate(body, ['message', 'type'], 'set', retype);
    }
    return body;
  });

/** What reaches the server: a mutated fixture as JSON, possibly cut short or with bytes flipped. */
const wireBody = fc
  .record({
    body: mutatedFixture,
    cut: fc.option(fc.nat()),
    noise: fc.option(fc.uint8Array({ maxLength: 16 })),
  })
  .map(({ body, cut, noise }) => {
    let text = JSON.stringify(body) ?? 'undefined';
    if (cut !== null) text = text.slice(0, cut % (text.length + 1));
    const bytes = new TextEncoder().encode(text);
    if (!noise) return bytes;
    const out = new Uint8Array(bytes.length + noise.length);
    out.set(bytes);
    out.set(noise, bytes.length);
    return out;
  });

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => process.off('unhandledRejection', onUnhandled));

/** Diagnostics that would mean a bug of the adapter: an exception caught, or an event core refused. */
function adapterBugs(h: Harness): string[] {
  return h.diagnostics
    .filter((d) => d.code === 'invalid_event' || /internal|handler:|threw/.test(d.message))
    .map((d) => `${d.code}: ${d.message}`);
}

let h: Harness;
afterEach(async () => {
  await h?.vt.shutdown();
});

describe('mutated fixtures', () => {
  it('through the handler: never a 5xx, never an unhandled rejection, the answer always JSON', async () => {
    h = harness();
    const handler = createVapiWebhookHandler(h.vt, {
      auth: { type: 'secret', secret: 's' },
      onMessage: (m) =>
        m.type === 'tool-calls' ? { results: [{ toolCallId: 'x', result: 'ok' }] } : undefined,
    });
    await fc.assert(
      fc.asyncProperty(wireBody, async (bytes) => {
        const res = await handler(
          new Request('http://127.0.0.1/vapi', {
            method: 'POST',
            headers: { 'x-vapi-secret': 's' },
            body: bytes,
          }),
        );
        expect(res.status).toBeLessThan(500);
        expect([200, 400]).toContain(res.status);
        expect(() => JSON.parse(JSON.stringify(res.headers.get('content-type')))).not.toThrow();
        await res.json();
      }),
      { numRuns: 400 },
    );
    await new Promise((ok) => setImmediate(ok));
    expect(unhandled).toEqual([]);
    expect(adapterBugs(h)).toEqual([]);
  });

  it('through observeVapiMessage: never throws, and a refused body says why', () => {
    h = harness();
    fc.assert(
      fc.property(fc.oneof(mutatedFixture, fc.anything()), (body) => {
        const r = observeVapiMessage(h.vt, body);
        if (!r.ok) expect(r.problems.length).toBeGreaterThan(0);
        expect(['recorded', 'completed', 'ignored', 'invalid']).toContain(r.action);
        expect(r.problems.some((p) => p.startsWith('internal error'))).toBe(false);
      }),
      { numRuns: 600 },
    );
    expect(adapterBugs(h)).toEqual([]);
  });
});
