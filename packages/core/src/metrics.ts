/**
 * Prometheus metrics (prom-client) from the pipeline's records, in the user's registry or a new one.
 *
 * Seed 003's names come first, so its alert rules (`AgentHighErrorRate`, `AgentHighLatency`,
 * `STTFailureRate`, `NoActiveAgents`) run unchanged on them; voxtrace's own series carry the
 * `voxtrace_` prefix. Every label value goes through a cap of distinct values per metric and label
 * (default 100; beyond it `__other__`), so no platform, provider or tool name can grow the series
 * without bound. Conversation ids are never labels.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, type Registry, type RegistryContentType } from 'prom-client';
import type { Diagnostic, DiagnosticCode } from './diagnostics.js';
import { type ErrorLayer, layerSchema } from './events.js';
import type { ExportStats } from './export.js';
import { FastHistogram, type HistogramChild } from './histogram.js';
import { serveNode } from './http/node.js';
import {
  failedToConnect,
  hasSttError,
  hasTranscript,
  isConnectAttempt,
  isSttRequest,
  networkMs,
  turnFailed,
} from './monitor/facts.js';
import { type ConversationRecord, outcomeSchema, type ToolCall, type TurnRecord } from './records.js';
import type { ConversationInfo, ConversationSink, VoxtraceSink } from './sink.js';
import { RESPONSE_LATENCY_BUCKETS_SECONDS, SEED_METRIC_NAMES, type Severity } from './thresholds.js';

/** Any prom-client registry (Prometheus or OpenMetrics content type). */
export type AnyRegistry = Registry<RegistryContentType>;

/** Options of the metrics (`createVoxtrace({ metrics })`). */
export interface MetricsOptions {
  /** Registry to register in. Default: a new one (`vt.registry`). */
  registry?: AnyRegistry;
  /** Distinct values kept per label of each metric; further values become `__other__`. Default 100. */
  labelCap?: number;
}

/** What the metrics sink needs from the thresholds in force. */
export interface MetricsThresholds {
  /**
   * A turn slower than this marks its call in `voxtrace_latency_spike_calls_total`, ms: the P95
   * critical band, as the monitor's `latencySpikeCallShare` counts it.
   */
  latencySpikeMs: number;
}

/** Label value that stands for every value past a label's cap. */
export const OVERFLOW_LABEL_VALUE = '__other__';
/** Label value when a provider or platform is not known. */
export const UNKNOWN_LABEL_VALUE = 'unknown';
/** Longest label value kept; longer ones are cut. */
const MAX_LABEL_LENGTH = 128;

/** Names of voxtrace's own metrics (seed 003's are in `SEED_METRIC_NAMES`). */
export const VOXTRACE_METRIC_NAMES = {
  componentLatencySeconds: 'voxtrace_component_latency_seconds',
  conversationsTotal: 'voxtrace_conversations_total',
  activeConversations: 'voxtrace_active_conversations',
  interruptionsTotal: 'voxtrace_interruptions_total',
  componentErrorsTotal: 'voxtrace_component_errors_total',
  toolCallsTotal: 'voxtrace_tool_calls_total',
  severity: 'voxtrace_severity',
  eventsDroppedTotal: 'voxtrace_events_dropped_total',
  diagnosticsTotal: 'voxtrace_diagnostics_total',
  labelOverflowTotal: 'voxtrace_label_overflow_total',
  // The counters below exist so that a fleet's Prometheus rules compute every figure the monitor's
  // rules read (see `@voxtrace/cli`'s generated rules): each counts what `monitor/facts.ts` and the
  // monitor's window count.
  sttResultsTotal: 'voxtrace_stt_results_total',
  callConnectFailuresTotal: 'voxtrace_call_connect_failures_total',
  taskResultsTotal: 'voxtrace_task_results_total',
  latencySpikeCallsTotal: 'voxtrace_latency_spike_calls_total',
  componentCallsTotal: 'voxtrace_component_calls_total',
  turnErrorsTotal: 'voxtrace_turn_errors_total',
  spansExportedTotal: 'voxtrace_spans_exported_total',
  spansDroppedTotal: 'voxtrace_spans_dropped_total',
  spanExportFailuresTotal: 'voxtrace_span_export_failures_total',
  spanExportsAbandonedTotal: 'voxtrace_span_exports_abandoned_total',
  spanQueueSize: 'voxtrace_span_queue_size',
} as const;

