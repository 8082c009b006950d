/**
 * Decodes an OTLP `ExportTraceServiceRequest` in the JSON encoding (`application/json`), per the
 * OTLP/HTTP spec's JSON mapping: lowerCamelCase keys (snake_case accepted too, as protobuf's JSON
 * parsers do), hex trace and span ids (base64 accepted, as older encoders sent), 64-bit integers as
 * decimal strings or numbers, enums as integers (or their names). A malformed document throws; a
 * malformed span is rejected alone.
 */
import { z } from 'zod';
import {
  type AttributeValue,
  type DecodedTraces,
  idProblem,
  MAX_VALUE_DEPTH,
  msFromNanos,
  type ReceivedSpan,
  type SpanAttributes,
  setAttribute,
  statusCode,
} from './span.js';

// Integers beyond 2^53 are valid int64 values (zod's `.int()` would stop at the safe range).
const integer = z.number().refine(Number.isInteger, 'an integer');
const int64 = z.union([integer, z.string().regex(/^-?\d+$/, 'an integer')]);
const nanos = z.union([integer.nonnegative(), z.string().regex(/^\d+$/, 'a non-negative integer')]);

const anyValue = z.object({
  stringValue: z.string().optional(),
  boolValue: z.boolean().optional(),
  intValue: int64.optional(),
  doubleValue: z.union([z.number(), z.enum(['NaN', 'Infinity', '-Infinity'])]).optional(),
  bytesValue: z.string().optional(),
  get arrayValue() {
    return z.object({ values: z.array(anyValue).optional() }).optional();
  },
  get kvlistValue() {
    return z.object({ values: z.array(keyValue).optional() }).optional();
  },
});
type AnyValueJson = z.infer<typeof anyValue>;

const keyValue = z.object({
  key: z.string(),
  get value() {
    return anyValue.optional();
  },
});
type KeyValueJson = z.infer<typeof keyValue>;

const enumValue = z.union([integer.nonnegative(), z.string()]);

const spanSchema = z.object({
  traceId: z.string(),
  spanId: z.string(),
  parentSpanId: z.string().optional(),
  name: z.string(),
  kind: enumValue.optional(),
  startTimeUnixNano: nanos,
  endTimeUnixNano: nanos,
  attributes: z.array(keyValue).optional(),
  events: z
    .array(
      z.object({
        timeUnixNano: nanos.optional(),
        name: z.string().optional(),
        attributes: z.array(keyValue).optional(),
      }),
    )
    .optional(),
  status: z.object({ code: enumValue.optional(), message: z.string().optional() }).optional(),
});

/** The request's structure down to the spans, which are validated one by one. */
const requestSchema = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: z.object({ attributes: z.array(keyValue).optional() }).optional(),
        scopeSpans: z.array(z.object({ spans: z.array(z.unknown()).optional() })).optional(),
      }),
    )
    .optional(),
});

const SPAN_KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const STATUS_CODES = ['UNSET', 'OK', 'ERROR'];

/** Thrown for a JSON document that is not an export request; the message says what is wrong. */
export class OtlpJsonError extends Error {
  override readonly name = 'OtlpJsonError';
}

/** Decodes the text of a JSON `ExportTraceServiceRequest`. Throws {@link OtlpJsonError} when malformed. */
export function decodeJsonTraces(text: string): DecodedTraces {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new OtlpJsonError(`body is not JSON: ${(err as Error).message}`);
  }
  camelizeKeys(doc, 0);
  const parsed = guarded(() => requestSchema.safeParse(doc));
  if (!parsed.success) throw new OtlpJsonError(`not an ExportTraceServiceRequest: ${issues(parsed.error)}`);
  const out: DecodedTraces = { spans: [], rejected: 0, rejectReason: null };
  const reject = (reason: string) => {
    out.rejected++;
    out.rejectReason ??= reason;
  };
  for (const rs of parsed.data.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const raw of ss.spans ?? []) {
        try {
          const s = guarded(() => spanSchema.safeParse(raw));
          if (!s.success) {
            reject(`invalid span: ${issues(s.error)}`);
            continue;
          }
          const span = toSpan(s.data, resource);
          const problem = idProblem(span.traceId, span.spanId, span.parentSpanId);
          if (problem) reject(problem);
          else out.spans.push(span);
        } catch (err) {
          reject(`invalid span: ${(err as Error).message}`);
        }
      }
    }
  }
  return out;
}

