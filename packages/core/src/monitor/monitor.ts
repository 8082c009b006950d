/**
 * The monitor: a sink that feeds every finished turn and call into a sliding window of sketches and
 * counters, evaluates the rules on an unref'd timer and on demand, groups firing rules into
 * incidents and reports them. Observing a turn is synchronous and cheap (counter increments and
 * sketch inserts); merging the window happens only at evaluation and snapshot time.
 */
import { z } from 'zod';
import type { Diagnostic } from '../diagnostics.js';
import type { ErrorLayer } from '../events.js';
import type { ConversationRecord, TurnRecord } from '../records.js';
import type { ConversationInfo, ConversationSink, VoxtraceSink } from '../sink.js';
import {
  ALERTMANAGER_ROUTING,
  type Comparator,
  type Layer,
  resolveThresholds,
  type Severity,
  type ThresholdOverrides,
  type Thresholds,
} from '../thresholds.js';
import { type BaselineData, LatencyBaseline } from './baseline.js';
import {
  failedToConnect,
  hasSttError,
  hasTranscript,
  isConnectAttempt,
  isSttRequest,
  networkMs,
  turnFailed,
} from './facts.js';
import {
  type Incident,
  IncidentTracker,
  leadOf,
  type OpenIncident,
  type Trigger,
  triggerOf,
} from './incidents.js';
import {
  ERROR_LAYERS,
  errorLayerOf,
  latencyLayerOf,
  latencyShares,
  MEASURES,
  type MeasureContext,
  type MonitorMetric,
  type Reading,
} from './measures.js';
import {
  DEFAULT_MIN_SAMPLES,
  defaultRules,
  type MonitorRule,
  type RuleState,
  RuleTracker,
  validateRules,
} from './rules.js';
import { C, S, SlidingWindow, type WindowView } from './window.js';

/** Options of the monitor (`createVoxtrace({ monitor })`). */
export interface MonitorOptions {
  /** Length of the sliding window, ms. Default 300 000 (5 minutes, the seed rules' `[5m]`). */
  windowMs?: number;
  /** Length of a window bucket, ms. Default 10 000. */
  bucketMs?: number;
  /** How often the rules are evaluated, ms; 0 turns the timer off (call `evaluate()`). Default `bucketMs`. */
  evaluationIntervalMs?: number;
  /**
   * How long no rule may be pending or firing before an incident resolves, ms. Default 300 000
   * (seed 003's Alertmanager `resolve_timeout: 5m`).
   */
  coolDownMs?: number;
  /** `for` by severity of the default rules (seed 003's rules keep their own). */
  forMs?: Partial<Record<Severity, number>>;
  /** The rules: a list replacing the defaults, or a function of the defaults (filter, change, add). */
  rules?: readonly MonitorRule[] | ((defaults: MonitorRule[]) => readonly MonitorRule[]);
  /** A baseline exported by `exportBaseline()`, loaded at start. */
  baseline?: BaselineData;
  /** Resolved incidents kept for `incidents()`. Default 20. */
  incidentHistory?: number;
}

