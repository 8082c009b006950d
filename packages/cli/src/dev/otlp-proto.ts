/**
 * Decodes an OTLP `ExportTraceServiceRequest` in the protobuf encoding (`application/x-protobuf`).
 * Field numbers are those of opentelemetry-proto's `collector/trace/v1/trace_service.proto`,
 * `trace/v1/trace.proto`, `resource/v1/resource.proto` and `common/v1/common.proto`, as written by
 * `@opentelemetry/otlp-transformer`'s serializer. Unknown fields are skipped (newer schema versions
 * add some); a malformed message throws a {@link ProtobufError}; a span with invalid ids is rejected
 * alone.
 */
import { expectWire, ProtobufError, ProtobufReader, WIRE } from './protobuf.js';
import {
  type AttributeValue,
  type DecodedTraces,
  hex,
  idProblem,
  setAttribute,
  MAX_VALUE_DEPTH,
  msFromNanos,
  type SpanAttributes,
  type SpanEvent,
  statusCode,
} from './span.js';

/** Decodes a protobuf `ExportTraceServiceRequest`. Throws {@link ProtobufError} when malformed. */
export function decodeProtobufTraces(body: Uint8Array): DecodedTraces {
  const out: DecodedTraces = { spans: [], rejected: 0, rejectReason: null };
  const r = new ProtobufReader(body);
  while (r.more()) {
    const { field, wire } = r.tag();
    // ExportTraceServiceRequest.resource_spans = 1
    if (field === 1) {
      expectWire(field, wire, WIRE.bytes, 'ExportTraceServiceRequest');
      resourceSpans(r.message(), out);
    } else r.skip(wire);
  }
  return out;
}

interface RawSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  kind: number;
  startNanos: bigint;
  endNanos: bigint;
  attributes: SpanAttributes;
  events: SpanEvent[];
  status: { code: number; message: string };
}

function resourceSpans(r: ProtobufReader, out: DecodedTraces): void {
  let resource: SpanAttributes = {};
  const raw: RawSpan[] = [];
  while (r.more()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      // ResourceSpans.resource = 1 → Resource.attributes = 1
      expectWire(field, wire, WIRE.bytes, 'ResourceSpans');
      resource = attributesOf(r.message(), 1, 'Resource');
    } else if (field === 2) {
      // ResourceSpans.scope_spans = 2 → ScopeSpans.spans = 2 (scope = 1 and schema_url = 3 unused)
      expectWire(field, wire, WIRE.bytes, 'ResourceSpans');
      const s = r.message();
      while (s.more()) {
        const t = s.tag();
        if (t.field === 2) {
          expectWire(t.field, t.wire, WIRE.bytes, 'ScopeSpans');
          raw.push(span(s.message()));
        } else s.skip(t.wire);
      }
    } else r.skip(wire);
  }
  // The resource may follow its spans on the wire: attach it once the message is read.
  for (const s of raw) {
    const problem = idProblem(s.traceId, s.spanId, s.parentSpanId);
    if (problem) {
      out.rejected++;
      out.rejectReason ??= problem;
      continue;
    }
    out.spans.push({
      traceId: s.traceId,
      spanId: s.spanId,
      parentSpanId: s.parentSpanId,
      name: s.name,
      kind: s.kind,
      startMs: msFromNanos(s.startNanos),
      endMs: msFromNanos(s.endNanos),
      attributes: s.attributes,
      events: s.events,
      status: { code: statusCode(s.status.code), message: s.status.message },
      resource,
    });
  }
}

function span(r: ProtobufReader): RawSpan {
  const s: RawSpan = {
    traceId: '',
    spanId: '',
    parentSpanId: null,
    name: '',
    kind: 0,
    startNanos: 0n,
    endNanos: 0n,
    attributes: {},
    events: [],
    status: { code: 0, message: '' },
  };
  while (r.more()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: // trace_id
        expectWire(field, wire, WIRE.bytes, 'Span');
        s.traceId = hex(r.bytes());
        break;
      case 2: // span_id
        expectWire(field, wire, WIRE.bytes, 'Span');
        s.spanId = hex(r.bytes());
        break;
      case 4: {
        // parent_span_id: empty (or zeros) for a root
        expectWire(field, wire, WIRE.bytes, 'Span');
        const p = hex(r.bytes());
        s.parentSpanId = p && !/^0+$/.test(p) ? p : null;
        break;
      }
      case 5: // name
        expectWire(field, wire, WIRE.bytes, 'Span');
        s.name = r.string();
        break;
      case 6: // kind
        expectWire(field, wire, WIRE.varint, 'Span');
        s.kind = r.uint32();
        break;
      case 7: // start_time_unix_nano
        expectWire(field, wire, WIRE.fixed64, 'Span');
        s.startNanos = r.fixed64();
        break;
      case 8: // end_time_unix_nano
        expectWire(field, wire, WIRE.fixed64, 'Span');
        s.endNanos = r.fixed64();
        break;
      case 9: // attributes
        expectWire(field, wire, WIRE.bytes, 'Span');
        keyValueInto(r.message(), s.attributes, 0);
        break;
      case 11: // events
        expectWire(field, wire, WIRE.bytes, 'Span');
        s.events.push(event(r.message()));
        break;
      case 15: // status
        expectWire(field, wire, WIRE.bytes, 'Span');
        s.status = status(r.message());
        break;
      default: // trace_state, dropped counts, links, flags
        r.skip(wire);
    }
  }
  return s;
}

