/**
 * The OTLP/HTTP traces endpoint (`POST /v1/traces`): protobuf or JSON, optionally gzip-encoded.
 * Answers as the OTLP/HTTP spec says: the `ExportTraceServiceResponse` in the request's encoding
 * (with `partial_success` when spans were rejected), or 400 with a `google.rpc.Status` for a
 * malformed body, 413 over the size cap (raw or decompressed), 415 for an unsupported content type or
 * encoding, 408 for a body that does not arrive in time, 503 when too many bodies are being read.
 */
import type { BodyIntake } from '@voxtrace/core/http';
import { decodeJsonTraces, OtlpJsonError } from './otlp-json.js';
import { decodeProtobufTraces } from './otlp-proto.js';
import { ProtobufError, ProtobufWriter } from './protobuf.js';
import type { DecodedTraces, ReceivedSpan } from './span.js';

/** Where decoded spans go. */
export interface SpanSink {
  ingest(spans: ReceivedSpan[]): void;
}

type Encoding = 'json' | 'protobuf';

/** `google.rpc.Code.INVALID_ARGUMENT`, for malformed bodies. */
const INVALID_ARGUMENT = 3;

/** Handles one request to the traces endpoint. Never throws. */
export async function handleOtlpTraces(
  request: Request,
  sink: SpanSink,
  intake: BodyIntake,
): Promise<Response> {
  if (request.method !== 'POST')
    return new Response('POST OTLP traces here\n', { status: 405, headers: { allow: 'POST' } });
  const type = (request.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  const encoding: Encoding | null =
    type === 'application/json'
      ? 'json'
      : type === 'application/x-protobuf' || type === 'application/protobuf'
        ? 'protobuf'
        : null;
  if (!encoding)
    return failure(
      'json',
      415,
      `unsupported content-type "${type}": application/x-protobuf or application/json`,
    );
  const read = await intake.receive(request, { decompress: true });
  if (!read.ok) {
    const res = failure(encoding, read.status, read.reason);
    if (read.retryAfterSeconds) res.headers.set('retry-after', String(read.retryAfterSeconds));
    return res;
  }
  let decoded: DecodedTraces;
  try {
    decoded =
      encoding === 'json'
        ? decodeJsonTraces(new TextDecoder().decode(read.bytes))
        : decodeProtobufTraces(read.bytes);
  } catch (err) {
    if (err instanceof ProtobufError || err instanceof OtlpJsonError)
      return failure(encoding, 400, `malformed ${encoding} ExportTraceServiceRequest: ${err.message}`);
    return failure(encoding, 400, `unreadable request: ${String(err)}`);
  }
  sink.ingest(decoded.spans);
  return success(encoding, decoded);
}

function success(encoding: Encoding, d: DecodedTraces): Response {
  const partial = d.rejected > 0 ? { rejectedSpans: d.rejected, errorMessage: d.rejectReason ?? '' } : null;
  if (encoding === 'json') {
    return Response.json(partial ? { partialSuccess: partial } : {});
  }
  // ExportTraceServiceResponse.partial_success = 1 → { rejected_spans = 1, error_message = 2 }
  const body = partial
    ? new ProtobufWriter()
        .bytes(
          1,
          new ProtobufWriter().varint(1, partial.rejectedSpans).bytes(2, partial.errorMessage).finish(),
        )
        .finish()
    : new Uint8Array(new ArrayBuffer(0));
  return new Response(body, { headers: { 'content-type': 'application/x-protobuf' } });
}

function failure(encoding: Encoding, status: number, message: string): Response {
  if (encoding === 'json') return Response.json({ code: INVALID_ARGUMENT, message }, { status });
  // google.rpc.Status { code = 1, message = 2 }
  const body = new ProtobufWriter().varint(1, INVALID_ARGUMENT).bytes(2, message).finish();
  return new Response(body, { status, headers: { 'content-type': 'application/x-protobuf' } });
}
