/**
 * The trace sink: one trace per conversation. The `conversation` span opens when the call starts;
 * each finished turn becomes a `turn` span with `stt`, `turn_detection`, `llm`, `tool_call` and `tts`
 * children, all with start and end times taken from the events. Only the conversation span stays
 * open, and it is always ended: by `end()`, the idle timeout or `shutdown()`.
 */
import {
  type Attributes,
  type Context,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR, SPAN } from './attributes.js';
import { applyContentPolicy, type ContentMode, redact } from './content.js';
import { type DerivedIdGenerator, rootSpanIdForConversation } from './ids.js';
import type { ComponentCall, ConversationRecord, TurnError, TurnRecord } from './records.js';
import type { ConversationInfo, ConversationSink } from './sink.js';

/** Options of {@link TraceSink}. */
export interface TraceSinkOptions {
  tracer: Tracer;
  content: ContentMode;
  /** voxtrace's own provider's generator: conversation spans become true roots with the derived id. */
  idGenerator?: DerivedIdGenerator;
}

type ErrorSpanLayer = 'stt' | 'llm' | 'tool' | 'tts';

/** Creates the spans of the span model from records. */
export class TraceSink {
  constructor(private readonly opts: TraceSinkOptions) {}

  /**
   * Opens the `conversation` span with the conversation's trace id. On voxtrace's own provider the
   * span is a root; on a shared provider its parent is a virtual span id derived from the
   * conversation id, the same in every process.
   */
  startConversation(info: ConversationInfo): ConversationSink & { traceId: string } {
    const attributes: Attributes = {
      ...info.attributes,
      [ATTR.conversationId]: info.id,
      [ATTR.genAiConversationId]: info.id,
      [ATTR.platform]: info.platform,
    };
    const options = { kind: SpanKind.SERVER, startTime: info.startedAt, attributes };
    const { tracer, idGenerator } = this.opts;
    const span = idGenerator
      ? idGenerator.withTraceId(info.traceId, () =>
          tracer.startSpan(SPAN.conversation, options, ROOT_CONTEXT),
        )
      : tracer.startSpan(
          SPAN.conversation,
          options,
          trace.setSpanContext(ROOT_CONTEXT, {
            traceId: info.traceId,
            spanId: rootSpanIdForConversation(info.id),
            traceFlags: TraceFlags.SAMPLED,
            isRemote: true,
          }),
        );
    const ctx = trace.setSpan(ROOT_CONTEXT, span);
    const traceId = span.spanContext().traceId;
    return {
      traceId,
      turn: (turn) => this.turn(ctx, turn),
      end: (record) => this.end(span, record),
    };
  }

  private text(value: unknown): string | undefined {
    return applyContentPolicy(this.opts.content, value);
  }