function event(r: ProtobufReader): SpanEvent {
  const e: SpanEvent = { name: '', timeMs: 0, attributes: {} };
  while (r.more()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(field, wire, WIRE.fixed64, 'Span.Event');
      e.timeMs = msFromNanos(r.fixed64());
    } else if (field === 2) {
      expectWire(field, wire, WIRE.bytes, 'Span.Event');
      e.name = r.string();
    } else if (field === 3) {
      expectWire(field, wire, WIRE.bytes, 'Span.Event');
      keyValueInto(r.message(), e.attributes, 0);
    } else r.skip(wire);
  }
  return e;
}

function status(r: ProtobufReader): { code: number; message: string } {
  const s = { code: 0, message: '' };
  while (r.more()) {
    const { field, wire } = r.tag();
    if (field === 2) {
      expectWire(field, wire, WIRE.bytes, 'Status');
      s.message = r.string();
    } else if (field === 3) {
      expectWire(field, wire, WIRE.varint, 'Status');
      s.code = r.uint32();
    } else r.skip(wire);
  }
  return s;
}

/** The repeated `KeyValue` field `attrField` of a message (Resource: 1). */
function attributesOf(r: ProtobufReader, attrField: number, where: string): SpanAttributes {
  const out: SpanAttributes = {};
  while (r.more()) {
    const { field, wire } = r.tag();
    if (field === attrField) {
      expectWire(field, wire, WIRE.bytes, where);
      keyValueInto(r.message(), out, 0);
    } else r.skip(wire);
  }
  return out;
}

/** Reads one `KeyValue` (key = 1, value = 2) into `into`. */
function keyValueInto(r: ProtobufReader, into: Record<string, AttributeValue>, depth: number): void {
  let key = '';
  let value: AttributeValue = null;
  while (r.more()) {
    const { field, wire } = r.tag();
    if (field === 1) {
      expectWire(field, wire, WIRE.bytes, 'KeyValue');
      key = r.string();
    } else if (field === 2) {
      expectWire(field, wire, WIRE.bytes, 'KeyValue');
      value = anyValue(r.message(), depth);
    } else r.skip(wire);
  }
  setAttribute(into, key, value);
}

/** Reads an `AnyValue` (a oneof; the last value field wins, as in protobuf). */
function anyValue(r: ProtobufReader, depth: number): AttributeValue {
  if (depth > MAX_VALUE_DEPTH)
    throw new ProtobufError(`attribute values nested deeper than ${MAX_VALUE_DEPTH}`);
  let value: AttributeValue = null;
  while (r.more()) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1: // string_value
        expectWire(field, wire, WIRE.bytes, 'AnyValue');
        value = r.string();
        break;
      case 2: // bool_value
        expectWire(field, wire, WIRE.varint, 'AnyValue');
        value = r.varint() !== 0n;
        break;
      case 3: // int_value
        expectWire(field, wire, WIRE.varint, 'AnyValue');
        value = r.int64();
        break;
      case 4: // double_value
        expectWire(field, wire, WIRE.fixed64, 'AnyValue');
        value = r.double();
        break;
      case 5: {
        // array_value: ArrayValue.values = 1
        expectWire(field, wire, WIRE.bytes, 'AnyValue');
        const a = r.message();
        const list: AttributeValue[] = [];
        while (a.more()) {
          const t = a.tag();
          if (t.field === 1) {
            expectWire(t.field, t.wire, WIRE.bytes, 'ArrayValue');
            list.push(anyValue(a.message(), depth + 1));
          } else a.skip(t.wire);
        }
        value = list;
        break;
      }
      case 6: {
        // kvlist_value: KeyValueList.values = 1
        expectWire(field, wire, WIRE.bytes, 'AnyValue');
        const l = r.message();
        const obj: Record<string, AttributeValue> = {};
        while (l.more()) {
          const t = l.tag();
          if (t.field === 1) {
            expectWire(t.field, t.wire, WIRE.bytes, 'KeyValueList');
            keyValueInto(l.message(), obj, depth + 1);
          } else l.skip(t.wire);
        }
        value = obj;
        break;
      }
      case 7: // bytes_value
        expectWire(field, wire, WIRE.bytes, 'AnyValue');
        value = Buffer.from(r.bytes()).toString('base64');
        break;
      default:
        r.skip(wire);
    }
  }
  return value;
}
