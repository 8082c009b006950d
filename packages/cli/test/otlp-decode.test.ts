/**
 * The decoders against the OpenTelemetry JS serializers (`@opentelemetry/otlp-transformer`, the code
 * the exporters use) on arbitrary spans, and against malformed input built by hand.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { decodeJsonTraces, decodeProtobufTraces, OtlpJsonError, ProtobufError } from '@voxtrace/cli';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectedSpan, KeepSpans } from './helpers/spans.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

/** A key the SDK stores as a plain property (not `__proto__`, which it cannot hold). */
const key = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((k) => k !== '__proto__');
const double = fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d));
const value = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  double,
  fc.boolean(),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 4 }),
  fc.array(fc.integer({ min: -(2 ** 40), max: 2 ** 40 }), { maxLength: 4 }),
  fc.array(fc.boolean(), { maxLength: 4 }),
);
const spanSpec = fc.record({
  name: fc.string({ unit: 'grapheme', maxLength: 20 }),
  kind: fc.constantFrom(
    SpanKind.INTERNAL,
    SpanKind.SERVER,
    SpanKind.CLIENT,
    SpanKind.PRODUCER,
    SpanKind.CONSUMER,
  ),
  startMs: fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 }),
  durationUs: fc.integer({ min: 0, max: 10_000_000_000 }),
  attributes: fc.dictionary(key, value, { maxKeys: 8 }),
  events: fc.array(
    fc.record({ name: fc.string({ maxLength: 10 }), attributes: fc.dictionary(key, value, { maxKeys: 3 }) }),
    { maxLength: 3 },
  ),
  status: fc.constantFrom<[SpanStatusCode, string | undefined]>(
    [SpanStatusCode.UNSET, undefined],
    [SpanStatusCode.OK, undefined],
    [SpanStatusCode.ERROR, 'boom'],
  ),
  child: fc.boolean(),
});

type SpanSpec = typeof spanSpec extends fc.Arbitrary<infer T> ? T : never;

/** Real SDK spans made from the specs (a child span gets a parent). */
function makeSpans(specs: SpanSpec[]): ReadableSpan[] {
  const keep = new KeepSpans();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(keep)] });
  const tracer = provider.getTracer('decode-test', '1.0.0');
  for (const s of specs) {
    const parent = s.child ? tracer.startSpan('parent', { startTime: s.startMs }) : undefined;
    const ctx = parent ? trace.setSpan(ROOT_CONTEXT, parent) : ROOT_CONTEXT;
    const span = tracer.startSpan(
      s.name,
      { kind: s.kind, startTime: s.startMs, attributes: s.attributes },
      ctx,
    );
    for (const [i, e] of s.events.entries()) span.addEvent(e.name, e.attributes, s.startMs + i);
    span.setStatus({ code: s.status[0], message: s.status[1] });
    span.end(s.startMs + s.durationUs / 1000);
    parent?.end(s.startMs + s.durationUs / 1000);
  }
  return keep.spans;
}