  private turn(parent: Context, t: TurnRecord): void {
    const { tracer } = this.opts;
    const attributes: Attributes = {
      ...t.attributes,
      [ATTR.conversationId]: t.conversationId,
      [ATTR.turnIndex]: t.index,
      [ATTR.turnInitiator]: t.initiator,
      [ATTR.turnInterrupted]: t.interrupted,
    };
    if (t.e2eLatencyMs !== null) attributes[ATTR.turnE2eLatencyMs] = t.e2eLatencyMs;
    if (t.bottleneck) {
      attributes[ATTR.turnBottleneck] = t.bottleneck.component;
      attributes[ATTR.turnBottleneckShare] = round(t.bottleneck.share, 3);
    }
    if (t.breakdown) {
      for (const [k, v] of Object.entries(t.breakdown))
        attributes[ATTR.turnBreakdownPrefix + k] = round(v, 1);
    }
    const transcript = t.stt ? this.text(t.stt.transcript) : undefined;
    if (transcript !== undefined) attributes[ATTR.turnUserTranscript] = transcript;
    if (t.errors.length) attributes[ATTR.turnErrorLayers] = [...new Set(t.errors.map((e) => e.layer))];

    const span = tracer.startSpan(SPAN.turn, { startTime: t.startedAt, attributes }, parent);
    const ctx = trace.setSpan(parent, span);
    const base = { [ATTR.conversationId]: t.conversationId, [ATTR.turnIndex]: t.index };
    // Errors from `error` events mark the layer's span; a layer with no span gets a zero-length one.
    const pending = this.unattachedErrors(t);

    if (t.stt) {
      const s = t.stt;
      const a: Attributes = { ...base, ...s.attributes };
      setIf(a, ATTR.componentProvider, s.provider);
      setIf(a, ATTR.componentModel, s.model);
      setIf(a, ATTR.componentLatencyMs, s.latencyMs);
      setIf(a, ATTR.sttConfidence, s.confidence);
      setIf(a, ATTR.sttAudioDurationMs, s.audioDurationMs);
      setIf(a, ATTR.sttTranscript, transcript);
      this.child(ctx, SPAN.stt, s.startedAt ?? s.endedAt, s.endedAt, a, takeError(pending, 'stt'));
    }
    if (t.turnDetection) {
      const d = t.turnDetection;
      const a: Attributes = { ...base, ...d.attributes };
      setIf(a, ATTR.componentLatencyMs, d.delayMs);
      this.child(ctx, SPAN.turnDetection, d.startedAt ?? d.endedAt, d.endedAt, a);
    }
    t.llm.forEach((c, i) => {
      const a: Attributes = { ...base, ...c.attributes, [ATTR.genAiOperationName]: 'chat' };
      setIf(a, ATTR.componentProvider, c.provider);
      setIf(a, ATTR.genAiProviderName, c.provider);
      setIf(a, ATTR.componentModel, c.model);
      setIf(a, ATTR.genAiRequestModel, c.model);
      setIf(a, ATTR.componentLatencyMs, c.ttftMs);
      setIf(a, ATTR.llmTtftMs, c.ttftMs);
      setIf(a, ATTR.genAiTimeToFirstChunk, c.ttftMs === null ? null : c.ttftMs / 1000);
      setIf(a, ATTR.genAiInputTokens, c.inputTokens);
      setIf(a, ATTR.genAiOutputTokens, c.outputTokens);
      setIf(a, ATTR.llmInput, this.text(c.input));
      setIf(a, ATTR.llmOutput, this.text(c.output));
      const last = i === t.llm.length - 1;
      this.call(ctx, SPAN.llm, c, c.firstTokenAt, t.endedAt, a, last ? takeError(pending, 'llm') : undefined);
    });
    t.tools.forEach((c, i) => {
      const a: Attributes = {
        ...base,
        ...c.attributes,
        [ATTR.genAiOperationName]: 'execute_tool',
        [ATTR.genAiToolName]: c.name,
        [ATTR.genAiToolCallId]: c.callId,
        [ATTR.genAiToolType]: 'function',
      };
      setIf(a, ATTR.componentLatencyMs, c.durationMs);
      setIf(a, ATTR.toolArguments, this.text(c.arguments));
      setIf(a, ATTR.toolResult, this.text(c.result));
      const last = i === t.tools.length - 1;
      this.call(ctx, SPAN.tool, c, null, t.endedAt, a, last ? takeError(pending, 'tool') : undefined);
    });
    t.tts.forEach((c, i) => {
      const a: Attributes = { ...base, ...c.attributes };
      setIf(a, ATTR.componentProvider, c.provider);
      setIf(a, ATTR.componentModel, c.model);
      setIf(a, ATTR.componentLatencyMs, c.ttfbMs);
      setIf(a, ATTR.ttsTtfbMs, c.ttfbMs);
      setIf(a, ATTR.ttsCharacters, c.characters);
      setIf(a, ATTR.ttsVoice, c.voice);
      setIf(a, ATTR.ttsText, this.text(c.text));
      const last = i === t.tts.length - 1;
      this.call(ctx, SPAN.tts, c, c.firstAudioAt, t.endedAt, a, last ? takeError(pending, 'tts') : undefined);
    });
    for (const [layer, err] of pending) {
      const name = layer === 'tool' ? SPAN.tool : SPAN[layer];
      this.child(ctx, name, err.at, err.at, { ...base }, err);
    }
    for (const e of t.errors) {
      span.addEvent(
        'voice.error',
        { layer: e.layer, message: this.errorText(e.message), recoverable: e.recoverable },
        e.at,
      );
    }
    if (t.errors.length) span.setStatus({ code: SpanStatusCode.ERROR, message: errorSummary(t.errors) });
    span.end(t.endedAt);
  }

