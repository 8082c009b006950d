/**
 * Every figure the in-process monitor measures (`MonitorMetric`), as PromQL over the metrics voxtrace
 * exports, aggregated over a fleet: `sum` over every process and label before any division, so N
 * workers give the figure of their combined traffic, and histogram quantiles over `sum by (le)` of
 * the bucket rates. Each figure counts what the monitor's window counts (core's `monitor/facts.ts` and
 * `metrics.ts` use the same functions), with the same rules for no data: a rate over no traffic is
 * `NaN` in PromQL and `null` in the monitor, and neither satisfies a comparison.
 *
 * The table is keyed by `MonitorMetric`, so a figure added to the monitor does not compile until it
 * is mapped here or listed as unexported with the reason.
 */
import { VOXTRACE_METRIC_NAMES as V, type MonitorMetric } from '@voxtrace/core';
import {
  type Comparator,
  RESPONSE_LATENCY_BUCKETS_SECONDS,
  SEED_METRIC_NAMES as S,
} from '@voxtrace/core/thresholds';

/** A figure Prometheus computes. */
export interface PromFigure {
  /** PromQL of the figure, label-less (one series for the fleet). */
  expr: string;
  /** Unit of `expr`; the monitor's `ms` figures are seconds in Prometheus. */
  unit: 'seconds' | 'ratio' | 'count';
  /**
   * PromQL of the observations behind the figure in the window, compared with the rule's
   * `minSamples` (the monitor's sample count); `null` when the figure has none (a gauge).
   */
  samples: string | null;
  /** A further condition for the figure to have a value, e.g. "STT has reported at all". */
  guard?: string;
  /** Metric names the expressions read (for checks and the dashboard). */
  metrics: readonly string[];
  /** For a quantile: the histogram, the quantile and the matchers of its series. */
  histogram?: { name: string; q: number; matchers: readonly string[] };
}

/** A figure with no Prometheus equivalent, and why. */
export interface UnexportedFigure {
  unexported: string;
}

/** Multiplier from the monitor's unit to the Prometheus figure's unit. */
export const scaleOf = (f: PromFigure): number => (f.unit === 'seconds' ? 1 / 1000 : 1);

/** `300000` → `5m`: a Prometheus duration from milliseconds. */
export function promDuration(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`not a whole number of ms: ${ms}`);
  if (ms === 0) return '0s';
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

const REASON_GROUND_TRUTH =
  'ground truth fed in-process with vt.monitor.recordQuality() (a reviewer or an evaluation job compares transcripts, intents or barge-ins with labels); no metric carries it';
const REASON_BASELINE =
  "compares the window P90 with the P90 of the same UTC hour of the week in an earlier week with traffic, learned in-process (turns seen during an incident excluded) and saved with exportBaseline(); PromQL's `offset 1w` reads a rolling window exactly a week ago, which is a different figure";

/**
 * The PromQL of every monitor figure over a window of `windowMs` (the monitor's `windowMs`, default
 * 5 minutes, the `[5m]` of seed 003's rules).
 */
