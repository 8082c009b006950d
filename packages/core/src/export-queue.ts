/**
 * The export queue of voxtrace's own provider: a bounded, batching span processor that accounts for
 * every span it is handed. OpenTelemetry's `BatchSpanProcessor` drops spans on a full queue with a
 * debug log and nothing countable; voxtrace promises that no span is lost silently, so each span
 * here ends in exactly one of: exported or failed (counted by the {@link CountingExporter} when the
 * exporter answers), dropped because the queue was full, or dropped because it ended after shutdown.
 *
 * Nothing of the export runs on the caller's stack: `onEnd` only queues (a full batch schedules the
 * export on the next turn of the event loop), so serialization and I/O never delay an agent's event
 * handler. One export request is in flight at a time. An exporter that never answers holds the queue
 * for at most `exportTimeoutMillis`; its batch is then counted when (if ever) the exporter calls back,
 * and the queue moves on. Memory is bounded by `maxQueueSize` spans plus the batches in flight.
 *
 * Fairness: the queue counts its spans by conversation (`conversation.id`), and a conversation may hold
 * at most `maxQueuedPerConversation` of them. The trace sink asks {@link ExportQueue.admit} before it
 * creates a turn's spans, so one call that produces thousands of spans at once (a long end-of-call
 * report) gets its share and a count of what it left out, and the other calls keep the rest.
 */
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import type { BufferConfig, ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { CountingExporter } from './export.js';

/**
 * Why spans were dropped before reaching the exporter: the queue was full, they ended after shutdown
 * (or were still queued when shutdown gave up), or their conversation had used its share of the queue.
 */
export type SpanDropReason = 'queue_full' | 'shutdown' | 'conversation_budget';

/** The conversation a span belongs to: voxtrace puts `conversation.id` on every span. */
const CONVERSATION_ID = 'conversation.id';

/** Options of {@link ExportQueue}. */
export interface ExportQueueOptions extends BufferConfig {
  /** Spans of one conversation queued at most. Default a quarter of `maxQueueSize`. */
  maxQueuedPerConversation?: number;
  /** Called for each span dropped (never on the caller's stack twice for one span). Must not throw. */
  onDrop?: (reason: SpanDropReason, count: number) => void;
}

const TRACE_FLAG_SAMPLED = 1;

/** See the module comment. */
export class ExportQueue implements SpanProcessor {
  /** Spans dropped, by reason. */
  readonly dropped: Record<SpanDropReason, number> = { queue_full: 0, shutdown: 0, conversation_budget: 0 };
  private queue: ReadableSpan[] = [];
  /** Queued spans by conversation id; a conversation with none has no entry. */
  private readonly perConversation = new Map<string, number>();
  private readonly maxQueueSize: number;
  private readonly maxPerConversation: number;
  private readonly maxBatch: number;
  private readonly delayMs: number;
  private readonly timeoutMs: number;
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private inFlight: Promise<void> | null = null;
  private closed = false;
  private shutdownOnce: Promise<void> | null = null;

  constructor(
    private readonly exporter: CountingExporter,
    private readonly options: ExportQueueOptions = {},
  ) {
    this.maxQueueSize = positiveInt(options.maxQueueSize, 2048);
    this.maxBatch = Math.min(positiveInt(options.maxExportBatchSize, 512), this.maxQueueSize);
    this.maxPerConversation = Math.min(
      positiveInt(options.maxQueuedPerConversation, Math.max(1, Math.floor(this.maxQueueSize / 4))),
      this.maxQueueSize,
    );
    this.delayMs = nonNegative(options.scheduledDelayMillis, 5000);
    this.timeoutMs = nonNegative(options.exportTimeoutMillis, 30_000);
  }

  /** Spans waiting to be exported. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Whether `spans` more spans of a conversation fit in its share of the queue; when they do not, they
   * are counted as dropped (`conversation_budget`) and the caller must not create them.
   */
  admit(conversationId: string, spans: number): boolean {
    if ((this.perConversation.get(conversationId) ?? 0) + spans <= this.maxPerConversation) return true;
    this.drop('conversation_budget', spans);
    return false;
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if ((span.spanContext().traceFlags & TRACE_FLAG_SAMPLED) === 0) return;
    if (this.closed) return this.drop('shutdown');
    if (this.queue.length >= this.maxQueueSize) return this.drop('queue_full');
    this.queue.push(span);
    this.count(span, 1);
    if (this.queue.length >= this.maxBatch) {
      if (!this.immediate && !this.inFlight) {
        this.immediate = setImmediate(() => this.pump());
        this.immediate.unref();
      }
    } else if (!this.timer && !this.inFlight) {
      this.timer = setTimeout(() => this.pump(), this.delayMs);
      this.timer.unref();
    }
  }

  /** Exports everything queued now, batch after batch. Never rejects. */
  async forceFlush(): Promise<void> {
    this.clearTimer();
    while (this.inFlight || this.queue.length > 0) await (this.inFlight ?? this.next());
  }

  /** Stops taking spans, exports what is queued, shuts the exporter down. Never rejects. */
  shutdown(): Promise<void> {
    this.shutdownOnce ??= (async () => {
      this.closed = true;
      await this.forceFlush();
      await this.exporter.shutdown().catch(() => {});
    })();
    return this.shutdownOnce;
  }

  /**
   * Gives up: drops what is still queued (`shutdown`) and takes no more spans. What is in flight ends
   * when the exporter answers (voxtrace's transport is abandoned at the same time, so at once).
   */
  abandon(): void {
    this.closed = true;
    this.clearTimer();
    const left = this.queue.length;
    this.queue = [];
    this.perConversation.clear();
    if (left > 0) this.drop('shutdown', left);
  }

  private count(span: ReadableSpan, delta: 1 | -1): void {
    const id = span.attributes[CONVERSATION_ID];
    if (typeof id !== 'string') return;
    const n = (this.perConversation.get(id) ?? 0) + delta;
    if (n > 0) this.perConversation.set(id, n);
    else this.perConversation.delete(id);
  }

  private drop(reason: SpanDropReason, count = 1): void {
    this.dropped[reason] += count;
    try {
      this.options.onDrop?.(reason, count);
    } catch {
      // A counter callback must not break the span pipeline.
    }
  }

  private clearTimer(): void {
    clearTimeout(this.timer);
    clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /** Starts the next export unless one is in flight; when it ends, continues while spans wait. */
  private pump(): void {
    this.clearTimer();
    if (this.inFlight || this.queue.length === 0) return;
    void this.next().then(() => {
      if (this.queue.length >= this.maxBatch) this.pump();
      else if (this.queue.length > 0 && !this.timer && !this.closed) {
        this.timer = setTimeout(() => this.pump(), this.delayMs);
        this.timer.unref();
      }
    });
  }

  /** Exports one batch; resolves when the exporter answers or `exportTimeoutMillis` passes. */
  private next(): Promise<void> {
    const batch = this.queue.length <= this.maxBatch ? this.queue : this.queue.slice(0, this.maxBatch);
    this.queue = this.queue.length <= this.maxBatch ? [] : this.queue.slice(this.maxBatch);
    for (const span of batch) this.count(span, -1);
    const flight = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.timeoutMs);
      timer.unref();
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      try {
        // The exporter's own HTTP calls must not be traced into this provider.
        context.with(suppressTracing(context.active()), () => this.exporter.export(batch, done));
      } catch {
        done(); // CountingExporter counts a throwing exporter; this only guards against a bug of ours.
      }
    }).finally(() => {
      if (this.inFlight === flight) this.inFlight = null;
    });
    this.inFlight = flight;
    return flight;
  }
}

function positiveInt(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : fallback;
}

function nonNegative(v: number | undefined, fallback: number): number {
  return v !== undefined && Number.isFinite(v) && v >= 0 ? v : fallback;
}
