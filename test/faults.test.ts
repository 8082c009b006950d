/**
 * Fault tests over the wire: the real OTLP/HTTP exporter against a collector on 127.0.0.1 that is
 * down (connection refused), answers 503 with Retry-After, or never answers, and then comes back.
 * Whatever the collector does, recording stays synchronous and bounded, every span is accounted for
 * (exported, failed or dropped, and visible in the metrics), nothing rejects unhandled, export
 * resumes when the collector returns, and shutdown() resolves.
 */
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { type Diagnostic, type Voxtrace, createVoxtrace } from '@voxtrace/core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../packages/core/test/support/exposition.js';
import { closedPort, type OtlpReceiver, startOtlpReceiver } from './helpers/otlp-receiver.js';

const T0 = 1_763_700_000_000;
const QUEUE = {
  maxQueueSize: 64,
  maxExportBatchSize: 16,
  scheduledDelayMillis: 5,
  exportTimeoutMillis: 5000,
};
const SPANS_PER_TURN = 7; // turn, stt, turn_detection, llm ×2, tool_call, tts

const unhandled: unknown[] = [];
const onUnhandled = (e: unknown) => unhandled.push(e);
beforeAll(() => process.on('unhandledRejection', onUnhandled));
afterAll(() => process.off('unhandledRejection', onUnhandled));

let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  // Let exporter callbacks of this test land before judging it.
  await sleep(20);
  expect(unhandled).toEqual([]);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Counts the spans that ended: what the export must account for. */
class EndedSpans implements SpanProcessor {
  count = 0;
  onStart(): void {}
  onEnd(_: ReadableSpan): void {
    this.count++;
  }
  forceFlush = async () => {};
  shutdown = async () => {};
}

interface Harness {
  vt: Voxtrace;
  ended: EndedSpans;
  diagnostics: Diagnostic[];
  turns: number;
}

function harness(url: string, opts: { timeoutMillis: number; flushTimeoutMs?: number }): Harness {
  const ended = new EndedSpans();
  const h: Harness = { vt: undefined as unknown as Voxtrace, ended, diagnostics: [], turns: 0 };
  h.vt = createVoxtrace({
    serviceName: 'faults',
    otlp: { url, timeoutMillis: opts.timeoutMillis },
    batch: QUEUE,
    // The queue is tiny here; these tests are about the collector, not about one call's share of it.
    maxQueuedSpansPerConversation: QUEUE.maxQueueSize,
    flushTimeoutMs: opts.flushTimeoutMs ?? 5000,
    spanProcessors: [ended],
    onDiagnostic: (d) => h.diagnostics.push(d),
  });
  h.vt.on('turn', () => h.turns++);
  return h;
}

/** One turn with a tool call (seven spans), recorded the way an agent's event handlers would. */
function recordTurn(conv: { record(e: never): unknown }, at: number): unknown[] {
  const results: unknown[] = [];
  const r = (type: string, dt: number, extra: object = {}) =>
    results.push(conv.record({ type, at: at + dt, ...extra } as never));
  r('user.speech.started', 0);
  r('user.speech.ended', 1000);
  r('stt.final', 1150, { transcript: 'move my appointment to friday', provider: 'deepgram' });
  r('turn.end_detected', 1300, { delayMs: 300 });
  r('llm.started', 1300, { provider: 'openai', model: 'gpt-4o-mini' });
  r('llm.first_token', 1600);
  r('llm.ended', 1650);
  r('tool.started', 1660, { name: 'reschedule', callId: `t${at}`, arguments: { day: 'friday' } });
  r('tool.ended', 1860, { name: 'reschedule', callId: `t${at}`, result: { ok: true } });
  r('llm.started', 1870, { provider: 'openai', model: 'gpt-4o-mini' });
  r('llm.first_token', 2100);
  r('tts.started', 2110, { provider: 'cartesia' });
  r('tts.first_audio', 2200);
  r('agent.speech.started', 2210);
  r('llm.ended', 2300);
  r('tts.ended', 3000);
  r('agent.speech.ended', 3100);
  return results;
}

/**
 * A burst of calls recorded synchronously, as a busy agent would. Checks, after every turn, that
 * recording returned nothing to await and that the export queue stayed within its bound.
 */
