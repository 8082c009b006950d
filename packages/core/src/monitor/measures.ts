/**
 * What a rule can measure: every figure the monitor derives from its window, named once, with
 * its unit, its sample count (the minimum-sample guard reads it) and how the layer of a breach is
 * found. Rates are fractions (0.95, not 95); latencies are ms.
 */
import { z } from 'zod';
import type { ErrorLayer } from '../events.js';
import type { Layer } from '../thresholds.js';
import type { CounterName, Series, WindowReader } from './window.js';

/** Names of every figure a rule can test. */
export const monitorMetricSchema = z.enum([
  'e2eLatencyP50Ms',
  'e2eLatencyP90Ms',
  'e2eLatencyP95Ms',
  'e2eLatencyP99Ms',
  'sttLatencyP90Ms',
  'turnDetectionDelayP90Ms',
  'llmTtftP90Ms',
  'llmTotalP90Ms',
  'toolDurationP90Ms',
  'ttsTtfbP90Ms',
  'networkLatencyP90Ms',
  'e2eLatencyP90BaselineDeviation',
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
  'workersActive',
]);
/** A figure a rule can test (see {@link MEASURES}). */
export type MonitorMetric = z.infer<typeof monitorMetricSchema>;

/** A figure read off the window: `value` is `null` when there is nothing to measure. */
export interface Reading {
  value: number | null;
  /** Observations behind the value (turns, calls, component calls…), compared with `minSamples`. */
  samples: number;
}

/**
 * How the layer of a breach is found: from the latency breakdown at a quantile (the component
 * whose share of the turn dominates), from the layers of the errors in the window, or fixed.
 */
export type Attribution =
  { kind: 'latency'; q: number } | { kind: 'errors' } | { kind: 'fixed'; layer: Layer };

/** Context a reading needs beyond the window. */
export interface MeasureContext {
  view: WindowReader;
  /** P90 of the same hour of the week in an earlier week, with its sample count. */
  baseline: Reading;
  workersActive: number;
  /** Whether any turn since start carried an STT result or an STT error. */
  sttSeen: boolean;
}

/** Definition of one figure. */
export interface Measure {
  unit: 'ms' | 'ratio' | 'count';
  /** Human name, used in snapshots and incident messages. */
  label: string;
  attribution: Attribution;
  read(ctx: MeasureContext): Reading;
}

const percentile =
  (series: Series, q: number) =>
  ({ view }: MeasureContext): Reading => ({ value: view.quantile(series, q), samples: view.samples(series) });

/** `part / whole`, `null` when `whole` is 0; the denominator is the sample count. */
const ratio =
  (part: CounterName | ((v: WindowReader) => number), whole: CounterName | ((v: WindowReader) => number)) =>
  ({ view }: MeasureContext): Reading => {
    const p = typeof part === 'function' ? part(view) : view.count(part);
    const w = typeof whole === 'function' ? whole(view) : view.count(whole);
    return { value: w > 0 ? Math.min(1, p / w) : null, samples: w };
  };

/** Errors of a layer over the calls of that component; errors without a call still count. */
const errorRate = (errors: CounterName, calls: CounterName) =>
  ratio(errors, (v) => Math.max(v.count(calls), v.count(errors)));

const fixed = (layer: Layer): Attribution => ({ kind: 'fixed', layer });
const latency = (q: number): Attribution => ({ kind: 'latency', q });
const ERRORS: Attribution = { kind: 'errors' };