/** A latency distribution over the window, ms (`null` without data). */
export interface LatencySummary {
  count: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

/** Components with their own latency figure. */
export type MonitorComponent =
  'stt' | 'turnDetection' | 'llmTtft' | 'llmTotal' | 'tool' | 'ttsTtfb' | 'network';

/** Rates of the snapshot (fractions, `null` without data). */
export const RATE_METRICS = [
  'callSuccessRate',
  'callConnectRate',
  'taskCompletionRate',
  'escalationRate',
  'abandonmentRate',
  'latencySpikeCallShare',
  'turnErrorRate',
  'sttFailureRate',
  'sttTranscriptRate',
  'llmErrorRate',
  'toolErrorRate',
  'ttsErrorRate',
  'interruptionRate',
  'wordErrorRate',
  'intentAccuracy',
  'intentMisclassificationRate',
  'interruptionFalsePositiveRate',
] as const satisfies readonly MonitorMetric[];
/** A rate of the snapshot. */
export type RateMetric = (typeof RATE_METRICS)[number];

/** A rule and its state, as of the last evaluation. */
export interface RuleSnapshot {
  name: string;
  metric: MonitorMetric;
  severity: Severity;
  state: RuleState;
  value: number | null;
  samples: number;
  minSamples: number;
  comparator: Comparator;
  threshold: number;
  forMs: number;
  /** The layer the rule implicates (its own, or the one found for `auto`). */
  layer: Layer | null;
  /** Pending since. */
  activeAt: number | null;
  firedAt: number | null;
  resolvedAt: number | null;
}

/** What `vt.monitor.snapshot()` returns. */
export interface MonitorSnapshot {
  /** `false` with `createVoxtrace({ monitor: false })`: nothing is observed. */
  enabled: boolean;
  /** Clock time of the snapshot. */
  at: number;
  /** Time of the last evaluation the rule states come from (`null` before the first). */
  evaluatedAt: number | null;
  window: { lengthMs: number; bucketMs: number; from: number; to: number };
  counts: {
    turns: number;
    /** Turns with a known latency. */
    turnsWithLatency: number;
    conversations: number;
    sttRequests: number;
    llmCalls: number;
    toolCalls: number;
    ttsCalls: number;
    interruptedTurns: number;
    errors: Record<ErrorLayer, number>;
  };
  /** Turn latency (end of user speech → first agent audio). */
  latency: LatencySummary;
  components: Record<MonitorComponent, LatencySummary>;
  /** Each layer's share of the turn latency at P90. */
  latencyShares: Partial<Record<Layer, number>>;
  /** The layer whose share reaches `bottleneckShare` at P90, if one does. */
  bottleneck: Layer | null;
  rates: Record<RateMetric, number | null>;
  /** Same hour of the week in an earlier week. */
  baseline: { p90Ms: number | null; samples: number; deviation: number | null };
  workersActive: number;
  /** Worst severity among firing rules. */
  severity: Severity | null;
  /** Firing rules behind it, most severe first. */
  triggers: Trigger[];
  /** Layer implicated by the most severe, earliest firing rule that names one. */
  layer: Layer | null;
  rules: RuleSnapshot[];
  /** The open incident, if any. */
  incident: Incident | null;
}

/** Zod schema of a {@link QualityObservation}. */
export const qualityObservationSchema = z
  .object({
    /** Word error rate of one checked transcript (0 = perfect; can exceed 1 with insertions). */
    wordErrorRate: z.number().finite().nonnegative().optional(),
    /** Reference words of that transcript: weights its WER (default 1). */
    words: z.number().finite().positive().optional(),
    /** Intent classifications checked against labels, and how many were right. */
    intents: z
      .object({ checked: z.number().int().nonnegative(), correct: z.number().int().nonnegative() })
      .refine((x) => x.correct <= x.checked, { message: 'correct must not exceed checked' })
      .optional(),
    /** Barge-ins checked, and how many were false positives (noise, not the caller). */
    interruptions: z
      .object({ checked: z.number().int().nonnegative(), falsePositives: z.number().int().nonnegative() })
      .refine((x) => x.falsePositives <= x.checked, { message: 'falsePositives must not exceed checked' })
      .optional(),
  })
  .refine((o) => o.wordErrorRate !== undefined || o.intents !== undefined || o.interruptions !== undefined, {
    message: 'give wordErrorRate, intents or interruptions',
  })
  .refine((o) => o.words === undefined || o.wordErrorRate !== undefined, {
    message: 'words weights wordErrorRate, which is missing',
  });
/** Ground truth from a reviewer or an evaluation job (see `vt.monitor.recordQuality`). */
export type QualityObservation = z.infer<typeof qualityObservationSchema>;

/** `vt.monitor`: the window, the rules, the incidents. */
export interface Monitor {
  /** `false` when created with `monitor: false`. */
  readonly enabled: boolean;
  /** The rules in force. */
  readonly rules: readonly MonitorRule[];
  /** Window figures at the clock's now, with rule states as of the last evaluation. */
  snapshot(): MonitorSnapshot;
  /** Evaluates every rule now (as the timer does), updates incidents, returns the snapshot. */
  evaluate(): MonitorSnapshot;
  /**
   * Feeds ground truth the pipeline cannot see (WER, intent accuracy, interruption false positives).
   * It counts in the window at the clock's now. Returns `false` and reports an `invalid_event`
   * diagnostic for a malformed observation; never throws.
   */
  recordQuality(observation: QualityObservation): boolean;
  /** Sets `agent_workers_active` (default 1 while the instance lives, 0 after shutdown). */
  setWorkersActive(count: number): void;
  /** The open incident, if any. */
  incident(): Incident | null;
  /** Open and recently resolved incidents, newest first. */
  incidents(): Incident[];
  /** The hour-of-week latency baseline as JSON-safe data, to save across restarts. */
  exportBaseline(): BaselineData;
  /** Merges a baseline saved by {@link exportBaseline}; throws `BaselineError` when it is not one. */
  importBaseline(data: unknown): void;
}

/** Internal construction options. */
export interface MonitorEngineOptions extends MonitorOptions {
  thresholds: Thresholds;
  now: () => number;
  enabled?: boolean;
  onIncident?: (incident: Incident) => void;
  onDiagnostic?: (d: Diagnostic) => void;
  onWorkersActive?: (count: number) => void;
}

/** Per-call state of the monitor (the receiver of one conversation). */
class MonitorConversation implements ConversationSink {
  /** A turn crossed the spike threshold. */
  spiked = false;
  /** Last incident this call was counted in. */
  incidentSeq = 0;
  /** When its last turn finished (monitor clock). */
  lastTurnAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly engine: MonitorEngine) {}

