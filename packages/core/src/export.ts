/**
 * Span export: voxtrace's own tracer provider with OTLP/HTTP through a bounded {@link ExportQueue},
 * or the user's provider. Every span's outcome is counted (exported, failed, dropped); failures
 * become diagnostics, never exceptions. {@link Tracing.abandon} stops everything of the export at
 * once, so nothing keeps the process alive after `shutdown()`.
 */
import type { TracerProvider } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  type BufferConfig,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { DiagnosticHandler } from './diagnostics.js';
import { ExportQueue, type SpanDropReason } from './export-queue.js';
import { DerivedIdGenerator } from './ids.js';
import { createOtlpHttpExporter, type OtlpHttpTransport } from './otlp-http.js';

/** Where spans go over OTLP/HTTP (JSON). Unset fields come from the `OTEL_EXPORTER_OTLP_*` variables. */
export interface OtlpOptions {
  /** Full traces URL, e.g. `http://localhost:4318/v1/traces`. */
  url?: string;
  headers?: Record<string, string>;
  /** Per-request timeout. Default 10 000 ms (the exporter's). */
  timeoutMillis?: number;
}

/** Export counters. */
export interface ExportStats {
  /** Spans delivered to the exporter's destination. */
  exportedSpans: number;
  /** Spans in batches the exporter failed to deliver (after its own retries). */
  failedSpans: number;
  /** Batches that failed. */
  failedBatches: number;
  /**
   * Spans dropped before export: the queue was full (`queue_full`), they ended after shutdown or were
   * still queued when it gave up (`shutdown`), or their conversation had used its share of the queue
   * (`conversation_budget`: the trace sink left those turns out and says so on the conversation span).
   */
  droppedSpans: Record<SpanDropReason, number>;
  /** Spans waiting in the export queue now. */
  queuedSpans: number;
  /**
   * Export requests abandoned when `shutdown()` gave up or finished: in flight, or waiting to be retried.
   * Their spans are counted in `failedSpans`.
   */
  abandonedExports: number;
}

/** What an exporter delivered and what it failed to. */
export type ExporterStats = Pick<ExportStats, 'exportedSpans' | 'failedSpans' | 'failedBatches'>;

/** Counts what an exporter delivered and reports failures. */
export class CountingExporter implements SpanExporter {
  readonly stats: ExporterStats = { exportedSpans: 0, failedSpans: 0, failedBatches: 0 };

  constructor(
    private readonly inner: SpanExporter,
    private readonly onFailure: DiagnosticHandler,
  ) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    const finish = (result: ExportResult) => {
      if (result.code === ExportResultCode.SUCCESS) this.stats.exportedSpans += spans.length;
      else {
        this.stats.failedSpans += spans.length;
        this.stats.failedBatches++;
        this.onFailure({
          code: 'export_failed',
          message: `span export failed (${spans.length} spans): ${result.error?.message ?? 'unknown error'}`,
          detail: result.error,
        });
      }
      done(result);
    };
    try {
      this.inner.export(spans, finish);
    } catch (error) {
      finish({ code: ExportResultCode.FAILED, error: error as Error });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

/** What {@link createTracing} returns. */
export interface Tracing {
  provider: TracerProvider;
  /** Set when voxtrace owns the provider: derived trace ids are exact roots. */
  idGenerator?: DerivedIdGenerator;
  /** The export counters, current at each read. */
  readonly stats: ExportStats;
  forceFlush(): Promise<void>;
  /** Shuts down what voxtrace owns; a shared provider is only flushed. */
  shutdown(): Promise<void>;
  /**
   * Whether `spans` more spans of a conversation fit in its share of the export queue (always true on a
   * shared provider); when not, they are counted as dropped and must not be created.
   */
  admit(conversationId: string, spans: number): boolean;
  /**
   * Stops the export for good: drops what is queued, ends requests in flight and retry waits, destroys
   * the sockets. Called when `shutdown()` finishes or gives up. Idempotent.
   */
  abandon(): void;
}

/** Options of {@link createTracing}. */
export interface TracingOptions {
  serviceName: string;
  otlp?: OtlpOptions | false;
  tracerProvider?: TracerProvider;
  /** Extra exporters or processors (e.g. an `InMemorySpanExporter` in tests, a console exporter). */
  spanProcessors?: SpanProcessor[];
  batch?: BufferConfig;
  /** Spans of one conversation in the export queue at most (see {@link ExportQueue}). */
  maxQueuedPerConversation?: number;
  onDiagnostic: DiagnosticHandler;
  /** Called for each span dropped before export. Must not throw. */
  onDrop?: (reason: SpanDropReason, count: number) => void;
}

/** True when the environment names an OTLP traces endpoint. */
export function otlpConfiguredByEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/**
 * Sets up span export. With `tracerProvider`, spans go to that provider (shared with LiveKit, say).
 * Otherwise voxtrace owns a provider: OTLP/HTTP when `otlp` is given or the environment names an
 * endpoint, plus any `spanProcessors`.
 */
export function createTracing(options: TracingOptions): Tracing {
  if (options.tracerProvider) {
    const provider = options.tracerProvider as TracerProvider & { forceFlush?: () => Promise<void> };
    const flush = () => provider.forceFlush?.() ?? Promise.resolve();
    return {
      provider,
      stats: statsOf(),
      forceFlush: flush,
      shutdown: flush,
      admit: () => true,
      abandon: () => {},
    };
  }
  const processors: SpanProcessor[] = [...(options.spanProcessors ?? [])];
  const useOtlp = options.otlp !== false && (options.otlp !== undefined || otlpConfiguredByEnv());
  let queue: ExportQueue | undefined;
  let exporter: CountingExporter | undefined;
  let transport: OtlpHttpTransport | undefined;
  if (useOtlp) {
    const otlp = options.otlp || {};
    const http = createOtlpHttpExporter({
      url: otlp.url,
      headers: otlp.headers,
      timeoutMillis: otlp.timeoutMillis,
    });
    transport = http.transport;
    exporter = new CountingExporter(http.exporter, options.onDiagnostic);
    queue = new ExportQueue(exporter, {
      ...options.batch,
      maxQueuedPerConversation: options.maxQueuedPerConversation,
      onDrop: options.onDrop,
    });
    processors.push(queue);
  }
  const idGenerator = new DerivedIdGenerator();
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ 'service.name': options.serviceName })),
    idGenerator,
    spanProcessors: processors,
  });
  return {
    provider,
    idGenerator,
    get stats() {
      return statsOf(exporter, queue, transport);
    },
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
    admit: (conversationId, spans) => queue?.admit(conversationId, spans) ?? true,
    abandon() {
      queue?.abandon();
      transport?.abandon();
    },
  };
}

function statsOf(
  exporter?: CountingExporter,
  queue?: ExportQueue,
  transport?: OtlpHttpTransport,
): ExportStats {
  return {
    exportedSpans: exporter?.stats.exportedSpans ?? 0,
    failedSpans: exporter?.stats.failedSpans ?? 0,
    failedBatches: exporter?.stats.failedBatches ?? 0,
    droppedSpans: { ...(queue?.dropped ?? { queue_full: 0, shutdown: 0, conversation_budget: 0 }) },
    queuedSpans: queue?.queued ?? 0,
    abandonedExports: transport?.abandoned ?? 0,
  };
}
