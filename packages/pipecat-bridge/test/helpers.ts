/** Test helpers: a real voxtrace with an in-memory span exporter, the golden fixtures, span lookups. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createVoxtrace, type Diagnostic, type VoxtraceOptions } from '@voxtrace/core';
import { createPipecatBridge, type PipecatBridgeOptions } from '@voxtrace/pipecat-bridge';

/** The fixtures' session start: `user-transcription` timestamps put `at_ms` 5766 at 16:51:05.766Z. */
export const BASE = Date.parse('2026-08-21T16:51:00.000Z');

export interface FixtureEvent {
  at_ms: number;
  message: { type: string; [k: string]: unknown };
}

/** Reads `<repo>/fixtures/pipecat/<name>`. */
export function fixture(name: string): FixtureEvent[] {
  const url = new URL(`../../../fixtures/pipecat/${name}`, import.meta.url);
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8')).events;
}

export const F1 = '01-three-turns-function-call-full.json';
export const F2 = '02-function-call-default-report-level.json';

/** A voxtrace whose spans land in memory, and a bridge on it. */
export function setup(bridgeOptions: PipecatBridgeOptions = {}, vtOptions: VoxtraceOptions = {}) {
  const exporter = new InMemorySpanExporter();
  const diagnostics: Diagnostic[] = [];
  const vt = createVoxtrace({
    otlp: false,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    onDiagnostic: (d) => diagnostics.push(d),
    ...vtOptions,
  });
  // Adapter diagnostics reach the hub (vt.diagnose), so one collector sees core's and the bridge's.
  const bridge = createPipecatBridge(vt, bridgeOptions);
  return { vt, exporter, bridge, diagnostics, spans: () => exporter.getFinishedSpans() };
}

/** Feeds a message list as if received at `BASE + at_ms`. */
export function replay(
  bridge: ReturnType<typeof setup>['bridge'],
  events: FixtureEvent[],
  conversationId?: string,
): void {
  for (const e of events) bridge.ingest(e.message, { receivedAt: BASE + e.at_ms, conversationId });
}

/** Builds a message list from `[at_ms, type, data?]` tuples. */
export function messages(...rows: [number, string, unknown?][]): FixtureEvent[] {
  return rows.map(([at_ms, type, data]) => ({
    at_ms,
    message: { label: 'rtvi-ai', type, ...(data === undefined ? {} : { data }) },
  }));
}

export const ms = (t: ReadableSpan['startTime']) => hrTimeToMilliseconds(t);
export const durationMs = (s: ReadableSpan) => Math.round(ms(s.endTime) - ms(s.startTime));
/** Span start relative to BASE, in ms. */
export const startAt = (s: ReadableSpan) => Math.round(ms(s.startTime) - BASE);
export const endAt = (s: ReadableSpan) => Math.round(ms(s.endTime) - BASE);

export function byName(spans: ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((s) => s.name === name).sort((a, b) => ms(a.startTime) - ms(b.startTime));
}

/** The child spans of `parent` with this name, by start time. */
export function children(spans: ReadableSpan[], parent: ReadableSpan, name: string): ReadableSpan[] {
  return byName(spans, name).filter((s) => s.parentSpanContext?.spanId === parent.spanContext().spanId);
}

/** Turn spans by `turn.index`. */
export function turns(spans: ReadableSpan[]): ReadableSpan[] {
  return byName(spans, 'turn').sort(
    (a, b) => Number(a.attributes['turn.index']) - Number(b.attributes['turn.index']),
  );
}