/** Value of the `voxtrace_severity` gauge for each severity; 0 is none. Higher is worse. */
export const SEVERITY_GAUGE_VALUE: Readonly<Record<Severity, number>> = {
  'SEV-3': 1,
  'SEV-2': 2,
  'SEV-1': 3,
};

/** Diagnostic codes that mean an event was dropped. */
const DROPPING: ReadonlySet<DiagnosticCode> = new Set([
  'invalid_event',
  'duplicate_event',
  'late_event',
  'after_end',
]);

/** Thrown when a metric name is already taken in the registry given. */
export class MetricsError extends Error {
  override readonly name = 'MetricsError';
}

/** Keeps at most `cap` distinct values of one label; the rest become {@link OVERFLOW_LABEL_VALUE}. */
export class LabelCap {
  private readonly admitted = new Set<string>();

  constructor(
    readonly cap: number,
    private readonly onOverflow: () => void,
  ) {}

  /** The label value to use for `raw`. The same raw value always maps to the same label value. */
  value(raw: string | null | undefined): string {
    let v = raw ? raw : UNKNOWN_LABEL_VALUE;
    if (v.length > MAX_LABEL_LENGTH) v = v.slice(0, MAX_LABEL_LENGTH);
    if (this.admitted.has(v)) return v;
    if (this.admitted.size < this.cap) {
      this.admitted.add(v);
      return v;
    }
    this.onOverflow();
    return OVERFLOW_LABEL_VALUE;
  }
}

type Inc = { inc(n?: number): void };

/** Components of `voxtrace_component_latency_seconds`. */
type Component = 'stt' | 'turn_detection' | 'llm_ttft' | 'llm' | 'tool' | 'tts_ttfb' | 'network';

/** Per-call state: the platform label, bound at start so the active gauge goes down where it went up. */
class MetricsConversation implements ConversationSink {
  /** A turn of the call was slower than the spike threshold. */
  spiked = false;

  constructor(
    private readonly sink: MetricsSink,
    readonly platform: string,
  ) {}

  turn(t: TurnRecord): void {
    this.sink.observeTurn(this, t);
  }

  end(r: ConversationRecord): void {
    this.sink.observeConversation(this, r);
  }
}

/** The metrics sink behind `vt.registry`. */
export class MetricsSink implements VoxtraceSink {
  readonly registry: AnyRegistry;
  private readonly labelCap: number;
  /** Label caps, one per metric and label; the platform one is shared by the three per-platform metrics. */
  private readonly platformCap: LabelCap;
  private readonly providerCap: LabelCap;
  private readonly toolCap: LabelCap;
  private readonly codeCap: LabelCap;
  private readonly reasonCap: LabelCap;
  private readonly requestsSuccess: Inc;
  private readonly requestsError: Inc;
  private readonly response: FastHistogram;
  private readonly sttRequests: Counter;
  private readonly sttErrors: Counter;
  private readonly workers: Gauge;
  private readonly componentLatency: FastHistogram<'component' | 'provider'>;
  private readonly componentChildren = new Map<string, Map<string, HistogramChild>>();
  private readonly conversations: Counter<'platform' | 'outcome'>;
  private readonly active: Gauge<'platform'>;
  private readonly interruptions: Counter<'platform'>;
  private readonly componentErrors: Counter<'component'>;
  private readonly toolCalls: Counter<'tool' | 'status'>;
  private readonly dropped: Counter<'reason'>;
  private readonly diagnostics: Counter<'code'>;
  private readonly overflow: Counter<'metric' | 'label'>;
  private readonly sttTranscript: Inc;
  private readonly sttEmpty: Inc;
  private readonly connectFailures: Counter;
  private readonly taskCompleted: Inc;
  private readonly taskNotCompleted: Inc;
  private readonly spikeCalls: Counter;
  private readonly componentCalls: Record<'llm' | 'tool' | 'tts', Inc>;
  private readonly turnErrors: Record<ErrorLayer, Inc>;
  private readonly latencySpikeMs: number;
  /** Platforms whose outcome series were created at 0. */
  private readonly platformsSeen = new Set<string>();