  /** Errors from `error` events whose layer's component span carries no error, by span layer. */
  private unattachedErrors(t: TurnRecord): Map<ErrorSpanLayer, TurnError> {
    const out = new Map<ErrorSpanLayer, TurnError>();
    const carried = new Set<string>();
    for (const c of [...t.llm, ...t.tools, ...t.tts]) if (c.error) carried.add(c.error);
    for (const e of t.errors) {
      if (e.layer === 'telephony' || e.layer === 'dialog' || carried.has(e.message)) continue;
      if (!out.has(e.layer)) out.set(e.layer, e);
    }
    return out;
  }

  private call(
    ctx: Context,
    name: string,
    c: ComponentCall,
    firstAt: number | null,
    turnEnd: number,
    a: Attributes,
    extraError: TurnError | undefined,
  ): void {
    if (c.cancelled) a[ATTR.componentCancelled] = true;
    if (c.unfinished) a[ATTR.componentUnfinished] = true;
    const end = c.endedAt ?? turnEnd;
    const start = c.startedAt ?? firstAt ?? end;
    const error = c.error ? { message: c.error } : extraError;
    this.child(ctx, name, start, end, a, error);
  }

  private child(
    ctx: Context,
    name: string,
    start: number,
    end: number,
    attributes: Attributes,
    error?: { message: string },
  ): void {
    const span: Span = this.opts.tracer.startSpan(name, { startTime: start, attributes }, ctx);
    if (error) {
      const message = this.errorText(error.message);
      span.setAttribute(ATTR.componentError, message);
      span.setAttribute(ATTR.errorType, 'error');
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    span.end(Math.max(start, end));
  }

  /** Error messages can quote the caller ("invalid email a@b.c"): they follow the content policy too. */
  private errorText(message: string): string {
    return this.opts.content === 'redacted' ? redact(message) : message;
  }

  private end(span: Span, r: ConversationRecord): void {
    const a: Attributes = {
      ...r.attributes,
      [ATTR.outcome]: r.outcome,
      [ATTR.endReason]: r.endReason,
      [ATTR.turnCount]: r.turnCount,
      [ATTR.interruptions]: r.interruptions,
      [ATTR.eventsInvalid]: r.stats.invalid,
      [ATTR.eventsDuplicate]: r.stats.duplicates,
      [ATTR.eventsLate]: r.stats.late,
    };
    if (r.taskCompleted !== null) a[ATTR.taskCompleted] = r.taskCompleted;
    span.setAttributes(a);
    for (const e of r.errors) {
      span.addEvent(
        'voice.error',
        { layer: e.layer, message: this.errorText(e.message), recoverable: e.recoverable },
        e.at,
      );
    }
    if (r.outcome === 'error') {
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: r.errors.length ? errorSummary(r.errors) : 'call ended with an error',
      });
    }
    span.end(r.endedAt);
  }
}

function setIf(a: Attributes, key: string, value: string | number | boolean | null | undefined): void {
  if (value !== null && value !== undefined) a[key] = value;
}

function takeError(pending: Map<ErrorSpanLayer, TurnError>, layer: ErrorSpanLayer): TurnError | undefined {
  const e = pending.get(layer);
  pending.delete(layer);
  return e;
}

function round(v: number, digits: number): number {
  const k = 10 ** digits;
  return Math.round(v * k) / k;
}

function errorSummary(errors: readonly TurnError[]): string {
  return [...new Set(errors.map((e) => e.layer))].map((l) => `${l} error`).join(', ');
}
