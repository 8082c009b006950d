/**
 * The validation fast path (`isExactVoiceEvent`) against the schema it shortcuts: it accepts an input
 * exactly when zod would accept it and return it unchanged. Inputs are built from every field of every
 * event type with valid and invalid values (edges of each rule), unknown keys and odd objects.
 */
import { createVoxtrace, isExactVoiceEvent, VOICE_EVENT_TYPES, voiceEventSchema } from '@voxtrace/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const FIELDS = [
  'at',
  'attributes',
  'provider',
  'model',
  'voice',
  'transcript',
  'confidence',
  'latencyMs',
  'audioDurationMs',
  'delayMs',
  'input',
  'output',
  'text',
  'inputTokens',
  'outputTokens',
  'characters',
  'error',
  'cancelled',
  'interrupted',
  'recoverable',
  'name',
  'callId',
  'arguments',
  'result',
  'layer',
  'message',
];

const numbers = fc.constantFrom(
  0,
  -0,
  1,
  0.5,
  1.5,
  -1,
  1_763_700_000_000,
  2 ** 53 - 1,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
);
const strings = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.constantFrom(199, 200, 201, 10_000, 10_001).map((n) => 'x'.repeat(n)),
  fc.constantFrom('stt', 'llm', 'tool', 'tts', 'telephony', 'dialog', 'network', ''),
);
const attributes = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.string(), numbers, fc.boolean()), { maxKeys: 3 }),
  fc.constant(JSON.parse('{"__proto__":{"a":1},"b":"c"}')),
  fc.constant(Object.assign(Object.create(null), { a: 'x' })),
  fc.constantFrom([], new Date(0), { a: null }, { a: [1] }, { a: {} }),
);
const anyValue = fc.oneof(
  numbers,
  strings,
  fc.boolean(),
  fc.constantFrom(null, undefined, true),
  attributes,
  fc.jsonValue({ maxDepth: 2 }),
);

/** An object made of a type and some fields, each with a value that may or may not suit it. */
const candidate = fc
  .record({
    type: fc.oneof(fc.constantFrom(...VOICE_EVENT_TYPES), fc.constantFrom('bogus', undefined, 7)),
    fields: fc.uniqueArray(fc.constantFrom(...FIELDS, 'extra'), { maxLength: 8 }),
    values: fc.array(anyValue, { minLength: 8, maxLength: 8 }),
    wrapper: fc.constantFrom('plain', 'plain', 'plain', 'null-proto', 'class'),
  })
  .map(({ type, fields, values, wrapper }) => {
    const o: Record<string, unknown> =
      wrapper === 'null-proto' ? Object.create(null) : wrapper === 'class' ? new (class Event {})() : {};
    o.type = type;
    fields.forEach((f, i) => (o[f] = values[i]));
    return o;
  });

/** Well-formed events of every type (what adapters send): the fast path must take them. */
const valid = fc.constantFrom(...VOICE_EVENT_TYPES).chain((type) =>
  fc
    .record(
      {
        at: fc.integer({ min: 0, max: 2e12 }),
        attributes: fc.dictionary(
          fc.string().filter((k) => k !== '__proto__'),
          fc.oneof(fc.string(), fc.integer(), fc.boolean()),
        ),
        provider: fc.string({ maxLength: 20 }),
        transcript: fc.string(),
        latencyMs: fc.option(fc.nat(), { nil: null }),
        name: fc.string({ minLength: 1, maxLength: 20 }),
        callId: fc.string({ minLength: 1, maxLength: 20 }),
        arguments: fc.jsonValue(),
        layer: fc.constantFrom('stt', 'llm', 'tool', 'tts', 'telephony', 'dialog'),
        message: fc.string(),
        inputTokens: fc.nat(),
        cancelled: fc.boolean(),
      },
      { requiredKeys: [] },
    )
    .map((fields) => {
      const shape = voiceEventSchema.options.find((o) => o.shape.type.value === type)!.shape;
      const e: Record<string, unknown> = { type };
      for (const [k, v] of Object.entries(fields)) if (k in shape) e[k] = v;
      // Required fields of the type.
      if ('transcript' in shape) e.transcript ??= 'hello';
      if ('name' in shape) e.name ??= 'lookup';
      if ('callId' in shape) e.callId ??= 'c1';
      if ('layer' in shape) e.layer ??= 'llm';
      if ('message' in shape) e.message ??= 'boom';
      return e;
    }),
);

describe('isExactVoiceEvent', () => {
  it('accepts exactly what the schema accepts and returns unchanged', () => {
    fc.assert(
      fc.property(candidate, (input) => {
        const parsed = voiceEventSchema.safeParse(input);
        const unchanged =
          parsed.success &&
          [Object.prototype, null].includes(Object.getPrototypeOf(input)) &&
          isDeepStrictEqual(parsed.data, input);
        expect(isExactVoiceEvent(input)).toBe(unchanged);
      }),
      { numRuns: 20_000 },
    );
  });

  it('takes every well-formed event of every type', () => {
    fc.assert(
      fc.property(valid, (event) => {
        expect(voiceEventSchema.safeParse(event).success).toBe(true);
        expect(isExactVoiceEvent(event)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('events taken without copying', () => {
  it('an agent may reuse one event object: each record is its own event, not a duplicate', async () => {
    const vt = createVoxtrace({ otlp: false, lateGraceMs: 0 });
    const turns: number[] = [];
    vt.on('turn', (t) => turns.push(t.e2eLatencyMs!));
    const conv = vt.startConversation({ id: 'reuse', startedAt: 0 });
    const event: { type: string; at: number } = { type: '', at: 0 };
    const say = (type: string, at: number) => {
      event.type = type;
      event.at = at;
      conv.record(event as never);
    };
    for (const start of [1000, 10_000]) {
      say('user.speech.started', start);
      say('user.speech.ended', start + 1000);
      say('agent.speech.started', start + 1800);
      say('agent.speech.ended', start + 3000);
    }
    conv.end({ endedAt: 20_000 });
    expect(turns).toEqual([800, 800]);
    expect(vt.stats().diagnostics.duplicate_event).toBeUndefined();
    await vt.shutdown();
  });
});

/** Deep equality that tells a missing key from an undefined one, and a NaN from anything. */
function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every(
    (k) =>
      Object.hasOwn(b, k) &&
      isDeepStrictEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
  );
}