  turn(t: TurnRecord): void {
    this.engine.observeTurn(this, t);
  }

  end(r: ConversationRecord): void {
    this.engine.observeConversation(this, r);
  }
}

/** Calls remembered for the figures of an incident that opens; beyond it, the figure undercounts. */
const MAX_RECENT_CALLS = 100_000;

const ERROR_COUNTER: Record<ErrorLayer, number> = {
  telephony: C['errors.telephony'],
  stt: C['errors.stt'],
  llm: C['errors.llm'],
  tool: C['errors.tool'],
  tts: C['errors.tts'],
  dialog: C['errors.dialog'],
};

/** The monitor behind `vt.monitor` (and {@link createMonitor}). */
export class MonitorEngine implements Monitor, VoxtraceSink {
  readonly enabled: boolean;
  readonly rules: readonly MonitorRule[];
  private readonly now: () => number;
  private readonly thresholds: Thresholds;
  private readonly window: SlidingWindow;
  private readonly trackers: RuleTracker[];
  private readonly baseline = new LatencyBaseline();
  private readonly tracker: IncidentTracker;
  /** Turns above this latency mark their call as spiked (the P95 critical band, 7 s by default). */
  private readonly spikeMs: number;
  private workers = 1;
  private sttSeen = false;
  /** Calls with a turn in the window while no incident is open: the calls an opening incident affected. */
  private readonly recentCalls = new Set<MonitorConversation>();
  private evaluatedAt: number | null = null;
  private severity_: Severity | null = null;
  private readonly every: number;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: MonitorEngineOptions) {
    this.enabled = opts.enabled ?? true;
    this.now = opts.now;
    this.thresholds = opts.thresholds;
    const bucketMs = positive(opts.bucketMs ?? 10_000, 'bucketMs');
    this.window = new SlidingWindow({ windowMs: positive(opts.windowMs ?? 300_000, 'windowMs'), bucketMs });
    const defaults = defaultRules(opts.thresholds, { forMs: opts.forMs });
    const chosen = typeof opts.rules === 'function' ? opts.rules(defaults) : (opts.rules ?? defaults);
    this.rules = Object.freeze(validateRules(chosen));
    this.trackers = this.rules.map((r) => new RuleTracker(r));
    this.spikeMs = opts.thresholds.e2eLatency.p95.criticalMs;
    if (opts.baseline) this.baseline.load(opts.baseline);
    this.tracker = new IncidentTracker({
      coolDownMs: opts.coolDownMs ?? ALERTMANAGER_ROUTING.resolveTimeoutSeconds * 1000,
      historySize: opts.incidentHistory ?? 20,
      baselineAt: (t) => {
        const b = this.baseline.at(t);
        return b.value !== null && b.samples >= minBaselineSamples(this.rules)
          ? { p90Ms: b.value, source: 'baseline' }
          : { p90Ms: this.thresholds.e2eLatency.p90.targetMs, source: 'target' };
      },
      emit: (incident) => {
        try {
          opts.onIncident?.(incident);
        } catch {
          // A listener must not break evaluation; the hub counts its own callback errors.
        }
      },
    });
    this.every = opts.evaluationIntervalMs ?? bucketMs;
    if (!Number.isFinite(this.every) || this.every < 0)
      throw new RangeError(
        `monitor.evaluationIntervalMs must be 0 or a positive number of ms, got ${this.every}`,
      );
  }

  /** Starts the evaluation timer (unref'd: it never keeps the process alive). Idempotent. */
  start(): this {
    if (this.enabled && this.every > 0 && !this.timer) {
      this.timer = setInterval(() => this.evaluateSafely(), this.every);
      this.timer.unref();
    }
    return this;
  }

  // -- sink ------------------------------------------------------------------------------------

  startConversation(_info: ConversationInfo): ConversationSink | undefined {
    return this.enabled ? new MonitorConversation(this) : undefined;
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.setWorkersActive(0);
  }

  /** Hot path: one finished turn. */
  observeTurn(conv: MonitorConversation, t: TurnRecord): void {
    const now = this.now();
    const b = this.window.bucket(now);
    const c = b.counters;
    c[C.turns]!++;
    if (turnFailed(t)) c[C.turnErrors]!++;
    if (t.interrupted) c[C.interruptedTurns]!++;
    if (isSttRequest(t)) {
      c[C.sttRequests]!++;
      const failed = hasSttError(t);
      if (failed) c[C.sttErrors]!++;
      if (hasTranscript(t)) c[C.sttTranscripts]!++;
      if (failed || t.stt !== null) this.sttSeen = true;
    }
    for (let i = 0; i < t.errors.length; i++) {
      const layer = t.errors[i]!.layer;
      c[ERROR_COUNTER[layer]]!++;
      if (layer === 'llm') c[C.llmErrors]!++;
      else if (layer === 'tool') c[C.toolErrors]!++;
      else if (layer === 'tts') c[C.ttsErrors]!++;
    }
    b.add(S.stt, t.stt?.latencyMs);
    b.add(S.turnDetection, t.turnDetection?.delayMs);
    c[C.llmCalls]! += t.llm.length;
    for (let i = 0; i < t.llm.length; i++) {
      const call = t.llm[i]!;
      b.add(S.llmTtft, call.ttftMs);
      b.add(S.llmTotal, call.durationMs);
    }
    c[C.toolCalls]! += t.tools.length;
    for (let i = 0; i < t.tools.length; i++) b.add(S.tool, t.tools[i]!.durationMs);
    c[C.ttsCalls]! += t.tts.length;
    for (let i = 0; i < t.tts.length; i++) b.add(S.ttsTtfb, t.tts[i]!.ttfbMs);

    const e2e = t.e2eLatencyMs;
    const inc = this.tracker.current;
    if (e2e !== null) {
      b.add(S.e2e, e2e);
      const parts = t.breakdown;
      if (parts) {
        b.add(S['part.stt'], parts.stt);
        b.add(S['part.turn_detection'], parts.turn_detection);
        b.add(S['part.llm'], parts.llm);
        b.add(S['part.tool'], parts.tool);
        b.add(S['part.tts'], parts.tts);
        b.add(S.network, networkMs(t));
      }
      if (e2e > this.spikeMs) conv.spiked = true;
      // Turns during an incident would teach the baseline the incident.
      if (!inc) this.baseline.record(now, e2e);
    }
    conv.lastTurnAt = now;
    if (inc) {
      inc.observeTurn(e2e);
      if (conv.incidentSeq !== inc.seq) {
        conv.incidentSeq = inc.seq;
        inc.callsAffected++;
      }
    } else if (this.recentCalls.size < MAX_RECENT_CALLS) this.recentCalls.add(conv);
  }

  /** The figures of an incident that opens start from the window that opened it. */
  private seedIncident(inc: OpenIncident, view: WindowView): void {
    for (const c of this.recentCalls) c.incidentSeq = inc.seq;
    inc.seed(view, this.recentCalls.size);
    this.recentCalls.clear();
  }

  /** One finished call. */
  observeConversation(conv: MonitorConversation, r: ConversationRecord): void {
    const c = this.window.bucket(this.now()).counters;
    c[C.conversations]!++;
    if (r.outcome === 'error') c[C.failedCalls]!++;
    else if (r.outcome === 'transferred') c[C.transferred]!++;
    else if (r.outcome === 'abandoned') c[C.abandoned]!++;
    if (r.taskCompleted !== null) {
      c[C.taskKnown]!++;
      if (r.taskCompleted) c[C.taskCompleted]!++;
    }
    if (conv.spiked) c[C.spikeCalls]!++;
    if (isConnectAttempt(r)) {
      c[C.connectAttempts]!++;
      if (failedToConnect(r)) c[C.connectFailures]!++;
    }
    for (const e of r.errors) c[ERROR_COUNTER[e.layer]]!++;
    const inc = this.tracker.current;
    if (inc) {
      if (r.outcome === 'error' || r.outcome === 'abandoned') inc.failedCalls++;
      if (conv.incidentSeq !== inc.seq) {
        conv.incidentSeq = inc.seq;
        inc.callsAffected++;
      }
    }
  }

  // -- public API ------------------------------------------------------------------------------

  /** Worst severity among firing rules at the last evaluation (the `voxtrace_severity` gauge). */
  get severity(): Severity | null {
    return this.severity_;
  }

  recordQuality(observation: QualityObservation): boolean {
    const parsed = qualityObservationSchema.safeParse(observation);
    if (!parsed.success) {
      this.opts.onDiagnostic?.({
        code: 'invalid_event',
        message: `invalid quality observation: ${parsed.error.issues.map((i) => `${i.path.map(String).join('.') || 'observation'}: ${i.message}`).join('; ')}`,
        detail: observation,
      });
      return false;
    }
    if (!this.enabled) return false;
    const o = parsed.data;
    const c = this.window.bucket(this.now()).counters;
    if (o.wordErrorRate !== undefined) {
      const words = o.words ?? 1;
      c[C.werTranscripts]!++;
      c[C.werWords]! += words;
      c[C.werWeighted]! += o.wordErrorRate * words;
    }
    if (o.intents) {
      c[C.intentsChecked]! += o.intents.checked;
      c[C.intentsCorrect]! += o.intents.correct;
    }
    if (o.interruptions) {
      c[C.bargeInsChecked]! += o.interruptions.checked;
      c[C.bargeInsFalse]! += o.interruptions.falsePositives;
    }
    return true;
  }

  setWorkersActive(count: number): void {
    if (!Number.isFinite(count) || count < 0) {
      this.opts.onDiagnostic?.({
        code: 'invalid_event',
        message: `invalid worker count ${count}`,
        detail: count,
      });
      return;
    }
    this.workers = count;
    this.opts.onWorkersActive?.(count);
  }

  incident(): Incident | null {
    return this.tracker.current?.toIncident(this.now()) ?? null;
  }

  incidents(): Incident[] {
    return this.tracker.history(this.now());
  }

  exportBaseline(): BaselineData {
    return this.baseline.toJSON();
  }

  importBaseline(data: unknown): void {
    this.baseline.load(data);
  }

  evaluate(): MonitorSnapshot {
    const now = this.now();
    const view = this.window.view(now);
    const ctx = this.context(view, now);
    if (this.enabled) {
      const readings = new Map<MonitorMetric, Reading>();
      const read = (m: MonitorMetric): Reading => {
        let r = readings.get(m);
        if (!r) {
          r = MEASURES[m].read(ctx);
          readings.set(m, r);
        }
        return r;
      };
      const previous = new Map<RuleTracker, RuleState>();
      for (const t of this.trackers) {
        previous.set(t, t.state);
        const r = read(t.rule.metric);
        t.step(r, now, t.holds(r) ? this.layerOf(t.rule, view) : t.layer);
      }
      this.evaluatedAt = now;
      for (const c of this.recentCalls) if (c.lastTurnAt < view.from) this.recentCalls.delete(c);
      this.tracker.evaluate(now, this.trackers, previous, view.quantile('e2e', 0.9), (inc) =>
        this.seedIncident(inc, view),
      );
      this.severity_ = leadOf(this.firing()).severity;
    }
    return this.build(now, view, ctx);
  }

  snapshot(): MonitorSnapshot {
    const now = this.now();
    const view = this.window.view(now);
    return this.build(now, view, this.context(view, now));
  }

  // -- internals -------------------------------------------------------------------------------

  private evaluateSafely(): void {
    try {
      this.evaluate();
    } catch (err) {
      this.opts.onDiagnostic?.({
        code: 'sink_error',
        message: `monitor evaluation failed: ${String(err)}`,
        detail: err,
      });
    }
  }

  private context(view: WindowView, now: number): MeasureContext {
    return { view, baseline: this.baseline.at(now, 0.9), workersActive: this.workers, sttSeen: this.sttSeen };
  }

  private firing(): RuleTracker[] {
    return this.trackers.filter((t) => t.state === 'firing');
  }

  /** The layer a rule implicates now: its own, or found from the window for `auto`. */
  private layerOf(rule: MonitorRule, view: WindowView): Layer | null {
    if (rule.layer !== 'auto') return rule.layer;
    const a = MEASURES[rule.metric].attribution;
    if (a.kind === 'fixed') return a.layer;
    if (a.kind === 'errors') return errorLayerOf(view);
    return latencyLayerOf(view, a.q, this.thresholds.bottleneckShare);
  }

  private build(now: number, view: WindowView, ctx: MeasureContext): MonitorSnapshot {
    const summary = (series: Parameters<WindowView['quantile']>[0]): LatencySummary => ({
      count: view.samples(series),
      p50: view.quantile(series, 0.5),
      p90: view.quantile(series, 0.9),
      p95: view.quantile(series, 0.95),
      p99: view.quantile(series, 0.99),
    });
    const firing = this.firing();
    const lead = leadOf(firing);
    const triggers = firing
      .map(triggerOf)
      .sort((a, b) => a.severity.localeCompare(b.severity) || (a.firingSince ?? 0) - (b.firingSince ?? 0));
    const errors = Object.fromEntries(ERROR_LAYERS.map((l) => [l, view.count(`errors.${l}`)])) as Record<
      ErrorLayer,
      number
    >;
    const deviation = MEASURES.e2eLatencyP90BaselineDeviation.read(ctx).value;
    return {
      enabled: this.enabled,
      at: now,
      evaluatedAt: this.evaluatedAt,
      window: {
        lengthMs: this.window.windowMs,
        bucketMs: this.window.bucketMs,
        from: view.from,
        to: view.to,
      },
      counts: {
        turns: view.count('turns'),
        turnsWithLatency: view.samples('e2e'),
        conversations: view.count('conversations'),
        sttRequests: view.count('sttRequests'),
        llmCalls: view.count('llmCalls'),
        toolCalls: view.count('toolCalls'),
        ttsCalls: view.count('ttsCalls'),
        interruptedTurns: view.count('interruptedTurns'),
        errors,
      },
      latency: summary('e2e'),
      components: {
        stt: summary('stt'),
        turnDetection: summary('turnDetection'),
        llmTtft: summary('llmTtft'),
        llmTotal: summary('llmTotal'),
        tool: summary('tool'),
        ttsTtfb: summary('ttsTtfb'),
        network: summary('network'),
      },
      latencyShares: latencyShares(view, 0.9),
      bottleneck: latencyLayerOf(view, 0.9, this.thresholds.bottleneckShare),
      rates: Object.fromEntries(RATE_METRICS.map((m) => [m, MEASURES[m].read(ctx).value])) as Record<
        RateMetric,
        number | null
      >,
      baseline: { p90Ms: ctx.baseline.value, samples: ctx.baseline.samples, deviation },
      workersActive: this.workers,
      severity: lead.severity,
      triggers,
      layer: lead.layer,
      rules: this.trackers.map((t) => ({
        name: t.rule.name,
        metric: t.rule.metric,
        severity: t.rule.severity,
        state: t.state,
        value: t.value,
        samples: t.samples,
        minSamples: t.rule.minSamples,
        comparator: t.rule.comparator,
        threshold: t.rule.threshold,
        forMs: t.rule.forMs,
        layer: t.rule.layer === 'auto' ? t.layer : t.rule.layer,
        activeAt: t.activeAt,
        firedAt: t.firedAt,
        resolvedAt: t.resolvedAt,
      })),
      incident: this.tracker.current?.toIncident(now) ?? null,
    };
  }
}

