/**
 * The export queue accounts for every span: each one ends exported, failed, dropped (queue full, or
 * after shutdown) or still waiting, whatever the exporter does (answers, fails, throws, never answers).
 * One conversation gets at most its share of the queue, and `abandon()` lets go of everything.
 */
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { CountingExporter, type Diagnostic, ExportQueue } from '@voxtrace/core';
import { describe, expect, it } from 'vitest';

/** An exporter that holds each batch until the test answers it. */
class ManualExporter implements SpanExporter {
  readonly pending: { spans: ReadableSpan[]; done: (r: ExportResult) => void }[] = [];
  calls = 0;
  export(spans: ReadableSpan[], done: (r: ExportResult) => void): void {
    this.calls++;
    this.pending.push({ spans, done });
  }
  answer(code: ExportResultCode): number {
    const p = this.pending.shift();
    p?.done({ code, error: code === ExportResultCode.FAILED ? new Error('collector said no') : undefined });
    return p?.spans.length ?? 0;
  }
  async shutdown(): Promise<void> {}
}

function setup(config: ConstructorParameters<typeof ExportQueue>[1], inner: SpanExporter) {
  const failures: Diagnostic[] = [];
  const counting = new CountingExporter(inner, (d) => failures.push(d));
  const queue = new ExportQueue(counting, config);
  const provider = new BasicTracerProvider({ spanProcessors: [queue] });
  const tracer = provider.getTracer('t');
  let ended = 0;
  const endSpans = (n: number, conversationId?: string) => {
    const attributes = conversationId === undefined ? {} : { 'conversation.id': conversationId };
    for (let i = 0; i < n; i++) tracer.startSpan(`s${ended++}`, { attributes }).end();
  };
  const accounted = () =>
    counting.stats.exportedSpans +
    counting.stats.failedSpans +
    queue.dropped.queue_full +
    queue.dropped.shutdown +
    queue.queued;
  return { queue, counting, provider, endSpans, failures, ended: () => ended, accounted };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ExportQueue', () => {
  it('never exports on the caller’s stack, keeps the queue bounded and counts each drop', async () => {
    const exporter = new ManualExporter();
    const drops: string[] = [];
    const q = setup(
      {
        maxQueueSize: 50,
        maxExportBatchSize: 10,
        scheduledDelayMillis: 60_000,
        onDrop: (r) => drops.push(r),
      },
      exporter,
    );
    for (let i = 0; i < 200; i++) {
      q.endSpans(1);
      expect(q.queue.queued).toBeLessThanOrEqual(50);
    }
    // Everything so far ran synchronously: not one export started on the caller's stack.
    expect(exporter.calls).toBe(0);
    expect(q.queue.dropped.queue_full).toBe(150);
    expect(drops).toHaveLength(150);
    await tick();
    expect(exporter.calls).toBe(1); // one batch in flight at a time
    let inFlight = exporter.pending.reduce((n, p) => n + p.spans.length, 0);
    expect(q.accounted() + inFlight).toBe(q.ended());
    // The collector answers: the queue drains batch by batch, still accounting for every span.
    while (exporter.pending.length > 0) {
      exporter.answer(ExportResultCode.SUCCESS);
      await tick();
      inFlight = exporter.pending.reduce((n, p) => n + p.spans.length, 0);
      expect(q.accounted() + inFlight).toBe(q.ended());
    }
    expect(q.counting.stats.exportedSpans).toBe(50);
    expect(q.queue.queued).toBe(0);
  });

  it('an exporter that never answers holds the queue only for exportTimeoutMillis; a late answer still counts', async () => {
    const exporter = new ManualExporter();
    const q = setup({ maxQueueSize: 100, maxExportBatchSize: 10, exportTimeoutMillis: 10 }, exporter);
    q.endSpans(30);
    const flushed = q.queue.forceFlush();
    await flushed; // resolves although no batch was ever answered
    expect(exporter.calls).toBe(3);
    expect(q.queue.queued).toBe(0);
    expect(q.counting.stats.exportedSpans + q.counting.stats.failedSpans).toBe(0);
    exporter.answer(ExportResultCode.FAILED);
    exporter.answer(ExportResultCode.SUCCESS);
    exporter.answer(ExportResultCode.FAILED);
    expect(q.counting.stats).toEqual({ exportedSpans: 10, failedSpans: 20, failedBatches: 2 });
    expect(q.failures.map((d) => d.code)).toEqual(['export_failed', 'export_failed']);
    expect(q.accounted()).toBe(q.ended());
  });

  it('an exporter that throws: the batch is counted as failed, nothing reaches the caller', async () => {
    const q = setup(
      { maxExportBatchSize: 5 },
      {
        export() {
          throw new Error('boom');
        },
        shutdown: async () => {},
      },
    );
    expect(() => q.endSpans(12)).not.toThrow();
    await q.queue.forceFlush();
    expect(q.counting.stats).toEqual({ exportedSpans: 0, failedSpans: 12, failedBatches: 3 });
    expect(q.accounted()).toBe(q.ended());
  });

  it('shutdown exports what is queued, then counts later spans as dropped (shutdown)', async () => {
    const exported: ReadableSpan[] = [];
    const q = setup(
      {},
      {
        export: (spans, done) => {
          exported.push(...spans);
          done({ code: ExportResultCode.SUCCESS });
        },
        shutdown: async () => {},
      },
    );
    q.endSpans(7);
    await q.queue.shutdown();
    expect(exported).toHaveLength(7);
    q.endSpans(3);
    expect(q.queue.dropped).toEqual({ queue_full: 0, shutdown: 3, conversation_budget: 0 });
    expect(q.accounted()).toBe(q.ended());
  });

  it('gives each conversation at most its share of the queue, and frees it as batches leave', async () => {
    const exporter = new ManualExporter();
    const drops: [string, number][] = [];
    const q = setup(
      {
        maxQueueSize: 40,
        maxExportBatchSize: 10,
        scheduledDelayMillis: 60_000,
        onDrop: (r, n) => drops.push([r, n]),
      },
      exporter,
    );
    // The default share is a quarter of the queue: 10 spans.
    expect(q.queue.admit('huge', 8)).toBe(true);
    q.endSpans(8, 'huge');
    expect(q.queue.admit('huge', 3)).toBe(false);
    expect(q.queue.admit('huge', 2)).toBe(true);
    q.endSpans(2, 'huge');
    expect(q.queue.admit('huge', 1)).toBe(false);
    // Another conversation has its own share.
    expect(q.queue.admit('normal', 7)).toBe(true);
    q.endSpans(7, 'normal');
    expect(q.queue.dropped.conversation_budget).toBe(4);
    expect(drops).toEqual([
      ['conversation_budget', 3],
      ['conversation_budget', 1],
    ]);
    // Once its spans have left in a batch (the first 10 ended), the conversation may queue again.
    await tick();
    expect(exporter.calls).toBe(1);
    expect(exporter.pending[0]!.spans.every((s) => s.attributes['conversation.id'] === 'huge')).toBe(true);
    expect(q.queue.admit('huge', 10)).toBe(true);
  });

  it('abandon() drops what is queued (shutdown), takes no more spans, and stops the timers', async () => {
    const exporter = new ManualExporter();
    const q = setup({ maxExportBatchSize: 100, scheduledDelayMillis: 10 }, exporter);
    q.endSpans(5, 'c');
    q.queue.abandon();
    expect(q.queue.queued).toBe(0);
    expect(q.queue.dropped.shutdown).toBe(5);
    q.endSpans(2, 'c');
    expect(q.queue.dropped.shutdown).toBe(7);
    await new Promise((r) => setTimeout(r, 30));
    expect(exporter.calls).toBe(0);
    await q.queue.shutdown();
    expect(q.accounted()).toBe(q.ended());
  });
});