/** Every figure the monitor measures. */
export const MEASURES: Record<MonitorMetric, Measure> = {
  e2eLatencyP50Ms: {
    unit: 'ms',
    label: 'turn latency P50',
    attribution: latency(0.5),
    read: percentile('e2e', 0.5),
  },
  e2eLatencyP90Ms: {
    unit: 'ms',
    label: 'turn latency P90',
    attribution: latency(0.9),
    read: percentile('e2e', 0.9),
  },
  e2eLatencyP95Ms: {
    unit: 'ms',
    label: 'turn latency P95',
    attribution: latency(0.95),
    read: percentile('e2e', 0.95),
  },
  e2eLatencyP99Ms: {
    unit: 'ms',
    label: 'turn latency P99',
    attribution: latency(0.99),
    read: percentile('e2e', 0.99),
  },
  sttLatencyP90Ms: {
    unit: 'ms',
    label: 'STT latency P90',
    attribution: fixed('stt'),
    read: percentile('stt', 0.9),
  },
  turnDetectionDelayP90Ms: {
    unit: 'ms',
    label: 'end-of-turn detection delay P90',
    attribution: fixed('turn_detection'),
    read: percentile('turnDetection', 0.9),
  },
  llmTtftP90Ms: {
    unit: 'ms',
    label: 'LLM time to first token P90',
    attribution: fixed('llm'),
    read: percentile('llmTtft', 0.9),
  },
  llmTotalP90Ms: {
    unit: 'ms',
    label: 'LLM full response P90',
    attribution: fixed('llm'),
    read: percentile('llmTotal', 0.9),
  },
  toolDurationP90Ms: {
    unit: 'ms',
    label: 'tool call duration P90',
    attribution: fixed('tool'),
    read: percentile('tool', 0.9),
  },
  ttsTtfbP90Ms: {
    unit: 'ms',
    label: 'TTS time to first byte P90',
    attribution: fixed('tts'),
    read: percentile('ttsTtfb', 0.9),
  },
  networkLatencyP90Ms: {
    unit: 'ms',
    label: 'network/transport part of the turn P90',
    attribution: fixed('network'),
    read: percentile('network', 0.9),
  },
  e2eLatencyP90BaselineDeviation: {
    unit: 'ratio',
    label: 'turn latency P90 above the same hour last week',
    attribution: latency(0.9),
    read: ({ view, baseline }) => {
      const p90 = view.quantile('e2e', 0.9);
      const samples = Math.min(view.samples('e2e'), baseline.samples);
      if (p90 === null || baseline.value === null || baseline.value <= 0) return { value: null, samples };
      return { value: p90 / baseline.value - 1, samples };
    },
  },
  callSuccessRate: {
    unit: 'ratio',
    label: 'call success rate',
    attribution: ERRORS,
    read: ratio((v) => v.count('conversations') - v.count('failedCalls'), 'conversations'),
  },
  callConnectRate: {
    unit: 'ratio',
    label: 'call connect rate',
    attribution: fixed('telephony'),
    read: ratio((v) => v.count('connectAttempts') - v.count('connectFailures'), 'connectAttempts'),
  },
  taskCompletionRate: {
    unit: 'ratio',
    label: 'task completion rate',
    attribution: fixed('dialog'),
    read: ratio('taskCompleted', 'taskKnown'),
  },
  escalationRate: {
    unit: 'ratio',
    label: 'escalation (transfer) rate',
    attribution: fixed('dialog'),
    read: ratio('transferred', 'conversations'),
  },
  abandonmentRate: {
    unit: 'ratio',
    label: 'abandonment rate',
    attribution: fixed('dialog'),
    read: ratio('abandoned', 'conversations'),
  },
  latencySpikeCallShare: {
    unit: 'ratio',
    label: 'share of calls with a latency spike',
    attribution: latency(0.99),
    read: ratio('spikeCalls', 'conversations'),
  },
  turnErrorRate: {
    unit: 'ratio',
    label: 'turn error rate',
    attribution: ERRORS,
    read: ratio('turnErrors', 'turns'),
  },
  sttFailureRate: {
    unit: 'ratio',
    label: 'STT failure rate',
    attribution: fixed('stt'),
    read: ratio('sttErrors', 'sttRequests'),
  },
  sttTranscriptRate: {
    unit: 'ratio',
    label: 'share of user turns with a transcript',
    attribution: fixed('stt'),
    // Only once STT has reported at all: a pipeline that sends no STT events is not a dead STT.
    read: (ctx) => (ctx.sttSeen ? ratio('sttTranscripts', 'sttRequests')(ctx) : { value: null, samples: 0 }),
  },
  llmErrorRate: {
    unit: 'ratio',
    label: 'LLM error rate',
    attribution: fixed('llm'),
    read: errorRate('llmErrors', 'llmCalls'),
  },
  toolErrorRate: {
    unit: 'ratio',
    label: 'tool error rate',
    attribution: fixed('tool'),
    read: errorRate('toolErrors', 'toolCalls'),
  },
  ttsErrorRate: {
    unit: 'ratio',
    label: 'TTS error rate',
    attribution: fixed('tts'),
    read: errorRate('ttsErrors', 'ttsCalls'),
  },
  interruptionRate: {
    unit: 'ratio',
    label: 'share of turns interrupted',
    attribution: fixed('turn_detection'),
    read: ratio('interruptedTurns', 'turns'),
  },
  wordErrorRate: {
    unit: 'ratio',
    label: 'ASR word error rate',
    attribution: fixed('stt'),
    // Word-weighted mean over the transcripts checked; WER can exceed 1 (insertions), so no cap.
    read: ({ view }) => {
      const words = view.count('werWords');
      return {
        value: words > 0 ? view.count('werWeighted') / words : null,
        samples: view.count('werTranscripts'),
      };
    },
  },
  intentAccuracy: {
    unit: 'ratio',
    label: 'intent accuracy',
    attribution: fixed('llm'),
    read: ratio('intentsCorrect', 'intentsChecked'),
  },
  intentMisclassificationRate: {
    unit: 'ratio',
    label: 'intent misclassification rate',
    attribution: fixed('llm'),
    read: ratio((v) => v.count('intentsChecked') - v.count('intentsCorrect'), 'intentsChecked'),
  },
  interruptionFalsePositiveRate: {
    unit: 'ratio',
    label: 'interruption false positive rate',
    attribution: fixed('turn_detection'),
    read: ratio('bargeInsFalse', 'bargeInsChecked'),
  },
  workersActive: {
    unit: 'count',
    label: 'active agent workers',
    attribution: fixed('telephony'),
    read: ({ workersActive }) => ({ value: workersActive, samples: 1 }),
  },
};