/** The baseline rule's minimum, also the baseline's own minimum for incident figures. */
function minBaselineSamples(rules: readonly MonitorRule[]): number {
  return (
    rules.find((r) => r.metric === 'e2eLatencyP90BaselineDeviation')?.minSamples ??
    DEFAULT_MIN_SAMPLES.baseline
  );
}

function positive(v: number, name: string): number {
  if (!Number.isFinite(v) || v <= 0)
    throw new RangeError(`monitor.${name} must be a positive number of ms, got ${v}`);
  return v;
}

/** Options of {@link createMonitor}. */
export interface CreateMonitorOptions extends MonitorOptions {
  /** Overrides merged over the seed thresholds (as `createVoxtrace({ thresholds })`). */
  thresholds?: ThresholdOverrides;
  /** Clock, epoch ms. Default `Date.now`. */
  now?: () => number;
  onIncident?: (incident: Incident) => void;
  onDiagnostic?: (diagnostic: Diagnostic) => void;
}

/**
 * A standalone monitor, for use as a sink of your own pipeline or in benchmarks;
 * `createVoxtrace` builds one for you as `vt.monitor`.
 */
export function createMonitor(options: CreateMonitorOptions = {}): Monitor & VoxtraceSink {
  const { thresholds, now, ...rest } = options;
  return new MonitorEngine({
    ...rest,
    thresholds: resolveThresholds(thresholds),
    now: now ?? Date.now,
  }).start();
}