export function promFigures(windowMs = 300_000): Record<MonitorMetric, PromFigure | UnexportedFigure> {
  const w = promDuration(windowMs);
  const rate = (sel: string) => `sum(rate(${sel}[${w}]))`;
  const increase = (sel: string) => `sum(increase(${sel}[${w}]))`;
  /** A part of a whole whose series may not exist yet: counts as 0. */
  const part = (sel: string) => `(${rate(sel)} or vector(0))`;
  const names = (...sels: string[]) => [...new Set(sels.map((s) => s.replace(/\{.*$/, '')))];

  const quantile = (q: number, histogram: string, matchers: string[] = []): PromFigure => ({
    expr: `histogram_quantile(${q}, sum by (le) (rate(${histogram}_bucket${selector(matchers)}[${w}])))`,
    unit: 'seconds',
    samples: increase(`${histogram}_count${selector(matchers)}`),
    metrics: [histogram],
    histogram: { name: histogram, q, matchers },
  });
  const component = (c: string) => quantile(0.9, V.componentLatencySeconds, [`component="${c}"`]);
  /** `part / whole` over the window; samples = the whole. */
  const ratio = (p: string, whole: string): PromFigure => ({
    expr: `${part(p)} / ${rate(whole)}`,
    unit: 'ratio',
    samples: increase(whole),
    metrics: names(p, whole),
  });
  /** `1 − failures / whole`. */
  const complement = (failures: string, whole: string): PromFigure => ({
    ...ratio(failures, whole),
    expr: `1 - (${part(failures)} / ${rate(whole)})`,
  });
  /** Errors of a layer over the calls of its component; errors without a call still count (monitor: `max(calls, errors)`). */
  const componentErrors = (layer: 'llm' | 'tool' | 'tts'): PromFigure => {
    const errors = `${V.turnErrorsTotal}{layer="${layer}"}`;
    const calls = `${V.componentCallsTotal}{component="${layer}"}`;
    const max = (f: (s: string) => string) => `(${f(calls)} >= ${f(errors)} or ${f(errors)})`;
    return {
      expr: `${part(errors)} / ${max(rate)}`,
      unit: 'ratio',
      samples: max(increase),
      metrics: [V.turnErrorsTotal, V.componentCallsTotal],
    };
  };
  const calls = V.conversationsTotal;
  const attempts = `${calls}{outcome!~"unanswered|voicemail"}`;

  return {
    e2eLatencyP50Ms: quantile(0.5, S.responseSeconds),
    e2eLatencyP90Ms: quantile(0.9, S.responseSeconds),
    e2eLatencyP95Ms: quantile(0.95, S.responseSeconds),
    e2eLatencyP99Ms: quantile(0.99, S.responseSeconds),
    sttLatencyP90Ms: component('stt'),
    turnDetectionDelayP90Ms: component('turn_detection'),
    llmTtftP90Ms: component('llm_ttft'),
    llmTotalP90Ms: component('llm'),
    toolDurationP90Ms: component('tool'),
    ttsTtfbP90Ms: component('tts_ttfb'),
    networkLatencyP90Ms: component('network'),
    e2eLatencyP90BaselineDeviation: { unexported: REASON_BASELINE },
    callSuccessRate: complement(`${calls}{outcome="error"}`, calls),
    callConnectRate: { ...complement(V.callConnectFailuresTotal, attempts), samples: increase(attempts) },
    taskCompletionRate: ratio(`${V.taskResultsTotal}{completed="true"}`, V.taskResultsTotal),
    escalationRate: ratio(`${calls}{outcome="transferred"}`, calls),
    abandonmentRate: ratio(`${calls}{outcome="abandoned"}`, calls),
    latencySpikeCallShare: ratio(V.latencySpikeCallsTotal, calls),
    turnErrorRate: ratio(`${S.requestsTotal}{status="error"}`, S.requestsTotal),
    sttFailureRate: ratio(S.sttErrorsTotal, S.sttRequestsTotal),
    sttTranscriptRate: {
      ...ratio(`${V.sttResultsTotal}{result="transcript"}`, S.sttRequestsTotal),
      // The monitor's "STT has reported at all since start": a pipeline that sends no STT events is
      // not a dead STT. Over a fleet: some process has counted an STT result or error.
      guard: `(sum(${V.sttResultsTotal}) + sum(${S.sttErrorsTotal})) > 0`,
      metrics: [V.sttResultsTotal, S.sttRequestsTotal, S.sttErrorsTotal],
    },
    llmErrorRate: componentErrors('llm'),
    toolErrorRate: componentErrors('tool'),
    ttsErrorRate: componentErrors('tts'),
    interruptionRate: ratio(V.interruptionsTotal, S.requestsTotal),
    wordErrorRate: { unexported: REASON_GROUND_TRUTH },
    intentAccuracy: { unexported: REASON_GROUND_TRUTH },
    intentMisclassificationRate: { unexported: REASON_GROUND_TRUTH },
    interruptionFalsePositiveRate: { unexported: REASON_GROUND_TRUTH },
    workersActive: {
      // No series at all (every worker gone, or none scraped) is no worker either.
      expr: `(sum(${S.workersActive}) or vector(0))`,
      unit: 'count',
      samples: null,
      metrics: [S.workersActive],
    },
  };
}

const selector = (matchers: readonly string[]) => (matchers.length ? `{${matchers.join(',')}}` : '');

/** The `le` matcher of a bucket bound: Prometheus 3 writes `15` as `15.0`, Prometheus 2 as prom-client does. */
function leMatcher(bound: number): string {
  const s = String(bound);
  return Number.isInteger(bound) ? `le=~"${s}|${s}\\\\.0"` : `le="${s}"`;
}

/**
 * `quantile comparator threshold` over a histogram, `null` when the histogram cannot tell.
 *
 * At a bucket bound (every seed threshold is one) the condition is read off the buckets exactly:
 * the quantile `q` is above `T` when fewer than `q` of the observations are at most `T`. This also
 * holds above the top finite bucket, where `histogram_quantile` stops at the bound (15 s) and
 * `histogram_quantile(…) > 15` could never fire. Between bounds it falls back on
 * `histogram_quantile`'s linear interpolation; beyond the top bound there is nothing to measure.
 */
export function quantileCondition(
  figure: PromFigure,
  comparator: Comparator,
  thresholdSeconds: number,
  windowMs: number,
): string | null {
  const h = figure.histogram;
  if (!h) throw new TypeError('not a quantile figure');
  const w = promDuration(windowMs);
  const top = RESPONSE_LATENCY_BUCKETS_SECONDS[RESPONSE_LATENCY_BUCKETS_SECONDS.length - 1]!;
  const atBound = RESPONSE_LATENCY_BUCKETS_SECONDS.includes(thresholdSeconds);
  if (atBound && (comparator === '>' || comparator === '<=')) {
    const share = `(sum(rate(${h.name}_bucket${selector([...h.matchers, leMatcher(thresholdSeconds)])}[${w}])) / sum(rate(${h.name}_count${selector(h.matchers)}[${w}])))`;
    return `${share} ${comparator === '>' ? '<' : '>='} ${h.q}`;
  }
  if (thresholdSeconds >= top && !(thresholdSeconds === top && (comparator === '<' || comparator === '<=')))
    return null;
  return `(${figure.expr}) ${comparator} ${thresholdSeconds}`;
}

/** Whether a figure has a Prometheus equivalent. */
export const isExported = (f: PromFigure | UnexportedFigure): f is PromFigure => 'expr' in f;
