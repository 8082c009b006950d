/** Ground truth for decoder tests: the SDK's own spans, in the decoders' shape. */
import type { ReceivedSpan, SpanAttributes } from '@voxtrace/cli';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Keeps every exported span (an `InMemorySpanExporter` forgets them on shutdown). */
export class KeepSpans implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (r: { code: number }) => void): void {
    this.spans.push(...spans);
    done({ code: 0 }); // ExportResultCode.SUCCESS
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Epoch ms with microsecond precision, as the decoders give it. */
export function msOf([s, ns]: [number, number]): number {
  return Number((BigInt(s) * 1_000_000_000n + BigInt(ns)) / 1000n) / 1000;
}

/** A `ReadableSpan` as a decoder should return it. */
export function expectedSpan(s: ReadableSpan): ReceivedSpan {
  return {
    traceId: s.spanContext().traceId,
    spanId: s.spanContext().spanId,
    parentSpanId: s.parentSpanContext?.spanId ?? null,
    name: s.name,
    kind: s.kind + 1,
    startMs: msOf(s.startTime),
    endMs: msOf(s.endTime),
    attributes: s.attributes as SpanAttributes,
    events: s.events.map((e) => ({
      name: e.name,
      timeMs: msOf(e.time),
      attributes: (e.attributes ?? {}) as SpanAttributes,
    })),
    status: { code: s.status.code as 0 | 1 | 2, message: s.status.message ?? '' },
    resource: s.resource.attributes as SpanAttributes,
  };
}

/** Spans keyed by span id, for order-independent comparison. */
export function bySpanId<T extends { spanId: string }>(spans: readonly T[]): Record<string, T> {
  return Object.fromEntries(spans.map((s) => [s.spanId, s]));
}