  constructor(
    options: MetricsOptions & {
      registry: AnyRegistry;
      severity: () => Severity | null;
      thresholds: MetricsThresholds;
      /** Span export counters, read at each scrape (all zero when voxtrace does not own the export). */
      exportStats?: () => ExportStats;
    },
  ) {
    this.registry = options.registry;
    this.latencySpikeMs = options.thresholds.latencySpikeMs;
    this.labelCap = options.labelCap ?? 100;
    if (!Number.isInteger(this.labelCap) || this.labelCap < 1)
      throw new RangeError(`metrics.labelCap must be a positive integer, got ${options.labelCap}`);
    const taken = [...Object.values(SEED_METRIC_NAMES), ...Object.values(VOXTRACE_METRIC_NAMES)].filter(
      (n) => this.registry.getSingleMetric(n) !== undefined,
    );
    if (taken.length > 0)
      throw new MetricsError(
        `metrics already registered in this registry: ${taken.join(', ')} (another voxtrace instance, or your own code); pass a fresh registry or metrics: false`,
      );
    const N = VOXTRACE_METRIC_NAMES;
    const reg = <M extends Parameters<AnyRegistry['registerMetric']>[0]>(m: M): M => {
      this.registry.registerMetric(m);
      return m;
    };
    const requests = reg(
      new Counter({
        name: SEED_METRIC_NAMES.requestsTotal,
        help: 'Agent requests (finished turns) by status: error when any error was recorded in the turn',
        labelNames: ['status'] as const,
        registers: [],
      }),
    );
    this.requestsSuccess = requests.labels('success');
    this.requestsError = requests.labels('error');
    // Both series exist from the start, so the error ratio reads 0 rather than nothing.
    this.requestsSuccess.inc(0);
    this.requestsError.inc(0);
    this.response = new FastHistogram({
      name: SEED_METRIC_NAMES.responseSeconds,
      help: 'Time from user speech end to first agent audio',
      buckets: RESPONSE_LATENCY_BUCKETS_SECONDS,
    });
    reg(this.response.asMetric());
    this.sttRequests = reg(
      new Counter({
        name: SEED_METRIC_NAMES.sttRequestsTotal,
        help: 'Speech-to-text transcription requests (user turns)',
        registers: [],
      }),
    );
    this.sttErrors = reg(
      new Counter({
        name: SEED_METRIC_NAMES.sttErrorsTotal,
        help: 'Speech-to-text transcription requests that failed (user turns with an STT error)',
        registers: [],
      }),
    );
    this.workers = reg(
      new Gauge({
        name: SEED_METRIC_NAMES.workersActive,
        help: 'Active agent workers in this process: 1 while voxtrace runs and the worker takes calls, 0 after shutdown or when set to 0',
        registers: [],
      }),
    );
    this.workers.set(1);
    this.componentLatency = new FastHistogram({
      name: N.componentLatencySeconds,
      help: 'Latency of each pipeline component (stt, turn_detection, llm_ttft, llm, tool, tts_ttfb, network) by provider',
      labelNames: ['component', 'provider'] as const,
      buckets: RESPONSE_LATENCY_BUCKETS_SECONDS,
    });
    reg(this.componentLatency.asMetric());
    this.conversations = reg(
      new Counter({
        name: N.conversationsTotal,
        help: 'Finished conversations (calls) by platform and outcome',
        labelNames: ['platform', 'outcome'] as const,
        registers: [],
      }),
    );
    this.active = reg(
      new Gauge({
        name: N.activeConversations,
        help: 'Conversations (calls) in progress by platform',
        labelNames: ['platform'] as const,
        registers: [],
      }),
    );
    this.interruptions = reg(
      new Counter({
        name: N.interruptionsTotal,
        help: 'Turns in which the caller barged in while the agent spoke, by platform',
        labelNames: ['platform'] as const,
        registers: [],
      }),
    );
    this.componentErrors = reg(
      new Counter({
        name: N.componentErrorsTotal,
        help: 'Errors by pipeline layer (telephony, stt, llm, tool, tts, dialog)',
        labelNames: ['component'] as const,
        registers: [],
      }),
    );
    this.toolCalls = reg(
      new Counter({
        name: N.toolCallsTotal,
        help: 'Tool calls by tool name and status (success, error, cancelled, unfinished)',
        labelNames: ['tool', 'status'] as const,
        registers: [],
      }),
    );
    reg(
      new Gauge({
        name: N.severity,
        help: 'Current incident severity of this process: 0 none, 1 SEV-3, 2 SEV-2, 3 SEV-1',
        registers: [],
        collect() {
          const s = options.severity();
          this.set(s ? SEVERITY_GAUGE_VALUE[s] : 0);
        },
      }),
    );
    this.dropped = reg(
      new Counter({
        name: N.eventsDroppedTotal,
        help: 'Events dropped by reason (invalid_event, duplicate_event, late_event, after_end)',
        labelNames: ['reason'] as const,
        registers: [],
      }),
    );
    this.diagnostics = reg(
      new Counter({
        name: N.diagnosticsTotal,
        help: 'Diagnostics by code (invalid events, sink errors, export failures…)',
        labelNames: ['code'] as const,
        registers: [],
      }),
    );
    this.overflow = reg(
      new Counter({
        name: N.labelOverflowTotal,
        help: 'Label values replaced by __other__ because the label reached its cap, by metric and label',
        labelNames: ['metric', 'label'] as const,
        registers: [],
      }),
    );
    // Labelled counters start every known series at 0: `rate()` does not count the increment that
    // creates a series, so a first error would otherwise be missed by the fleet's rules.
    const sttResults = reg(
      new Counter({
        name: N.sttResultsTotal,
        help: 'User turns in which STT returned a result, by result: transcript (a non-empty final transcript) or empty',
        labelNames: ['result'] as const,
        registers: [],
      }),
    );
    this.sttTranscript = started(sttResults.labels('transcript'));
    this.sttEmpty = started(sttResults.labels('empty'));
    this.connectFailures = reg(
      new Counter({
        name: N.callConnectFailuresTotal,
        help: 'Calls that failed to connect: ended with no turn, with outcome error or a telephony error',
        registers: [],
      }),
    );
    const tasks = reg(
      new Counter({
        name: N.taskResultsTotal,
        help: 'Finished calls whose task result is known, by whether the task was completed',
        labelNames: ['completed'] as const,
        registers: [],
      }),
    );
    this.taskCompleted = started(tasks.labels('true'));
    this.taskNotCompleted = started(tasks.labels('false'));
    this.spikeCalls = reg(
      new Counter({
        name: N.latencySpikeCallsTotal,
        help: `Finished calls with a turn slower than the P95 critical band (${this.latencySpikeMs / 1000} s)`,
        registers: [],
      }),
    );
    const calls = reg(
      new Counter({
        name: N.componentCallsTotal,
        help: 'LLM, tool and TTS calls made in finished turns, by component',
        labelNames: ['component'] as const,
        registers: [],
      }),
    );
    this.componentCalls = {
      llm: started(calls.labels('llm')),
      tool: started(calls.labels('tool')),
      tts: started(calls.labels('tts')),
    };
    const turnErrors = reg(
      new Counter({
        name: N.turnErrorsTotal,
        help: 'Errors recorded in finished turns (failed components and error events), by layer; errors outside turns are not counted',
        labelNames: ['layer'] as const,
        registers: [],
      }),
    );
    this.turnErrors = Object.fromEntries(
      layerSchema.options.map((l) => [l, started(turnErrors.labels(l))]),
    ) as Record<ErrorLayer, Inc>;
    // Span export outcomes, read from the export queue at scrape time: nothing on the hot path.
    const exportStats = options.exportStats;
    reg(
      new Counter({
        name: N.spansExportedTotal,
        help: 'Spans the OTLP collector accepted',
        registers: [],
        collect() {
          this.reset();
          this.inc(exportStats?.().exportedSpans ?? 0);
        },
      }),
    );
    reg(
      new Counter({
        name: N.spansDroppedTotal,
        help: 'Spans lost before reaching the collector, by reason: queue_full (export queue full), export_failed (the export failed after retries), shutdown (ended after shutdown, or still queued when it gave up), conversation_budget (their conversation had used its share of the queue)',
        labelNames: ['reason'] as const,
        registers: [],
        collect() {
          const s = exportStats?.();
          this.reset();
          this.labels('queue_full').inc(s?.droppedSpans.queue_full ?? 0);
          this.labels('export_failed').inc(s?.failedSpans ?? 0);
          this.labels('shutdown').inc(s?.droppedSpans.shutdown ?? 0);
          this.labels('conversation_budget').inc(s?.droppedSpans.conversation_budget ?? 0);
        },
      }),
    );
    reg(
      new Counter({
        name: N.spanExportFailuresTotal,
        help: 'OTLP export requests (batches of spans) that failed after the exporter retries',
        registers: [],
        collect() {
          this.reset();
          this.inc(exportStats?.().failedBatches ?? 0);
        },
      }),
    );
    reg(
      new Counter({
        name: N.spanExportsAbandonedTotal,
        help: 'OTLP export requests abandoned at shutdown (in flight or waiting to be retried); their spans count as export_failed',
        registers: [],
        collect() {
          this.reset();
          this.inc(exportStats?.().abandonedExports ?? 0);
        },
      }),
    );
    reg(
      new Gauge({
        name: N.spanQueueSize,
        help: 'Spans waiting in the export queue',
        registers: [],
        collect() {
          this.set(exportStats?.().queuedSpans ?? 0);
        },
      }),
    );
    const cap = (metric: string, label: string) =>
      new LabelCap(this.labelCap, () => this.overflow.labels(metric, label).inc());
    this.platformCap = cap(N.conversationsTotal, 'platform');
    this.providerCap = cap(N.componentLatencySeconds, 'provider');
    this.toolCap = cap(N.toolCallsTotal, 'tool');
    this.codeCap = cap(N.diagnosticsTotal, 'code');
    this.reasonCap = cap(N.eventsDroppedTotal, 'reason');
  }