function burst(h: Harness, calls: number, turnsPerCall: number, prefix: string): void {
  const requestsBefore = receiver?.requests;
  for (let c = 0; c < calls; c++) {
    const at = T0 + c * 60_000;
    const conv = h.vt.startConversation({ id: `${prefix}-${c}`, startedAt: at });
    for (let t = 0; t < turnsPerCall; t++) {
      for (const result of recordTurn(conv, at + t * 5000)) expect(result).toBeUndefined();
      expect(h.vt.stats().queuedSpans).toBeLessThanOrEqual(QUEUE.maxQueueSize);
    }
    conv.end({ endedAt: at + turnsPerCall * 5000 });
  }
  // Every turn was processed on the caller's stack, and no request to the collector was made there.
  expect(h.turns).toBeGreaterThanOrEqual(calls * turnsPerCall);
  if (requestsBefore !== undefined) expect(receiver!.requests).toBe(requestsBefore);
}

/** Spans accounted for by the export (exported, failed, dropped, waiting). */
function accounted(vt: Voxtrace): number {
  const s = vt.stats();
  return (
    s.exportedSpans +
    s.failedSpans +
    s.droppedSpans.queue_full +
    s.droppedSpans.shutdown +
    s.droppedSpans.conversation_budget +
    s.queuedSpans
  );
}

/** Waits (bounded) until every span that ended is exported, failed or dropped. */
async function settle(h: Harness): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (accounted(h.vt) === h.ended.count && h.vt.stats().queuedSpans === 0) return;
    await sleep(10);
  }
  throw new Error(`spans unaccounted for: ended ${h.ended.count}, stats ${JSON.stringify(h.vt.stats())}`);
}

async function scrape(vt: Voxtrace) {
  return parseExposition(await vt.registry!.metrics());
}

/** The span counters of the metrics equal the export's own counts. */
async function expectMetricsMatch(vt: Voxtrace): Promise<void> {
  const m = await scrape(vt);
  const s = vt.stats();
  expect(sampleValue(m, 'voxtrace_spans_exported_total')).toBe(s.exportedSpans);
  expect(sampleValue(m, 'voxtrace_spans_dropped_total', { reason: 'queue_full' })).toBe(
    s.droppedSpans.queue_full,
  );
  expect(sampleValue(m, 'voxtrace_spans_dropped_total', { reason: 'export_failed' })).toBe(s.failedSpans);
  expect(sampleValue(m, 'voxtrace_spans_dropped_total', { reason: 'shutdown' })).toBe(
    s.droppedSpans.shutdown,
  );
  expect(sampleValue(m, 'voxtrace_span_export_failures_total')).toBe(s.failedBatches);
  expect(sampleValue(m, 'voxtrace_span_queue_size')).toBe(s.queuedSpans);
}

describe('collector down (connection refused)', () => {
  it('recording stays synchronous and bounded; every span is failed or dropped, and the metrics say so', async () => {
    const port = await closedPort();
    const h = harness(`http://127.0.0.1:${port}/v1/traces`, { timeoutMillis: 500 });
    // 20 calls of 3 turns at once: 420 spans against a queue of 64.
    burst(h, 20, 3, 'down');
    expect(h.ended.count).toBe(20 * (3 * SPANS_PER_TURN + 1));
    await settle(h);
    const s = h.vt.stats();
    expect(s.exportedSpans).toBe(0);
    expect(s.droppedSpans.queue_full).toBeGreaterThan(0);
    expect(s.failedSpans).toBeGreaterThan(0);
    expect(s.failedSpans + s.droppedSpans.queue_full).toBe(h.ended.count);
    await expectMetricsMatch(h.vt);
    const codes = new Set(h.diagnostics.map((d) => d.code));
    expect(codes).toContain('export_failed');
    expect(codes).toContain('spans_dropped');
    const m = await scrape(h.vt);
    expect(sampleValue(m, 'voxtrace_diagnostics_total', { code: 'spans_dropped' })).toBeGreaterThanOrEqual(1);
    await expect(h.vt.shutdown()).resolves.toBeUndefined();
  });

  it('export resumes when the collector comes back on the same port', async () => {
    const port = await closedPort();
    const h = harness(`http://127.0.0.1:${port}/v1/traces`, { timeoutMillis: 500 });
    burst(h, 1, 1, 'before');
    await settle(h);
    expect(h.vt.stats().failedSpans).toBe(SPANS_PER_TURN + 1);

    receiver = await startOtlpReceiver({ port });
    burst(h, 2, 2, 'after');
    await settle(h);
    await h.vt.shutdown();
    const s = h.vt.stats();
    expect(s.exportedSpans).toBe(2 * (2 * SPANS_PER_TURN + 1));
    expect(receiver.spans).toHaveLength(s.exportedSpans);
    const calls = new Set(receiver.spans.map((x) => x.attributes['conversation.id']));
    expect([...calls].sort()).toEqual(['after-0', 'after-1']);
    await expectMetricsMatch(h.vt);
  });
});

