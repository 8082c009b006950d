/**
 * The trace sink: one trace per conversation. The `conversation` span opens when the call starts;
 * each finished turn becomes a `turn` span with `stt`, `turn_detection`, `llm`, `tool_call` and `tts`
 * children, all with start and end times taken from the events. Only the conversation span stays
 * open, and it is always ended: by `end()`, the idle timeout or `shutdown()`.
 *
 * Span kinds follow what each span is: the conversation serves a caller (SERVER); STT, LLM and TTS
 * call a provider (CLIENT, as the GenAI conventions make inference spans); turns, end-of-turn
 * detection and tools run in the agent (INTERNAL, as GenAI makes `execute_tool`).
 * Before a turn's spans are created, `admit` says whether they fit in the conversation's share of the
 * export queue; a turn that does not fit is left out whole (never half a turn), and the conversation
 * span counts what was left out (`voice.turns.omitted`, `voice.spans.omitted`).
 */
import {
  type Attributes,
  type AttributeValue,
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
import { capAttribute, capAttributes, type ContentPolicy } from './content.js';
import { type DerivedIdGenerator, rootSpanIdForConversation } from './ids.js';
import type { ComponentCall, ConversationRecord, TurnError, TurnRecord } from './records.js';
import { genAiSpanName, resolveConventions, type SpanConventions } from './semconv.js';
import type { ConversationInfo, ConversationSink } from './sink.js';

/** Options of {@link TraceSink}. */
export interface TraceSinkOptions {
  tracer: Tracer;
  /** What content and error messages become on spans. */
  content: ContentPolicy;
  /** voxtrace's own provider's generator: conversation spans become true roots with the derived id. */
  idGenerator?: DerivedIdGenerator;
  /** Span naming and GenAI convention version. Default: voxtrace's names, from `OTEL_SEMCONV_STABILITY_OPT_IN`. */
  conventions?: SpanConventions;
  /** Whether `spans` more spans of the conversation may be created now. Default: always. */
  admit?: (conversationId: string, spans: number) => boolean;
}

/** Turns and spans of one conversation left out of the trace. */
interface Omitted {
  turns: number;
  spans: number;
}

/** `error.type` when the error has no low-cardinality identifier: the conventions' fallback value. */
const ERROR_TYPE_OTHER = '_OTHER';

type ErrorSpanLayer = 'stt' | 'llm' | 'tool' | 'tts';

/** Span attributes before OpenTelemetry drops the null and undefined ones. */
type SpanAttributes = Record<string, AttributeValue | null | undefined>;

/** Creates the spans of the span model from records. */
export class TraceSink {
  private readonly conventions: SpanConventions;

  constructor(private readonly opts: TraceSinkOptions) {
    this.conventions = opts.conventions ?? resolveConventions({});
  }

  /**
   * Opens the `conversation` span with the conversation's trace id. On voxtrace's own provider the
   * span is a root; on a shared provider its parent is a virtual span id derived from the
   * conversation id, the same in every process.
   */
  startConversation(info: ConversationInfo): ConversationSink & { traceId: string } {
    const id = capAttribute(info.id);
    const platform = capAttribute(info.platform);
    const attributes: Attributes = {
      ...capAttributes(info.attributes),
      [ATTR.conversationId]: id,
      [ATTR.genAiConversationId]: id,
      [ATTR.platform]: platform,
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
    const omitted: Omitted = { turns: 0, spans: 0 };
    return {
      traceId,
      turn: (turn) => this.turn(ctx, turn, id, platform, omitted),
      end: (record) => this.end(span, record, omitted),
    };
  }

  // Attribute objects are single literals: null or undefined values are dropped by OpenTelemetry,
  // and one literal per span kind keeps the hot path free of megamorphic property stores. Every string
  // is capped (content and errors by the content policy, which never throws, the rest by `capAttribute(s)`).
  private turn(parent: Context, t: TurnRecord, id: string, platform: string, omitted: Omitted): void {
    const { tracer, content } = this.opts;
    // Errors from `error` events mark the layer's span; a layer with no span gets a zero-length one.
    const pending = this.unattachedErrors(t);
    const spans =
      1 +
      (t.stt ? 1 : 0) +
      (t.turnDetection ? 1 : 0) +
      t.llm.length +
      t.tools.length +
      t.tts.length +
      pending.size;
    if (this.opts.admit && !this.opts.admit(t.conversationId, spans)) {
      omitted.turns++;
      omitted.spans += spans;
      return;
    }
    const b = t.breakdown;
    const transcript = t.stt ? content.content(t.stt.transcript, 'transcript', id) : undefined;
    const attributes: SpanAttributes = {
      ...capAttributes(t.attributes),
      [ATTR.conversationId]: id,
      [ATTR.platform]: platform,
      [ATTR.turnIndex]: t.index,
      [ATTR.turnInitiator]: t.initiator,
      [ATTR.turnUserSpeechStartedAt]: t.userSpeechStartedAt,
      [ATTR.turnUserSpeechEndedAt]: t.userSpeechEndedAt,
      [ATTR.turnAgentSpeechStartedAt]: t.agentSpeechStartedAt,
      [ATTR.turnAgentSpeechEndedAt]: t.agentSpeechEndedAt,
      [ATTR.turnInterrupted]: t.interrupted,
      [ATTR.turnE2eLatencyMs]: t.e2eLatencyMs,
      [ATTR.turnBottleneck]: t.bottleneck?.component,
      [ATTR.turnBottleneckShare]: t.bottleneck ? round(t.bottleneck.share, 3) : undefined,
      [ATTR.turnLatencyStt]: b && round(b.stt, 1),
      [ATTR.turnLatencyTurnDetection]: b && round(b.turn_detection, 1),
      [ATTR.turnLatencyLlm]: b && round(b.llm, 1),
      [ATTR.turnLatencyTool]: b && round(b.tool, 1),
      [ATTR.turnLatencyTts]: b && round(b.tts, 1),
      [ATTR.turnLatencyOther]: b && round(b.other, 1),
      [ATTR.turnLatencyUnmeasured]: b && round(b.unmeasured, 1),
      [ATTR.turnUserTranscript]: transcript,
      [ATTR.turnErrorLayers]: t.errors.length ? [...new Set(t.errors.map((e) => e.layer))] : undefined,
    };

    const span = tracer.startSpan(
      SPAN.turn,
      { startTime: t.startedAt, attributes: attributes as Attributes },
      parent,
    );
    const ctx = trace.setSpan(parent, span);

    if (t.stt) {
      const s = t.stt;
      const a: SpanAttributes = {
        ...capAttributes(s.attributes),
        [ATTR.conversationId]: id,
        [ATTR.turnIndex]: t.index,
        [ATTR.componentProvider]: s.provider,
        [ATTR.componentModel]: s.model,
        [ATTR.componentLatencyMs]: s.latencyMs,
        [ATTR.sttConfidence]: s.confidence,
        [ATTR.sttAudioDurationMs]: s.audioDurationMs,
        [ATTR.sttTranscript]: transcript,
      };
      const error = takeError(pending, 'stt');
      this.child(ctx, SPAN.stt, SpanKind.CLIENT, s.startedAt ?? s.endedAt, s.endedAt, a, error);
    }
    if (t.turnDetection) {
      const d = t.turnDetection;
      const a: SpanAttributes = {
        ...capAttributes(d.attributes),
        [ATTR.conversationId]: id,
        [ATTR.turnIndex]: t.index,
        [ATTR.componentLatencyMs]: d.delayMs,
      };
      this.child(ctx, SPAN.turnDetection, SpanKind.INTERNAL, d.startedAt ?? d.endedAt, d.endedAt, a);
    }
    const { spanNames, genAiSystem } = this.conventions;
    t.llm.forEach((c, i) => {
      const a: SpanAttributes = {
        ...capAttributes(c.attributes),
        [ATTR.conversationId]: id,
        [ATTR.genAiConversationId]: id,
        [ATTR.turnIndex]: t.index,
        [ATTR.genAiOperationName]: 'chat',
        [ATTR.componentProvider]: c.provider,
        [ATTR.genAiProviderName]: c.provider,
        [ATTR.genAiSystem]: genAiSystem ? c.provider : undefined,
        [ATTR.componentModel]: c.model,
        [ATTR.genAiRequestModel]: c.model,
        [ATTR.componentLatencyMs]: c.ttftMs,
        [ATTR.llmTtftMs]: c.ttftMs,
        [ATTR.genAiTimeToFirstChunk]: c.ttftMs === null ? null : c.ttftMs / 1000,
        [ATTR.genAiInputTokens]: c.inputTokens,
        [ATTR.genAiOutputTokens]: c.outputTokens,
        [ATTR.llmInput]: content.content(c.input, 'llm.input', id),
        [ATTR.llmOutput]: content.content(c.output, 'llm.output', id),
      };
      const last = i === t.llm.length - 1;
      const name = spanNames === 'genai' ? genAiSpanName('chat', c.model) : SPAN.llm;
      const error = last ? takeError(pending, 'llm') : undefined;
      this.call(ctx, name, SpanKind.CLIENT, c, c.firstTokenAt, t.endedAt, a, error);
    });
    t.tools.forEach((c, i) => {
      const a: SpanAttributes = {
        ...capAttributes(c.attributes),
        [ATTR.conversationId]: id,
        [ATTR.genAiConversationId]: id,
        [ATTR.turnIndex]: t.index,
        [ATTR.genAiOperationName]: 'execute_tool',
        [ATTR.genAiToolName]: capAttribute(c.name),
        [ATTR.genAiToolCallId]: capAttribute(c.callId),
        [ATTR.genAiToolType]: 'function',
        [ATTR.componentLatencyMs]: c.durationMs,
        [ATTR.toolArguments]: content.content(c.arguments, 'tool.arguments', id),
        [ATTR.toolResult]: content.content(c.result, 'tool.result', id),
      };
      const last = i === t.tools.length - 1;
      const name = spanNames === 'genai' ? genAiSpanName('execute_tool', c.name) : SPAN.tool;
      const error = last ? takeError(pending, 'tool') : undefined;
      this.call(ctx, name, SpanKind.INTERNAL, c, null, t.endedAt, a, error);
    });
    t.tts.forEach((c, i) => {
      const a: SpanAttributes = {
        ...capAttributes(c.attributes),
        [ATTR.conversationId]: id,
        [ATTR.turnIndex]: t.index,
        [ATTR.componentProvider]: c.provider,
        [ATTR.componentModel]: c.model,
        [ATTR.componentLatencyMs]: c.ttfbMs,
        [ATTR.ttsTtfbMs]: c.ttfbMs,
        [ATTR.ttsCharacters]: c.characters,
        [ATTR.ttsVoice]: c.voice,
        [ATTR.ttsText]: content.content(c.text, 'tts.text', id),
      };
      const last = i === t.tts.length - 1;
      const error = last ? takeError(pending, 'tts') : undefined;
      this.call(ctx, SPAN.tts, SpanKind.CLIENT, c, c.firstAudioAt, t.endedAt, a, error);
    });
    for (const [layer, err] of pending) {
      const name = layer === 'tool' ? SPAN.tool : SPAN[layer];
      this.child(
        ctx,
        name,
        layer === 'tool' ? SpanKind.INTERNAL : SpanKind.CLIENT,
        err.at,
        err.at,
        { [ATTR.conversationId]: id, [ATTR.turnIndex]: t.index },
        err,
      );
    }
    for (const e of t.errors) {
      span.addEvent(
        'voice.error',
        { layer: e.layer, message: content.error(e.message, id), recoverable: e.recoverable },
        e.at,
      );
    }
    if (t.errors.length) span.setStatus({ code: SpanStatusCode.ERROR, message: errorSummary(t.errors) });
    span.end(t.endedAt);
  }

  /** Errors from `error` events whose layer's component span carries no error, by span layer. */
  private unattachedErrors(t: TurnRecord): Map<ErrorSpanLayer, TurnError> {
    const out = new Map<ErrorSpanLayer, TurnError>();
    if (t.errors.length === 0) return out;
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
    kind: SpanKind,
    c: ComponentCall,
    firstAt: number | null,
    turnEnd: number,
    a: SpanAttributes,
    extraError: TurnError | undefined,
  ): void {
    if (c.cancelled) a[ATTR.componentCancelled] = true;
    if (c.unfinished) a[ATTR.componentUnfinished] = true;
    const end = c.endedAt ?? turnEnd;
    const start = c.startedAt ?? firstAt ?? end;
    const error = c.error ? { message: c.error } : extraError;
    this.child(ctx, name, kind, start, end, a, error);
  }

  private child(
    ctx: Context,
    name: string,
    kind: SpanKind,
    start: number,
    end: number,
    attributes: SpanAttributes,
    error?: { message: string },
  ): void {
    const span: Span = this.opts.tracer.startSpan(
      name,
      { kind, startTime: start, attributes: attributes as Attributes },
      ctx,
    );
    if (error) {
      const message = this.opts.content.error(error.message, attributes[ATTR.conversationId] as string);
      span.setAttribute(ATTR.componentError, message);
      span.setAttribute(ATTR.errorType, ERROR_TYPE_OTHER);
      span.setStatus({ code: SpanStatusCode.ERROR, message });
    }
    span.end(Math.max(start, end));
  }

  private end(span: Span, r: ConversationRecord, omitted: Omitted): void {
    const a: SpanAttributes = {
      ...capAttributes(r.attributes),
      [ATTR.outcome]: r.outcome,
      [ATTR.endReason]: r.endReason,
      [ATTR.turnCount]: r.turnCount,
      [ATTR.interruptions]: r.interruptions,
      [ATTR.eventsInvalid]: r.stats.invalid,
      [ATTR.eventsDuplicate]: r.stats.duplicates,
      [ATTR.eventsLate]: r.stats.late,
      [ATTR.taskCompleted]: r.taskCompleted,
      [ATTR.turnsOmitted]: omitted.turns || undefined,
      [ATTR.spansOmitted]: omitted.spans || undefined,
    };
    span.setAttributes(a as Attributes);
    for (const e of r.errors) {
      span.addEvent(
        'voice.error',
        { layer: e.layer, message: this.opts.content.error(e.message, r.id), recoverable: e.recoverable },
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