  startConversation(info: ConversationInfo): ConversationSink {
    // One cap for the platform label of the three per-platform metrics, so they agree.
    const platform = this.platformCap.value(info.platform);
    this.active.labels(platform).inc();
    if (!this.platformsSeen.has(platform)) {
      this.platformsSeen.add(platform);
      for (const outcome of outcomeSchema.options) this.conversations.labels(platform, outcome).inc(0);
    }
    return new MetricsConversation(this, platform);
  }

  async shutdown(): Promise<void> {
    this.setWorkersActive(0);
  }

  /** Sets `agent_workers_active`. */
  setWorkersActive(count: number): void {
    this.workers.set(count);
  }

  /** Counts a diagnostic (`vt.on('diagnostic')`). */
  diagnostic(d: Diagnostic): void {
    this.diagnostics.labels(this.codeCap.value(d.code)).inc();
    if (DROPPING.has(d.code)) this.dropped.labels(this.reasonCap.value(d.code)).inc();
  }

  /** One finished turn. */
  observeTurn(conv: MetricsConversation, t: TurnRecord): void {
    (turnFailed(t) ? this.requestsError : this.requestsSuccess).inc();
    if (t.e2eLatencyMs !== null && t.e2eLatencyMs >= 0) this.response.observe(t.e2eLatencyMs / 1000);
    if (isSttRequest(t)) {
      this.sttRequests.inc();
      if (hasSttError(t)) this.sttErrors.inc();
      if (t.stt !== null) (hasTranscript(t) ? this.sttTranscript : this.sttEmpty).inc();
    }
    if (t.llm.length) this.componentCalls.llm.inc(t.llm.length);
    if (t.tools.length) this.componentCalls.tool.inc(t.tools.length);
    if (t.tts.length) this.componentCalls.tts.inc(t.tts.length);
    if (t.e2eLatencyMs !== null && t.e2eLatencyMs > this.latencySpikeMs) conv.spiked = true;
    if (t.stt) this.latency('stt', t.stt.provider, t.stt.latencyMs);
    if (t.turnDetection) this.latency('turn_detection', null, t.turnDetection.delayMs);
    for (let i = 0; i < t.llm.length; i++) {
      const c = t.llm[i]!;
      this.latency('llm_ttft', c.provider, c.ttftMs);
      this.latency('llm', c.provider, c.durationMs);
    }
    for (let i = 0; i < t.tools.length; i++) {
      const c = t.tools[i]!;
      this.latency('tool', null, c.durationMs);
      this.toolCalls.labels(this.toolCap.value(c.name), toolStatus(c)).inc();
    }
    for (let i = 0; i < t.tts.length; i++) {
      const c = t.tts[i]!;
      this.latency('tts_ttfb', c.provider, c.ttfbMs);
    }
    this.latency('network', null, networkMs(t));
    if (t.interrupted) this.interruptions.labels(conv.platform).inc();
    for (let i = 0; i < t.errors.length; i++) {
      const layer = t.errors[i]!.layer;
      this.error(layer);
      this.turnErrors[layer].inc();
    }
  }

