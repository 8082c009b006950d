/**
 * Test harness: a voxtrace instance with an in-memory span exporter, a recorder of what LiveKit
 * itself reported (to compare against), and span-tree helpers.
 */
import type {
  AgentSession,
  ChatMessage,
  CloseEvent,
  FunctionToolsExecutedEvent,
  MetricsCollectedEvent,
  TTSMetrics,
} from '@livekit/agents';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createVoxtrace, type Diagnostic, type Voxtrace } from '@voxtrace/core';

/** A voxtrace instance whose spans land in `exporter`, and every diagnostic it reported. */
export function testVoxtrace(): { vt: Voxtrace; exporter: InMemorySpanExporter; diagnostics: Diagnostic[] } {
  const exporter = new InMemorySpanExporter();
  const diagnostics: Diagnostic[] = [];
  const vt = createVoxtrace({
    otlp: false,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    onDiagnostic: (d) => diagnostics.push(d),
  });
  return { vt, exporter, diagnostics };
}

/** What LiveKit reported during a session, recorded by a plain listener of the test. */
export interface LiveKitRecord {
  user: ChatMessage[];
  assistant: ChatMessage[];
  tools: FunctionToolsExecutedEvent[];
  tts: TTSMetrics[];
  close: CloseEvent | null;
  closed: Promise<CloseEvent>;
  /** Resolves once `n` assistant messages were added. */
  replies(n: number): Promise<void>;
}

export function recordLiveKit<U>(session: AgentSession<U>): LiveKitRecord {
  const waiters: { n: number; resolve: () => void }[] = [];
  let onClose!: (ev: CloseEvent) => void;
  const rec: LiveKitRecord = {
    user: [],
    assistant: [],
    tools: [],
    tts: [],
    close: null,
    closed: new Promise((resolve) => {
      onClose = resolve;
    }),
    replies: (n) =>
      rec.assistant.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
  };
  const emitter = session as unknown as { on(event: string, fn: (ev: never) => void): void };
  emitter.on('conversation_item_added', (ev: { item: ChatMessage | { type: string } }) => {
    const item = ev.item;
    if (!('role' in item)) return;
    if (item.role === 'user') rec.user.push(item);
    if (item.role === 'assistant') rec.assistant.push(item);
    for (const w of waiters) if (rec.assistant.length >= w.n) w.resolve();
  });
  emitter.on('function_tools_executed', (ev: FunctionToolsExecutedEvent) => rec.tools.push(ev));
  emitter.on('metrics_collected', (ev: MetricsCollectedEvent) => {
    if (ev.metrics.type === 'tts_metrics') rec.tts.push(ev.metrics);
  });
  emitter.on('close', (ev: CloseEvent) => {
    rec.close = ev;
    onClose(ev);
  });
  return rec;
}

/** The finished spans as a tree. */
export class SpanTree {
  constructor(readonly spans: ReadableSpan[]) {}

  named(name: string): ReadableSpan[] {
    return this.spans.filter((s) => s.name === name);
  }

  one(name: string): ReadableSpan {
    const found = this.named(name);
    if (found.length !== 1) throw new Error(`expected one ${name} span, found ${found.length}`);
    return found[0]!;
  }

  children(parent: ReadableSpan, name?: string): ReadableSpan[] {
    const id = parent.spanContext().spanId;
    return this.spans
      .filter((s) => s.parentSpanContext?.spanId === id && (name === undefined || s.name === name))
      .sort((a, b) => ms(a.startTime) - ms(b.startTime));
  }

  /** The turn spans in order of `turn.index`. */
  turns(): ReadableSpan[] {
    return this.named('turn').sort(
      (a, b) => Number(a.attributes['turn.index']) - Number(b.attributes['turn.index']),
    );
  }
}

export const ms = hrTimeToMilliseconds;

/** A span's duration in ms. */
export function durationMs(span: ReadableSpan): number {
  return ms(span.endTime) - ms(span.startTime);
}

/** Listener counts of every `AgentSessionEventTypes` value on `session`. */
export function listenerCounts<U>(session: AgentSession<U>, names: string[]): Record<string, number> {
  const emitter = session as unknown as { listenerCount(event: string): number };
  return Object.fromEntries(names.map((n) => [n, emitter.listenerCount(n)]));
}
