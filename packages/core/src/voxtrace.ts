/**
 * `createVoxtrace(options)`: the one object an agent holds. It starts conversations, routes their
 * records to the sinks (trace, and whatever else is configured), ends abandoned calls after an idle
 * timeout, and flushes on shutdown. Nothing here throws into the host agent.
 */
import type { TracerProvider } from '@opentelemetry/api';
import type { BufferConfig, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import {
  endOptionsShape,
  readAttributes,
  readOptions,
  startOptionsShape,
  voxtraceOptionsShape,
} from './arguments.js';
import { type ContentMode, type ContentOptions, ContentPolicy } from './content.js';
import { Conversation, type ConversationOptions, type EndOptions } from './conversation.js';
import {
  type Diagnostic,
  type DiagnosticCode,
  type DiagnosticHandler,
  describeError,
  isDiagnosticCode,
} from './diagnostics.js';
import type { EventAttributes, VoiceEvent } from './events.js';
import { createTracing, type ExportStats, type OtlpOptions } from './export.js';
import type { SpanDropReason } from './export-queue.js';
import { randomTraceId, traceIdForConversation } from './ids.js';
import type { AnyRegistry, MetricsOptions } from './metrics.js';
import type { Incident } from './monitor/incidents.js';
import type { Monitor, MonitorOptions } from './monitor/monitor.js';
import { createObservability } from './observability.js';
import type { ConversationRecord, EndReason, TurnRecord } from './records.js';
import { resolveConventions, type SpanNaming } from './semconv.js';
import type { ConversationSink, VoxtraceSink } from './sink.js';
import { resolveThresholds, type ThresholdOverrides, type Thresholds } from './thresholds.js';
import { TraceSink } from './trace.js';

/** Options of {@link createVoxtrace}. */
export interface VoxtraceOptions {
  /** `service.name` of voxtrace's spans. Default: `OTEL_SERVICE_NAME`, else `voice-agent`. */
  serviceName?: string;
  /**
   * OTLP/HTTP export. Default: on when `OTEL_EXPORTER_OTLP_ENDPOINT` or
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set (with the other `OTEL_EXPORTER_OTLP_*` variables),
   * else off. `false` turns it off. Ignored when `tracerProvider` is given.
   */
  otlp?: OtlpOptions | false;
  /** Put spans into this provider instead of voxtrace's own (e.g. the one LiveKit's telemetry uses). */
  tracerProvider?: TracerProvider;
  /** More span processors on voxtrace's own provider (an in-memory exporter in tests, a console exporter). */
  spanProcessors?: SpanProcessor[];
  /**
   * The OTLP export queue (OpenTelemetry's `BufferConfig`: `maxQueueSize` default 2048,
   * `maxExportBatchSize` 512, `scheduledDelayMillis` 5000, `exportTimeoutMillis` 30 000). A span that
   * finds the queue full is dropped and counted (`voxtrace_spans_dropped_total{reason="queue_full"}`).
   */
  batch?: BufferConfig;
  /**
   * Spans of one conversation waiting in the export queue at most. Default a quarter of
   * `batch.maxQueueSize` (512). A turn whose spans would not fit is left out of the trace whole, and
   * counted: on its conversation span (`voice.turns.omitted`, `voice.spans.omitted`) and in
   * `voxtrace_spans_dropped_total{reason="conversation_budget"}`. So one call that produces thousands
   * of spans at once (a long end-of-call report) cannot push the other calls' spans out of the queue.
   */
  maxQueuedSpansPerConversation?: number;
  /** Overrides merged over the seed thresholds and validated; throws `ThresholdError` when inconsistent. */
  thresholds?: ThresholdOverrides;
  /**
   * Transcripts, LLM text, tool arguments and results, and error messages on spans: a mode (`redacted`,
   * `none`, `full`) or `{ mode, redact, use, redactTimeoutMs }` to add your own redactor (see
   * `ContentOptions`). Default `redacted`, or `none` when `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`
   * is `false` (see docs/content-policy.md). Throws `TypeError` on a mistake.
   */
  content?: ContentMode | ContentOptions;
  /**
   * Names of LLM and tool spans: `voice` (default) keeps the span model's `llm` and `tool_call`;
   * `genai` uses the OpenTelemetry GenAI conventions' `chat {model}` and `execute_tool {tool name}`,
   * for backends that recognise GenAI spans by name. Attributes are the same either way.
   */
  spanNames?: SpanNaming;
  /**
   * Same format and meaning as `OTEL_SEMCONV_STABILITY_OPT_IN`, which it overrides (default: that
   * variable). With `gen_ai_latest_experimental` in the list, spans carry only the latest
   * experimental GenAI names; without it, LLM spans also carry `gen_ai.system` (the v1.36 name of
   * `gen_ai.provider.name`) for backends that still read it.
   */
  semconvStabilityOptIn?: string;
  /**
   * Derive each trace id from the conversation id (default true), so processes that see the same call
   * join one trace. `false` gives random trace ids.
   */
  deriveTraceId?: boolean;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  /** A conversation with no event for this long ends with outcome `abandoned`. Default 10 minutes. */
  idleTimeoutMs?: number;
  /** How long a closed turn waits for late events (event time). Default 3000 ms. */
  lateGraceMs?: number;
  /** Open conversations kept at most; beyond it the least recently active is ended. Default 10 000. */
  maxConversations?: number;
  /**
   * Longest `shutdown()` / `forceFlush()` wait. Default 5000 ms. When `shutdown()` resolves, the export
   * is abandoned (requests in flight and retry waits ended, sockets destroyed): nothing of voxtrace keeps
   * the process alive after it.
   */
  flushTimeoutMs?: number;
  /** More consumers of conversations. */
  sinks?: VoxtraceSink[];
  /** Called for every diagnostic (invalid event, export failure…). Must not throw. */
  onDiagnostic?: DiagnosticHandler;
  /** Prometheus metrics (prom-client) in `registry` or a new one (`vt.registry`). `false` turns them off. */
  metrics?: MetricsOptions | false;
  /** Window, rules and incidents of `vt.monitor`. `false` turns the monitor off. */
  monitor?: MonitorOptions | false;
  /** Called when an incident opens, changes severity, layer or status, and resolves. Must not throw. */
  onIncident?: (incident: Incident) => void;
}

/** Options of {@link Voxtrace.startConversation}. */
export interface StartConversationOptions {
  /** Default: a new `conv-{uuid}`. */
  id?: string;
  /** `livekit`, `pipecat`, `vapi`, `retell`, `custom`… Default `custom`. */
  platform?: string;
  /** Epoch ms. Default now. */
  startedAt?: number;
  /** On the `conversation` span. */
  attributes?: EventAttributes;
  /** How the caller speaking again splits turns (see `ConversationOptions.turnContinuation`). */
  turnContinuation?: ConversationOptions['turnContinuation'];
}

/** A live conversation. Every method is safe to call from an agent's event handler. */
export interface ConversationHandle {
  readonly id: string;
  readonly platform: string;
  readonly traceId: string;
  readonly startedAt: number;
  readonly ended: boolean;
  /** Records one event. Never throws; an invalid event becomes a diagnostic. */
  record(event: VoiceEvent): void;
  /** Adds attributes to the `conversation` span. */
  setAttributes(attributes: EventAttributes): void;
  /** Ends the conversation (idempotent) and returns its record. */
  end(options?: EndOptions): ConversationRecord;
}

/** Events of {@link Voxtrace.on}. */
export interface VoxtraceEvents {
  turn: TurnRecord;
  conversation: ConversationRecord;
  diagnostic: Diagnostic;
  incident: Incident;
  /** `shutdown()` has started and conversations are still open: adapters emit what they hold. */
  shutdown: void;
}

/** Counters of {@link Voxtrace.stats}. */
export interface VoxtraceStats extends ExportStats {
  openConversations: number;
  conversations: number;
  turns: number;
  diagnostics: Partial<Record<DiagnosticCode, number>>;
}

/** The handle {@link createVoxtrace} returns. */
export interface Voxtrace {
  /** The thresholds in force (seed defaults merged with the overrides). */
  readonly thresholds: Thresholds;
  /** The provider voxtrace's spans go to. */
  readonly tracerProvider: TracerProvider;
  /** Window percentiles, rates, rules, severity and incidents (inert when created with `monitor: false`). */
  readonly monitor: Monitor;
  /** The prom-client registry of the metrics; `null` with `metrics: false`. Serve it with `createMetricsHandler(vt)`. */
  readonly registry: AnyRegistry | null;
  /** Starts (or, for an id already open, returns) a conversation. */
  startConversation(options?: StartConversationOptions): ConversationHandle;
  /** The open conversation with this id. */
  getConversation(id: string): ConversationHandle | undefined;
  /**
   * Subscribes to finished turns, finished conversations, diagnostics, incidents, or the start of
   * `shutdown()`; returns the unsubscribe.
   */
  on<K extends keyof VoxtraceEvents>(event: K, listener: (value: VoxtraceEvents[K]) => void): () => void;
  /** Adds a sink for conversations started from now on; returns the remover. */
  addSink(sink: VoxtraceSink): () => void;
  stats(): VoxtraceStats;
  /**
   * Reports a diagnostic from an adapter or integration (bad webhook payload, unknown message):
   * counted in `stats()` and the metrics, and passed to `onDiagnostic` and `on('diagnostic')`.
   * Never throws.
   */
  diagnose(diagnostic: Diagnostic): void;
  /** Runs the housekeeping the background timer runs (idle timeouts, late-event grace) at the clock's now. */
  tick(): void;
  /** Flushes spans and sinks. Never rejects. */
  forceFlush(): Promise<void>;
  /** Ends open conversations, flushes and releases everything. Never rejects, even with the collector down. */
  shutdown(): Promise<void>;
}

const uuid = () => globalThis.crypto.randomUUID();

/**
 * Creates a voxtrace instance. See {@link VoxtraceOptions}. A mistake in the options is a `TypeError`
 * here, saying which option and why (the monitor, metrics and thresholds options throw their own
 * errors); nothing later, during calls, throws.
 */
export function createVoxtrace(options: VoxtraceOptions = {}): Voxtrace {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(
      `createVoxtrace: options must be an object, got ${options === null ? 'null' : typeof options}`,
    );
  const checked = voxtraceOptionsShape.safeParse(options);
  if (!checked.success) {
    const problems = checked.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`);
    throw new TypeError(`createVoxtrace: ${problems.join('; ')}`);
  }
  return new Hub(options);
}

class Hub implements Voxtrace {
  readonly thresholds: Thresholds;
  readonly tracerProvider: TracerProvider;
  readonly monitor: Monitor;
  readonly registry: AnyRegistry | null;
  private readonly now: () => number;
  private readonly tracing;
  private readonly traceSink: TraceSink;
  private readonly sinks: VoxtraceSink[];
  private readonly open = new Map<string, Live>();
  private readonly listeners: { [K in keyof VoxtraceEvents]: Set<(v: VoxtraceEvents[K]) => void> } = {
    turn: new Set(),
    conversation: new Set(),
    diagnostic: new Set(),
    incident: new Set(),
    shutdown: new Set(),
  };
  private readonly counters = { conversations: 0, turns: 0 };
  private readonly diagnosticCounts: Partial<Record<DiagnosticCode, number>> = {};
  private readonly timer: NodeJS.Timeout;
  /** Span drops not yet reported in a diagnostic, and when the last report went out. */
  private readonly drops = { unreported: 0, reportedAt: Number.NEGATIVE_INFINITY };
  private shuttingDown: Promise<void> | null = null;

  constructor(private readonly opts: VoxtraceOptions) {
    this.thresholds = resolveThresholds(opts.thresholds);
    this.now = opts.now ?? Date.now;
    // Validated before anything starts (it may throw); your redactor's failures become diagnostics.
    const content = new ContentPolicy(opts.content, (d) => this.report(d));
    // Before tracing starts: it validates the monitor and metrics options and may throw.
    const observability = createObservability({
      thresholds: this.thresholds,
      now: this.now,
      metrics: opts.metrics,
      monitor: opts.monitor,
      onIncident: (incident) => this.emitIncident(incident),
      onDiagnostic: (d) => this.report(d),
      exportStats: () => this.tracing.stats,
    });
    this.monitor = observability.monitor;
    this.registry = observability.registry;
    this.listeners.diagnostic.add(observability.diagnostic);
    this.tracing = createTracing({
      serviceName: opts.serviceName ?? process.env.OTEL_SERVICE_NAME ?? 'voice-agent',
      otlp: opts.otlp,
      tracerProvider: opts.tracerProvider,
      spanProcessors: opts.spanProcessors,
      batch: opts.batch,
      maxQueuedPerConversation: opts.maxQueuedSpansPerConversation,
      onDiagnostic: (d) => this.report(d),
      onDrop: (reason, count) => this.spanDropped(reason, count),
    });
    this.tracerProvider = this.tracing.provider;
    this.traceSink = new TraceSink({
      tracer: this.tracing.provider.getTracer('@voxtrace/core'),
      content,
      idGenerator: this.tracing.idGenerator,
      conventions: resolveConventions(opts),
      admit: (conversationId, spans) => this.tracing.admit(conversationId, spans),
    });
    this.sinks = [...observability.sinks, ...(opts.sinks ?? [])];
    const idle = opts.idleTimeoutMs ?? 600_000;
    this.timer = setInterval(() => this.tick(), Math.min(Math.max(idle / 10, 1000), 30_000));
    this.timer.unref();
  }

  startConversation(options?: StartConversationOptions): ConversationHandle {
    const { value: o, problems } = readOptions(options, startOptionsShape);
    if (problems.length > 0)
      this.report({
        code: 'invalid_argument',
        message: `startConversation: ${problems.join('; ')} (defaults used instead)`,
        detail: options,
      });
    const id = o.id ?? `conv-${uuid()}`;
    const existing = this.open.get(id);
    if (existing) return existing;
    if (this.open.size >= (this.opts.maxConversations ?? 10_000)) this.evictOne();
    const platform = o.platform ?? 'custom';
    const startedAt = o.startedAt ?? this.now();
    const attributes = o.attributes ?? {};
    const wantedTraceId = this.opts.deriveTraceId === false ? randomTraceId() : traceIdForConversation(id);
    const info = { id, platform, startedAt, traceId: wantedTraceId, attributes };
    const trace = this.traceSink.startConversation(info);
    const receivers: ConversationSink[] = [trace];
    // Only sinks that take live events get them (none of voxtrace's own do): no per-event loop otherwise.
    const live: ConversationSink[] = [];
    for (const sink of this.sinks) {
      try {
        const r = sink.startConversation({ ...info, traceId: trace.traceId });
        if (!r) continue;
        receivers.push(r);
        if (typeof r.event === 'function') live.push(r);
      } catch (err) {
        this.report({
          code: 'sink_error',
          message: `sink threw on start: ${describeError(err)}`,
          conversationId: id,
        });
      }
    }
    const conversation = new Live(this, receivers, live, {
      id,
      platform,
      startedAt,
      traceId: trace.traceId,
      attributes,
      now: this.now,
      bottleneckShare: this.thresholds.bottleneckShare,
      lateGraceMs: this.opts.lateGraceMs,
      turnContinuation: o.turnContinuation,
    });
    this.open.set(id, conversation);
    this.counters.conversations++;
    return conversation;
  }

  getConversation(id: string): ConversationHandle | undefined {
    return this.open.get(id);
  }

  on<K extends keyof VoxtraceEvents>(event: K, listener: (value: VoxtraceEvents[K]) => void): () => void {
    const set =
      typeof event === 'string' && Object.hasOwn(this.listeners, event)
        ? (this.listeners[event] as Set<(v: VoxtraceEvents[K]) => void>)
        : undefined;
    if (!set || typeof listener !== 'function') {
      this.report({
        code: 'invalid_argument',
        message: `on: ${set ? 'the listener must be a function' : `unknown event ${describeError(event)}`} (not subscribed)`,
      });
      return () => false;
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  addSink(sink: VoxtraceSink): () => void {
    let usable = false;
    try {
      usable = typeof sink?.startConversation === 'function';
    } catch {
      // An unreadable sink is not usable.
    }
    if (!usable) {
      this.report({
        code: 'invalid_argument',
        message: 'addSink: a sink needs a startConversation method (not added)',
      });
      return () => {};
    }
    this.sinks.push(sink);
    return () => {
      const i = this.sinks.indexOf(sink);
      if (i >= 0) this.sinks.splice(i, 1);
    };
  }

  stats(): VoxtraceStats {
    return {
      ...this.tracing.stats,
      openConversations: this.open.size,
      conversations: this.counters.conversations,
      turns: this.counters.turns,
      diagnostics: { ...this.diagnosticCounts },
    };
  }

  tick(): void {
    const now = this.now();
    const idle = this.opts.idleTimeoutMs ?? 600_000;
    for (const live of [...this.open.values()]) {
      if (now - live.lastActivity >= idle) live.finish({ outcome: 'abandoned' }, 'idle_timeout');
      else live.tick(now);
    }
  }

  forceFlush(): Promise<void> {
    return this.bounded('flush', async () => {
      await Promise.allSettled([this.tracing.forceFlush(), ...this.sinks.map((s) => s.forceFlush?.())]);
    });
  }

  shutdown(): Promise<void> {
    this.shuttingDown ??= (async () => {
      clearInterval(this.timer);
      for (const l of this.listeners.shutdown) this.call(l, undefined);
      for (const live of [...this.open.values()]) live.finish({ outcome: 'abandoned' }, 'shutdown');
      await this.bounded('shutdown', async () => {
        await Promise.allSettled(this.sinks.map((s) => s.shutdown?.()));
        await this.tracing.shutdown();
      });
      // Done or given up: what is left of the export must not keep the process alive.
      const before = this.tracing.stats;
      this.tracing.abandon();
      const after = this.tracing.stats;
      const abandoned = after.abandonedExports - before.abandonedExports;
      const dropped = after.droppedSpans.shutdown - before.droppedSpans.shutdown;
      if (abandoned > 0 || dropped > 0)
        this.report({
          code: 'export_abandoned',
          message: `shutdown abandoned ${abandoned} export request(s) and ${dropped} queued span(s) (counted as failed and dropped)`,
        });
    })();
    return this.shuttingDown;
  }

  diagnose(d: Diagnostic): void {
    let checked: Diagnostic;
    try {
      const { code, message, conversationId, detail } = d;
      checked = isDiagnosticCode(code)
        ? {
            code,
            message: typeof message === 'string' ? message : describeError(message),
            conversationId: typeof conversationId === 'string' ? conversationId : undefined,
            detail,
          }
        : { code: 'invalid_argument', message: `diagnose: unknown code ${describeError(code)}`, detail: d };
    } catch {
      checked = { code: 'invalid_argument', message: 'diagnose: unreadable diagnostic' };
    }
    this.report(checked);
  }

  /** Counts a diagnostic and hands it to the callbacks (voxtrace's own, already well formed). */
  report(d: Diagnostic): void {
    this.diagnosticCounts[d.code] = (this.diagnosticCounts[d.code] ?? 0) + 1;
    if (this.opts.onDiagnostic) this.call(this.opts.onDiagnostic, d);
    for (const l of this.listeners.diagnostic) this.call(l, d);
  }

  // -- internal, used by Live ----------------------------------------------------------------

  emitTurn(turn: TurnRecord): void {
    this.counters.turns++;
    for (const l of this.listeners.turn) this.call(l, turn);
  }

  emitIncident(incident: Incident): void {
    if (this.opts.onIncident) this.call(this.opts.onIncident, incident);
    for (const l of this.listeners.incident) this.call(l, incident);
  }

  ended(live: Live, record: ConversationRecord): void {
    this.open.delete(live.id);
    for (const l of this.listeners.conversation) this.call(l, record);
  }

  /** Reports dropped spans in a diagnostic at most every 10 s (the metrics count each one). */
  private spanDropped(reason: SpanDropReason, count: number): void {
    this.drops.unreported += count;
    const now = this.now();
    if (now - this.drops.reportedAt < 10_000) return;
    const why =
      reason === 'queue_full'
        ? 'the export queue is full: the collector is down or slow'
        : reason === 'conversation_budget'
          ? 'a conversation used its share of the export queue: its further turns are counted on its conversation span'
          : 'they ended after shutdown';
    this.report({
      code: 'spans_dropped',
      message: `${this.drops.unreported} span(s) dropped, ${why} (see voxtrace_spans_dropped_total)`,
    });
    this.drops.unreported = 0;
    this.drops.reportedAt = now;
  }

  /** Calls a user callback; an error is counted, never rethrown (and never re-reported, to avoid loops). */
  private call<T>(fn: (v: T) => void, value: T): void {
    try {
      fn(value);
    } catch {
      this.diagnosticCounts.callback_error = (this.diagnosticCounts.callback_error ?? 0) + 1;
    }
  }

  private evictOne(): void {
    let oldest: Live | undefined;
    for (const live of this.open.values())
      if (!oldest || live.lastActivity < oldest.lastActivity) oldest = live;
    if (!oldest) return;
    this.report({
      code: 'conversation_evicted',
      message: `open-conversation cap reached; ended the least recently active (${oldest.id})`,
      conversationId: oldest.id,
    });
    oldest.finish({ outcome: 'abandoned' }, 'evicted');
  }

  /**
   * Runs `fn`, giving up after `flushTimeoutMs`; never rejects. The timer is not unref'd: a process that
   * awaits a flush or the shutdown stays alive for it (the export's own timers are unref'd), at most
   * `flushTimeoutMs`.
   */
  private async bounded(what: string, fn: () => Promise<void>): Promise<void> {
    const ms = this.opts.flushTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ms);
    });
    try {
      const r = await Promise.race([fn().then(() => 'done' as const), timeout]);
      if (r === 'timeout')
        this.report({ code: 'flush_timeout', message: `${what} did not finish in ${ms} ms` });
    } catch (err) {
      this.report({ code: 'export_failed', message: `${what} failed: ${describeError(err)}`, detail: err });
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A live conversation: the pure {@link Conversation} plus delivery to sinks. */
class Live implements ConversationHandle {
  readonly id: string;
  readonly platform: string;
  readonly traceId: string;
  readonly startedAt: number;
  lastActivity: number;
  private readonly conv: Conversation;
  private readonly now: () => number;
  private result: ConversationRecord | null = null;

  constructor(
    private readonly hub: Hub,
    private readonly receivers: ConversationSink[],
    live: ConversationSink[],
    init: ConstructorParameters<typeof Conversation>[0] & { traceId: string },
  ) {
    this.id = init.id;
    this.platform = init.platform ?? 'custom';
    this.traceId = init.traceId;
    this.startedAt = init.startedAt!;
    this.now = init.now ?? Date.now;
    this.lastActivity = this.now();
    this.conv = new Conversation({
      ...init,
      onEvent:
        live.length === 0
          ? undefined
          : (event, at) => {
              for (const r of live) {
                try {
                  r.event!(event, at);
                } catch (err) {
                  this.sinkError(err);
                }
              }
            },
      onTurn: (turn) => this.deliver((r) => r.turn?.(turn), turn),
      onDiagnostic: (d) => hub.report(d),
    });
  }

  get ended(): boolean {
    return this.result !== null;
  }

  record(event: VoiceEvent): void {
    try {
      this.lastActivity = this.now();
      this.conv.record(event);
    } catch (err) {
      // Conversation does not throw by design; this guards the host agent against a bug of ours.
      this.hub.report({
        code: 'sink_error',
        message: `record failed: ${describeError(err)}`,
        conversationId: this.id,
      });
    }
  }

  setAttributes(attributes: EventAttributes): void {
    const { value, problems } = readAttributes(attributes);
    if (problems.length > 0) this.invalid('setAttributes', problems, attributes);
    else if (value.attributes) this.conv.setAttributes(value.attributes);
  }

  end(options?: EndOptions): ConversationRecord {
    if (this.result) return this.result;
    const { value, problems } = readOptions(options, endOptionsShape);
    if (problems.length > 0) this.invalid('end', problems, options);
    return this.finish(value, 'ended');
  }

  tick(now: number): void {
    this.conv.tick(now);
  }

  finish(options: EndOptions, reason: EndReason): ConversationRecord {
    if (this.result) return this.result;
    const record = this.conv.end(options, reason);
    this.result = record;
    for (const r of this.receivers) this.guard(() => r.end?.(record));
    this.hub.ended(this, record);
    return record;
  }

  private deliver(fn: (r: ConversationSink) => void, turn: TurnRecord): void {
    for (const r of this.receivers) this.guard(() => fn(r));
    this.hub.emitTurn(turn);
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.sinkError(err);
    }
  }

  private invalid(method: string, problems: string[], detail: unknown): void {
    this.hub.report({
      code: 'invalid_argument',
      message: `${method}: ${problems.join('; ')} (ignored)`,
      conversationId: this.id,
      detail,
    });
  }

  private sinkError(err: unknown): void {
    this.hub.report({
      code: 'sink_error',
      message: `sink threw: ${describeError(err)}`,
      conversationId: this.id,
    });
  }
}