function toSpan(s: z.infer<typeof spanSchema>, resource: SpanAttributes): ReceivedSpan {
  const parent = s.parentSpanId ? id(s.parentSpanId, 8) : '';
  return {
    traceId: id(s.traceId, 16),
    spanId: id(s.spanId, 8),
    parentSpanId: parent && !/^0+$/.test(parent) ? parent : null,
    name: s.name,
    kind: enumCode(s.kind, SPAN_KINDS, 'SPAN_KIND_'),
    startMs: msFromNanos(BigInt(s.startTimeUnixNano)),
    endMs: msFromNanos(BigInt(s.endTimeUnixNano)),
    attributes: attributes(s.attributes),
    events: (s.events ?? []).map((e) => ({
      name: e.name ?? '',
      timeMs: msFromNanos(BigInt(e.timeUnixNano ?? 0)),
      attributes: attributes(e.attributes),
    })),
    status: {
      code: statusCode(enumCode(s.status?.code, STATUS_CODES, 'STATUS_CODE_')),
      message: s.status?.message ?? '',
    },
    resource,
  };
}

/** A hex id as OTLP/JSON sends it; base64 of the right length is accepted too. */
function id(value: string, bytes: number): string {
  if (value.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(value)) return value.toLowerCase();
  const b = Buffer.from(value, 'base64');
  return b.length === bytes ? b.toString('hex') : value;
}

function enumCode(value: number | string | undefined, names: string[], prefix: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const i = names.indexOf(value.startsWith(prefix) ? value.slice(prefix.length) : value);
  if (i < 0) throw new Error(`unknown enum value "${value}"`);
  return i;
}

function attributes(list: KeyValueJson[] | undefined, depth = 0): SpanAttributes {
  const out: SpanAttributes = {};
  for (const kv of list ?? []) setAttribute(out, kv.key, kv.value ? value(kv.value, depth) : null);
  return out;
}

function value(v: AnyValueJson, depth: number): AttributeValue {
  if (depth > MAX_VALUE_DEPTH) throw new Error(`attribute values nested deeper than ${MAX_VALUE_DEPTH}`);
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.arrayValue !== undefined) return (v.arrayValue.values ?? []).map((x) => value(x, depth + 1));
  if (v.kvlistValue !== undefined) return attributes(v.kvlistValue.values, depth + 1);
  if (v.bytesValue !== undefined) return v.bytesValue;
  return null;
}

/**
 * Renames snake_case keys to lowerCamelCase in place. Safe for OTLP/JSON: user data (attribute keys)
 * travels in `key` values, never as object keys. Nesting deeper than any OTLP document is left alone
 * (the schema then rejects it).
 */
function camelizeKeys(v: unknown, depth: number): void {
  if (depth > 2 * MAX_VALUE_DEPTH + 16 || typeof v !== 'object' || v === null) return;
  if (Array.isArray(v)) {
    for (const x of v) camelizeKeys(x, depth + 1);
    return;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    const val = o[k];
    if (k.includes('_')) {
      const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      if (!(camel in o)) o[camel] = val;
      delete o[k];
    }
    camelizeKeys(val, depth + 1);
  }
}

/** Runs a validation; absurd nesting (a stack overflow in the recursive schema) is malformed input. */
function guarded<T>(validate: () => T): T {
  try {
    return validate();
  } catch (err) {
    if (err instanceof RangeError) throw new OtlpJsonError('values nested too deeply');
    throw err;
  }
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ');
}