describe('decoders vs the OpenTelemetry serializers', () => {
  it('protobuf and JSON decode to the spans the SDK holds, for arbitrary spans', () => {
    fc.assert(
      fc.property(fc.array(spanSpec, { minLength: 1, maxLength: 5 }), (specs) => {
        const spans = makeSpans(specs);
        const expected = spans.map(expectedSpan);
        const proto = decodeProtobufTraces(ProtobufTraceSerializer.serializeRequest(spans)!);
        const json = decodeJsonTraces(new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!));
        expect(proto).toEqual({ spans: expected, rejected: 0, rejectReason: null });
        expect(json).toEqual({ spans: expected, rejected: 0, rejectReason: null });
      }),
      { numRuns: 150 },
    );
  });

  it('protobuf: any truncation or corruption is a ProtobufError or a clean decode, never a crash', () => {
    const body = ProtobufTraceSerializer.serializeRequest(
      makeSpans([
        {
          name: 'turn',
          kind: SpanKind.INTERNAL,
          startMs: 1_763_700_000_000,
          durationUs: 1500,
          attributes: { a: 'x', n: -5, d: 1.5, l: ['p', 'q'] },
          events: [{ name: 'e', attributes: { k: true } }],
          status: [SpanStatusCode.ERROR, 'bad'],
          child: false,
        },
      ]),
    )!;
    for (let cut = 0; cut < body.length; cut++) {
      try {
        decodeProtobufTraces(body.subarray(0, cut));
      } catch (err) {
        expect(err).toBeInstanceOf(ProtobufError);
      }
    }
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: body.length - 1 }),
        fc.integer({ min: 0, max: 255 }),
        fc.uint8Array({ maxLength: 64 }),
        (at, byte, noise) => {
          const corrupt = Uint8Array.from(body);
          corrupt[at] = byte;
          for (const input of [corrupt, noise]) {
            try {
              const out = decodeProtobufTraces(input);
              expect(out.spans.length + out.rejected).toBeGreaterThanOrEqual(0);
            } catch (err) {
              expect(err).toBeInstanceOf(ProtobufError);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

/** Minimal protobuf writer for hand-made messages. */
const varint = (n: number | bigint): number[] => {
  let v = BigInt.asUintN(64, BigInt(n));
  const out: number[] = [];
  while (v > 0x7fn) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
};
const field = (no: number, wire: number, payload: number[]): number[] => [
  ...varint(no * 8 + wire),
  ...(wire === 2 ? varint(payload.length) : []),
  ...payload,
];
const bytes = (no: number, b: number[] | string): number[] =>
  field(no, 2, typeof b === 'string' ? [...Buffer.from(b)] : b);
const hexBytes = (h: string) => [...Buffer.from(h, 'hex')];
const fixed64 = (no: number, v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return field(no, 1, [...b]);
};
/** ExportTraceServiceRequest with one resource, one scope and the given encoded spans. */
const request = (...spans: number[][]) =>
  Uint8Array.from(
    bytes(1, [
      ...bytes(1, bytes(1, [...bytes(1, 'service.name'), ...bytes(2, bytes(1, 'svc'))])),
      ...bytes(
        2,
        spans.flatMap((s) => bytes(2, s)),
      ),
    ]),
  );
const span = (extra: number[] = [], traceId = TRACE, spanId = SPAN) => [
  ...bytes(1, hexBytes(traceId)),
  ...bytes(2, hexBytes(spanId)),
  ...bytes(5, 'turn'),
  ...fixed64(7, 1_763_700_000_123_456_789n),
  ...fixed64(8, 1_763_700_001_000_000_000n),
  ...extra,
];
const attr = (key: string, anyValue: number[]) => bytes(9, [...bytes(1, key), ...bytes(2, anyValue)]);

describe('protobuf decoder, by hand', () => {
  it('reads every AnyValue kind, negative int64, skips unknown fields of every wire type, keeps __proto__ as a key', () => {
    const nested = bytes(5, [...bytes(1, bytes(1, 'x')), ...bytes(1, field(3, 0, varint(-7n)))]);
    const kv = bytes(6, bytes(1, [...bytes(1, 'inner'), ...bytes(2, field(2, 0, [1]))]));
    const dbl = Buffer.alloc(8);
    dbl.writeDoubleLE(-2.5);
    const body = request(
      span([
        ...attr('s', bytes(1, 'héllo ✓')),
        ...attr('neg', field(3, 0, varint(-1234567890123n))),
        ...attr('d', field(4, 1, [...dbl])),
        ...attr('b', field(2, 0, [1])),
        ...attr('arr', nested),
        ...attr('kv', kv),
        ...attr('bytes', bytes(7, [1, 2, 3])),
        ...attr('__proto__', bytes(1, 'safe')),
        ...attr('empty', []),
        ...field(99, 0, varint(5)), // unknown varint
        ...field(98, 1, [0, 0, 0, 0, 0, 0, 0, 0]), // unknown fixed64
        ...field(97, 5, [1, 2, 3, 4]), // unknown fixed32
        ...bytes(96, 'unknown bytes'),
        ...field(6, 0, [2]), // kind SERVER
        ...bytes(15, [...bytes(2, 'failed'), ...field(3, 0, [2])]),
        ...bytes(11, [
          ...fixed64(1, 1_763_700_000_500_000_000n),
          ...bytes(2, 'voice.error'),
          ...bytes(3, [...bytes(1, 'layer'), ...bytes(2, bytes(1, 'llm'))]),
        ]),
      ]),
    );
    const out = decodeProtobufTraces(body);
    expect(out.rejected).toBe(0);
    const s = out.spans[0]!;
    expect(s).toMatchObject({
      traceId: TRACE,
      spanId: SPAN,
      parentSpanId: null,
      name: 'turn',
      kind: 2,
      startMs: 1_763_700_000_123.456,
      endMs: 1_763_700_001_000,
    });
    expect(s.status).toEqual({ code: 2, message: 'failed' });
    expect(s.events).toEqual([
      { name: 'voice.error', timeMs: 1_763_700_000_500, attributes: { layer: 'llm' } },
    ]);
    expect(s.resource).toEqual({ 'service.name': 'svc' });
    expect(Object.getPrototypeOf(s.attributes)).toBe(Object.prototype);
    expect(Object.entries(s.attributes)).toEqual([
      ['s', 'héllo ✓'],
      ['neg', -1234567890123],
      ['d', -2.5],
      ['b', true],
      ['arr', ['x', -7]],
      ['kv', { inner: true }],
      ['bytes', 'AQID'],
      ['__proto__', 'safe'],
      ['empty', null],
    ]);
  });

  it('rejects a span with bad ids alone, with the reason', () => {
    const out = decodeProtobufTraces(request(span([], '00'.repeat(16)), span([], TRACE, 'abcd'), span()));
    expect(out.spans.map((s) => s.spanId)).toEqual([SPAN]);
    expect(out.rejected).toBe(2);
    expect(out.rejectReason).toMatch(/invalid trace id/);
  });

  it.each([
    ['a known field with the wrong wire type', Uint8Array.from(field(1, 0, [1])), /wire type 0, expected 2/],
    ['a length past the end', Uint8Array.from([0x0a, 0x05, 0x01]), /past the end/],
    [
      'a varint longer than 10 bytes',
      Uint8Array.from([...varint(99 * 8), ...Array(11).fill(0xff)]),
      /longer than 10 bytes/,
    ],
    ['a group (wire type 3)', Uint8Array.from([0x0b]), /wire type 3/],
    ['field number 0', Uint8Array.from([0x02, 0x00]), /field number 0/],
    ['a truncated fixed64', Uint8Array.from(request(span()).subarray(0, 60)), /truncated|past the end/],
    [
      'attribute values nested 17 deep',
      request(
        span(
          attr(
            'deep',
            Array.from({ length: 18 }).reduce<number[]>((inner) => bytes(5, bytes(1, inner)), bytes(1, 'x')),
          ),
        ),
      ),
      /nested deeper than 16/,
    ],
  ])('throws a ProtobufError for %s', (_, body, message) => {
    expect(() => decodeProtobufTraces(body)).toThrow(ProtobufError);
    expect(() => decodeProtobufTraces(body)).toThrow(message);
  });
});

describe('JSON decoder, leniently', () => {
  const doc = (spans: unknown[], extra: object = {}) =>
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeSpans: [{ scope: { name: 's' }, spans }],
        },
      ],
      ...extra,
    });
  const good = {
    traceId: TRACE,
    spanId: SPAN,
    name: 'turn',
    kind: 1,
    startTimeUnixNano: '1763700000123456789',
    endTimeUnixNano: 1763700001000000000,
    attributes: [],
  };

  it('accepts snake_case keys, base64 ids, enum names, integers as strings, special doubles, kvlists and bytes', () => {
    const text = JSON.stringify({
      resource_spans: [
        {
          scope_spans: [
            {
              spans: [
                {
                  trace_id: Buffer.from(TRACE, 'hex').toString('base64'),
                  span_id: Buffer.from(SPAN, 'hex').toString('base64'),
                  parent_span_id: '',
                  name: 'llm',
                  kind: 'SPAN_KIND_CLIENT',
                  start_time_unix_nano: '1763700000000000000',
                  end_time_unix_nano: '1763700000250000000',
                  attributes: [
                    { key: 'i', value: { int_value: '-42' } },
                    { key: 'nan', value: { double_value: 'NaN' } },
                    {
                      key: 'kv',
                      value: { kvlist_value: { values: [{ key: 'a', value: { bool_value: false } }] } },
                    },
                    { key: 'raw', value: { bytes_value: 'AQID' } },
                    { key: '__proto__', value: { string_value: 'safe' } },
                    { key: 'none' },
                  ],
                  status: { code: 'STATUS_CODE_ERROR', message: 'x' },
                },
              ],
            },
          ],
        },
      ],
    });
    const out = decodeJsonTraces(text);
    expect(out.rejected).toBe(0);
    const s = out.spans[0]!;
    expect(s).toMatchObject({
      traceId: TRACE,
      spanId: SPAN,
      parentSpanId: null,
      kind: 3,
      startMs: 1_763_700_000_000,
      endMs: 1_763_700_000_250,
      status: { code: 2, message: 'x' },
    });
    expect(Object.entries(s.attributes)).toEqual([
      ['i', -42],
      ['nan', NaN],
      ['kv', { a: false }],
      ['raw', 'AQID'],
      ['__proto__', 'safe'],
      ['none', null],
    ]);
  });

  it('rejects malformed spans alone and keeps the others', () => {
    const out = decodeJsonTraces(
      doc([
        { ...good, spanId: 'nothex!!' },
        { ...good, startTimeUnixNano: 'soon' },
        { ...good, kind: 'SPAN_KIND_WEIRD' },
        good,
      ]),
    );
    expect(out.spans).toHaveLength(1);
    expect(out.rejected).toBe(3);
    expect(out.rejectReason).toMatch(/invalid span id/);
  });

  it.each([
    ['not JSON', '{"resourceSpans": [', /not JSON/],
    ['resourceSpans not an array', '{"resourceSpans": 5}', /resourceSpans/],
    [
      'a resource attribute without a key',
      JSON.stringify({ resourceSpans: [{ resource: { attributes: [{ value: {} }] } }] }),
      /key/,
    ],
    [
      'absurd nesting',
      `{"resourceSpans":[{"scopeSpans":[{"spans":[]}],"resource":{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(3000)}${']}}'.repeat(3000)}}]}}]}`,
      /nested|not an ExportTraceServiceRequest|not JSON/,
    ],
  ])('throws an OtlpJsonError for %s', (_, text, message) => {
    expect(() => decodeJsonTraces(text)).toThrow(OtlpJsonError);
    expect(() => decodeJsonTraces(text)).toThrow(message);
  });

  it('an empty request is valid', () => {
    expect(decodeJsonTraces('{}')).toEqual({ spans: [], rejected: 0, rejectReason: null });
    expect(decodeProtobufTraces(new Uint8Array(0))).toEqual({ spans: [], rejected: 0, rejectReason: null });
  });
});