describe('collector answering 503 with Retry-After', () => {
  it('retries as told, counts the batches it gives up on, and exports again once the collector recovers', async () => {
    receiver = await startOtlpReceiver();
    receiver.status = 503;
    receiver.headers = { 'retry-after': '0' };
    const h = harness(receiver.url, { timeoutMillis: 3000 });
    burst(h, 2, 1, 'busy');
    await settle(h);
    let s = h.vt.stats();
    expect(s.exportedSpans).toBe(0);
    expect(s.failedSpans).toBe(h.ended.count);
    // `Retry-After: 0` is obeyed: the first attempt and 5 retries per batch, well within the timeout
    // (the exporter's own back-off, 1 s growing ×1.5, would fit only 2 retries in 3 s).
    expect(receiver.requests).toBe(6 * s.failedBatches);
    await expectMetricsMatch(h.vt);

    receiver.status = 200;
    receiver.headers = {};
    burst(h, 1, 2, 'recovered');
    await settle(h);
    s = h.vt.stats();
    expect(s.exportedSpans).toBe(2 * SPANS_PER_TURN + 1);
    expect(new Set(receiver.spans.map((x) => x.attributes['conversation.id']))).toEqual(
      new Set(['recovered-0']),
    );
    await expectMetricsMatch(h.vt);
    await expect(h.vt.shutdown()).resolves.toBeUndefined();
  });
});

describe('collector that never answers', () => {
  it('holds one request at a time, drops past the queue bound, and shutdown() gives up after flushTimeoutMs', async () => {
    receiver = await startOtlpReceiver();
    receiver.hang = true;
    const h = harness(receiver.url, { timeoutMillis: 300, flushTimeoutMs: 200 });
    let maxHanging = 0;
    const watch = setInterval(() => (maxHanging = Math.max(maxHanging, receiver!.hanging)), 5);
    burst(h, 10, 2, 'hang');
    await sleep(50);
    // A second burst while a request hangs: still synchronous, still bounded.
    burst(h, 10, 2, 'hang-more');
    expect(h.vt.stats().droppedSpans.queue_full).toBeGreaterThan(0);

    await expect(h.vt.shutdown()).resolves.toBeUndefined();
    expect(h.diagnostics.map((d) => d.code)).toContain('flush_timeout');
    // Spans ended after shutdown are counted, not queued.
    const droppedAtShutdown = h.vt.stats().droppedSpans.shutdown;
    const late = h.vt.startConversation({ id: 'late', startedAt: T0 });
    late.end({ endedAt: T0 + 1 });
    expect(h.vt.stats().droppedSpans.shutdown).toBe(droppedAtShutdown + 1);

    // Shutdown gave up: what was queued is dropped, the request in flight abandoned (counted as failed).
    expect(h.vt.stats().queuedSpans).toBe(0);
    expect(h.vt.stats().abandonedExports).toBe(1);
    expect(h.diagnostics.map((d) => d.code)).toContain('export_abandoned');
    await settle(h);
    clearInterval(watch);
    expect(maxHanging).toBeLessThanOrEqual(1);
    const s = h.vt.stats();
    expect(s.exportedSpans).toBe(0);
    expect(s.failedSpans + s.droppedSpans.queue_full + s.droppedSpans.shutdown).toBe(h.ended.count);
    await expectMetricsMatch(h.vt);
  });
});