  /** One finished call. */
  observeConversation(conv: MetricsConversation, r: ConversationRecord): void {
    this.conversations.labels(conv.platform, r.outcome).inc();
    this.active.labels(conv.platform).dec();
    for (const e of r.errors) this.error(e.layer);
    if (isConnectAttempt(r) && failedToConnect(r)) this.connectFailures.inc();
    if (r.taskCompleted !== null) (r.taskCompleted ? this.taskCompleted : this.taskNotCompleted).inc();
    if (conv.spiked) this.spikeCalls.inc();
  }

  private error(layer: ErrorLayer): void {
    this.componentErrors.labels(layer).inc();
  }

  private latency(component: Component, provider: string | null, ms: number | null): void {
    if (ms === null || !(ms >= 0)) return;
    const p = this.providerCap.value(provider);
    let byProvider = this.componentChildren.get(component);
    if (!byProvider) {
      byProvider = new Map();
      this.componentChildren.set(component, byProvider);
    }
    let child = byProvider.get(p);
    if (!child) {
      child = this.componentLatency.labels(component, p);
      byProvider.set(p, child);
    }
    child.observe(ms / 1000);
  }
}

/** A counter child whose series exists from the start (at 0). */
function started(child: Inc): Inc {
  child.inc(0);
  return child;
}

