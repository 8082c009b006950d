import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Attributes } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createVoxtrace, type Diagnostic, type VoxtraceOptions } from '@voxtrace/core';
import { signRetellPayload } from '@voxtrace/retell';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A file of `<repo>/fixtures/retell/`. */
export function fixturePath(name: string): string {
  return path.resolve(repoRoot, 'fixtures/retell', name);
}

/** A JSON fixture, parsed (a fresh copy each time). */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8')) as T;
}

/** The in-memory exporter, except that `vt.shutdown()` does not wipe what it holds. */
class KeepingExporter extends InMemorySpanExporter {
  override shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A voxtrace instance whose spans land in memory. */
export function testVoxtrace(options: VoxtraceOptions = {}) {
  const exporter = new KeepingExporter();
  const diagnostics: Diagnostic[] = [];
  const vt = createVoxtrace({
    otlp: false,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    onDiagnostic: (d) => diagnostics.push(d),
    ...options,
  });
  const spans = () => exporter.getFinishedSpans();
  const named = (name: string) => spans().filter((s) => s.name === name);
  return { vt, exporter, spans, named, diagnostics };
}

export const API_KEY = 'key_test_retell_webhook';

/** A signed POST as Retell sends it. */
export function retellRequest(
  url: string,
  body: unknown,
  { key = API_KEY, at = Date.now() }: { key?: string; at?: number } = {},
): Request {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return new Request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-retell-signature': signRetellPayload(raw, key, at) },
    body: raw,
  });
}

/** Span start/end in epoch ms. */
export function startMs(span: ReadableSpan): number {
  return span.startTime[0] * 1000 + span.startTime[1] / 1e6;
}
export function endMs(span: ReadableSpan): number {
  return span.endTime[0] * 1000 + span.endTime[1] / 1e6;
}

export function attr(span: ReadableSpan | undefined, key: string): Attributes[string] {
  return span?.attributes[key];
}

/** Turn spans sorted by `turn.index`. */
export function turnsOf(spans: ReadableSpan[]): ReadableSpan[] {
  return spans
    .filter((s) => s.name === 'turn')
    .sort((a, b) => Number(attr(a, 'turn.index')) - Number(attr(b, 'turn.index')));
}

/** Children of a span. */
export function childrenOf(spans: ReadableSpan[], parent: ReadableSpan, name?: string): ReadableSpan[] {
  return spans.filter(
    (s) =>
      s.parentSpanContext?.spanId === parent.spanContext().spanId && (name === undefined || s.name === name),
  );
}