/** What a figure is called and in which unit it is measured. */
export type MonitorMetricInfo = Pick<Measure, 'label' | 'unit'>;

/** Name and unit of every figure, for messages, rule files and dashboards outside the monitor. */
export const MONITOR_METRIC_INFO: Readonly<Record<MonitorMetric, MonitorMetricInfo>> = Object.freeze(
  Object.fromEntries(
    Object.entries(MEASURES).map(([m, { label, unit }]) => [m, Object.freeze({ label, unit })]),
  ) as Record<MonitorMetric, MonitorMetricInfo>,
);

/** Error layers, in the order the window counts them. */
export const ERROR_LAYERS = [
  'telephony',
  'stt',
  'llm',
  'tool',
  'tts',
  'dialog',
] as const satisfies readonly ErrorLayer[];

/** The layer with the most errors in the window, or `null` without errors. */
export function errorLayerOf(view: WindowReader): ErrorLayer | null {
  let best: ErrorLayer | null = null;
  let most = 0;
  for (const layer of ERROR_LAYERS) {
    const n = view.count(`errors.${layer}`);
    if (n > most) {
      most = n;
      best = layer;
    }
  }
  return best;
}

/**
 * Breakdown parts and the layer each names (`network` is `breakdown.other` of fully measured turns;
 * `unmeasured` time names no layer).
 */
const PARTS = [
  ['part.stt', 'stt'],
  ['part.turn_detection', 'turn_detection'],
  ['part.llm', 'llm'],
  ['part.tool', 'tool'],
  ['part.tts', 'tts'],
  ['network', 'network'],
] as const satisfies readonly (readonly [Series, Layer])[];

/** Each layer's share of the turn latency at quantile `q` (its part's quantile over the turn's). */
export function latencyShares(view: WindowReader, q: number): Partial<Record<Layer, number>> {
  const shares: Partial<Record<Layer, number>> = {};
  const total = view.quantile('e2e', q);
  if (total === null || total <= 0) return shares;
  for (const [series, layer] of PARTS) {
    const part = view.quantile(series, q);
    if (part !== null) shares[layer] = Math.min(1, part / total);
  }
  return shares;
}

/**
 * The layer whose part of the turn latency dominates at quantile `q`: its share of the turn's
 * quantile reaches `bottleneckShare` (seed 000: "a single bottleneck … usually accounts for 60-70 %
 * of total latency"). `null` when no layer dominates.
 */
export function latencyLayerOf(view: WindowReader, q: number, bottleneckShare: number): Layer | null {
  let best: Layer | null = null;
  let top = 0;
  for (const [layer, share] of Object.entries(latencyShares(view, q)) as [Layer, number][]) {
    if (share > top) {
      top = share;
      best = layer;
    }
  }
  return best !== null && top >= bottleneckShare ? best : null;
}
