/**
 * A received span, the same whichever OTLP encoding brought it: hex ids, epoch-millisecond times
 * (microsecond precision) and plain attribute values.
 */

/** An OTLP `AnyValue` as plain data; bytes arrive as base64 strings. */
export type AttributeValue =
  string | number | boolean | null | AttributeValue[] | { [key: string]: AttributeValue };

/** Attributes by key. */
export type SpanAttributes = Record<string, AttributeValue>;

/** A span event (`voice.error`, for one). */
export interface SpanEvent {
  name: string;
  timeMs: number;
  attributes: SpanAttributes;
}

/** OTLP status codes: 0 unset, 1 ok, 2 error. */
export type StatusCode = 0 | 1 | 2;

/** One span as decoded from an OTLP export request. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | null;
  name: string;
  /** OTLP `SpanKind` (0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer). */
  kind: number;
  startMs: number;
  endMs: number;
  attributes: SpanAttributes;
  events: SpanEvent[];
  status: { code: StatusCode; message: string };
  /** The resource's attributes (`service.name`…), shared by the spans of one resource. */
  resource: SpanAttributes;
}

/** What a decoder got out of one request: the valid spans and how many it rejected, and why. */
export interface DecodedTraces {
  spans: ReceivedSpan[];
  rejected: number;
  /** The first rejection's reason, for the OTLP partial-success message. */
  rejectReason: string | null;
}

/** Longest nesting of array and key-value list attribute values accepted. */
export const MAX_VALUE_DEPTH = 16;

const HEX = /^[0-9a-f]*$/;
const ZERO = /^0*$/;

/** Lower-case hex of bytes. */
export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Epoch nanoseconds to epoch milliseconds, keeping microseconds. */
export function msFromNanos(nanos: bigint): number {
  return Number(nanos / 1000n) / 1000;
}

/**
 * Why a span's ids are invalid, or `null` when they are fine: the trace id is 16 bytes and the span
 * id 8, neither all zeros (OTLP's invalid ids), the parent 8 bytes when present.
 */
export function idProblem(traceId: string, spanId: string, parentSpanId: string | null): string | null {
  if (traceId.length !== 32 || !HEX.test(traceId) || ZERO.test(traceId))
    return `invalid trace id "${traceId}"`;
  if (spanId.length !== 16 || !HEX.test(spanId) || ZERO.test(spanId)) return `invalid span id "${spanId}"`;
  if (parentSpanId !== null && (parentSpanId.length !== 16 || !HEX.test(parentSpanId)))
    return `invalid parent span id "${parentSpanId}"`;
  return null;
}

/** Status code from an OTLP number, clamped to the known codes. */
export function statusCode(code: number): StatusCode {
  return code === 1 || code === 2 ? code : 0;
}

/** Sets an attribute; a key named `__proto__` becomes an own property, not the object's prototype. */
export function setAttribute(into: Record<string, AttributeValue>, key: string, value: AttributeValue): void {
  if (key === '__proto__')
    Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}

/** A finite number attribute, else `null`. */
export function numberOf(v: AttributeValue | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A non-empty string attribute, else `null`. */
export function stringOf(v: AttributeValue | undefined): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}