function toolStatus(c: ToolCall): 'success' | 'error' | 'cancelled' | 'unfinished' {
  if (c.error !== null) return 'error';
  if (c.cancelled) return 'cancelled';
  if (c.unfinished) return 'unfinished';
  return 'success';
}

// ---------------------------------------------------------------------------------------------
// /metrics handlers
// ---------------------------------------------------------------------------------------------

/** Where the handlers read metrics from: a voxtrace instance (`vt`) or a registry. */
export type MetricsSource = { readonly registry: AnyRegistry | null } | AnyRegistry;

function registryOf(source: MetricsSource): AnyRegistry {
  const r = isRegistry(source) ? source : source.registry;
  if (!r)
    throw new MetricsError(
      'metrics are off (createVoxtrace({ metrics: false })): there is no registry to serve',
    );
  return r;
}

function isRegistry(x: MetricsSource): x is AnyRegistry {
  return (
    typeof (x as AnyRegistry).metrics === 'function' &&
    typeof (x as AnyRegistry).registerMetric === 'function'
  );
}

/** Status, headers and body of a metrics response for `method`. Never rejects. */
async function serve(
  registry: AnyRegistry,
  method: string,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const text = { 'content-type': 'text/plain; charset=utf-8' };
  if (method !== 'GET' && method !== 'HEAD')
    return { status: 405, headers: { ...text, allow: 'GET, HEAD' }, body: 'method not allowed\n' };
  try {
    const body = await registry.metrics();
    return {
      status: 200,
      headers: { 'content-type': registry.contentType },
      body: method === 'HEAD' ? '' : body,
    };
  } catch (err) {
    return { status: 500, headers: text, body: `metrics collection failed: ${String(err)}\n` };
  }
}

/**
 * A web-standard `(Request) => Promise<Response>` handler serving the registry in the Prometheus text
 * format (for Hono, Next.js route handlers, Bun, Deno). GET and HEAD only; it never rejects.
 */
export function createFetchMetricsHandler(source: MetricsSource): (request: Request) => Promise<Response> {
  const registry = registryOf(source);
  return async (request) => {
    const r = await serve(registry, request.method);
    return new Response(request.method === 'HEAD' ? null : r.body, { status: r.status, headers: r.headers });
  };
}

/** Options of {@link createMetricsHandler}. */
export interface MetricsHandlerOptions {
  /** Path served; other paths get 404 (or `next()` under Express). `null` serves every path. Default `/metrics`. */
  path?: string | null;
}

/**
 * A Node `http` request listener (and Express middleware) serving `/metrics`:
 * `http.createServer(createMetricsHandler(vt)).listen(9464)`, or `app.get('/metrics', createMetricsHandler(vt))`.
 * It is {@link createFetchMetricsHandler} behind the shared Node bridge (`@voxtrace/core/http`).
 * Throws a `MetricsError` at creation when the instance has metrics off.
 */
export function createMetricsHandler(
  source: MetricsSource,
  options: MetricsHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse, next?: () => void) => void {
  const handler = createFetchMetricsHandler(source);
  const path = options.path === undefined ? '/metrics' : options.path;
  return (req, res, next) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    if (path !== null && (q < 0 ? url : url.slice(0, q)) !== path) {
      if (next) return next();
      void serveNode(notFound, req, res);
      return;
    }
    void serveNode(handler, req, res);
  };
}

const notFound = async (): Promise<Response> =>
  new Response('not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8' } });
