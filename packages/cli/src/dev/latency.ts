/**
 * Turn latency percentiles over time and component P90s, computed from received spans. Each point
 * of the series holds the turns that started in the trailing window ending at it; percentiles are
 * nearest-rank (a P90 is a latency some turn actually had). The series covers the latest stretch of
 * activity only: a call from a past day (a replayed report, an old trace) would otherwise stretch
 * the time axis until today's calls are a dot.
 */
import type { LatencyComponent } from '@voxtrace/core';
import {
  COMPONENT_LATENCY_THRESHOLDS,
  E2E_LATENCY_THRESHOLDS,
  type LatencyBand,
} from '@voxtrace/core/thresholds';

/** One turn's latency figures, from its `turn` span. */
export interface TurnSample {
  /** The turn's start, epoch ms. */
  at: number;
  e2eMs: number | null;
  bottleneck: string | null;
  parts: Partial<Record<LatencyComponent, number>>;
}

/** Component latencies with a figure of their own (the keys of `COMPONENT_LATENCY_THRESHOLDS` where one applies). */
export type ComponentMetric = 'stt' | 'turnDetection' | 'llmTtft' | 'llmTotal' | 'tool' | 'ttsTtfb';

/** One component call's latency, from its span. */
export interface ComponentSample {
  at: number;
  metric: ComponentMetric;
  ms: number;
}

/** Percentiles of a set of latencies (ms), `null` without data. */
export interface Percentiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
}

/** What the latency panel shows. */
export interface LatencyView {
  windowMs: number;
  bucketMs: number;
  /** First and last charted turn times (epoch ms: the latest stretch of activity), `null` without turns. */
  from: number | null;
  to: number | null;
  series: (Percentiles & { at: number })[];
  /** The last window of data. */
  current: Percentiles;
  /** Seed 000's end-to-end latency thresholds per percentile. */
  thresholds: Record<'p50' | 'p90' | 'p95' | 'p99', LatencyBand>;
  /** P90 of each component's own latency in the last window, with seed 000's thresholds. */
  components: {
    metric: ComponentMetric;
    label: string;
    count: number;
    p90: number | null;
    threshold: LatencyBand | null;
  }[];
  /** P90 of each part of the wait (`turn.latency_ms.*`) in the last window. */
  parts: { component: LatencyComponent; p90: number | null }[];
  /** Turns per bottleneck in the last window. */
  bottlenecks: Partial<Record<string, number>>;
}

const LABELS: Record<ComponentMetric, string> = {
  stt: 'STT',
  turnDetection: 'turn detection',
  llmTtft: 'LLM TTFT',
  llmTotal: 'LLM total',
  tool: 'tool',
  ttsTtfb: 'TTS TTFB',
};
const PARTS: LatencyComponent[] = ['stt', 'turn_detection', 'llm', 'tool', 'tts', 'other', 'unmeasured'];

/** Longest quiet gap inside one stretch of activity: older data is not charted. */
export const MAX_GAP_MS = 60 * 60_000;

/**
 * The latest stretch of `times` in which no two consecutive times are more than `maxGapMs` apart,
 * `null` for no times. A call from yesterday is its own stretch, so today's is what gets charted.
 */
export function latestStretch(
  times: Iterable<number>,
  maxGapMs = MAX_GAP_MS,
): { from: number; to: number } | null {
  const sorted = Float64Array.from(times).sort();
  if (sorted.length === 0) return null;
  let i = sorted.length - 1;
  while (i > 0 && sorted[i]! - sorted[i - 1]! <= maxGapMs) i--;
  return { from: sorted[i]!, to: sorted[sorted.length - 1]! };
}
const STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400].map(
  (s) => s * 1000,
);

/** Nearest-rank percentiles of `values` (sorted in place). */
export function percentiles(values: Float64Array | number[]): Percentiles {
  const v = values instanceof Float64Array ? values : Float64Array.from(values);
  v.sort();
  const at = (q: number) => (v.length ? v[Math.max(0, Math.ceil(q * v.length) - 1)]! : null);
  return { count: v.length, p50: at(0.5), p90: at(0.9), p95: at(0.95), p99: at(0.99) };
}

/** Builds the latency panel from turn and component samples. */
export function latencyView(
  turns: readonly TurnSample[],
  components: readonly ComponentSample[],
  windowMs: number,
  maxPoints = 90,
): LatencyView {
  const all = turns.filter((t) => t.e2eMs !== null).sort((a, b) => a.at - b.at);
  const stretch = latestStretch(all.map((t) => t.at));
  const timed = stretch ? all.filter((t) => t.at >= stretch.from) : all;
  const first = timed[0];
  const last = timed[timed.length - 1];
  const latest = components.reduce((m, c) => Math.max(m, c.at), last?.at ?? -Infinity);
  const series: LatencyView['series'] = [];
  let bucketMs = STEPS_MS[0]!;
  if (first && last) {
    bucketMs = STEPS_MS.find((s) => s >= (last.at - first.at) / maxPoints) ?? STEPS_MS[STEPS_MS.length - 1]!;
    const window = Math.max(windowMs, bucketMs);
    let lo = 0;
    let hi = 0;
    for (
      let t = Math.floor(first.at / bucketMs) * bucketMs + bucketMs;
      t < last.at + bucketMs;
      t += bucketMs
    ) {
      while (hi < timed.length && timed[hi]!.at < t) hi++;
      while (lo < hi && timed[lo]!.at < t - window) lo++;
      const values = new Float64Array(hi - lo);
      for (let i = lo; i < hi; i++) values[i - lo] = timed[i]!.e2eMs!;
      series.push({ at: t, ...percentiles(values) });
    }
  }
  const inWindow = <T extends { at: number }>(x: T) => x.at > latest - windowMs;
  const recent = timed.filter(inWindow);
  const recentComponents = components.filter(inWindow);
  const bottlenecks: Partial<Record<string, number>> = {};
  for (const t of recent) if (t.bottleneck) bottlenecks[t.bottleneck] = (bottlenecks[t.bottleneck] ?? 0) + 1;
  return {
    windowMs,
    bucketMs,
    from: first?.at ?? null,
    to: last?.at ?? null,
    series,
    current: percentiles(recent.map((t) => t.e2eMs!)),
    thresholds: E2E_LATENCY_THRESHOLDS,
    components: (Object.keys(LABELS) as ComponentMetric[]).map((metric) => {
      const p = percentiles(recentComponents.filter((c) => c.metric === metric).map((c) => c.ms));
      const threshold =
        metric in COMPONENT_LATENCY_THRESHOLDS
          ? COMPONENT_LATENCY_THRESHOLDS[metric as keyof typeof COMPONENT_LATENCY_THRESHOLDS]
          : null;
      return { metric, label: LABELS[metric], count: p.count, p90: p.p90, threshold };
    }),
    parts: PARTS.map((component) => ({
      component,
      p90: percentiles(recent.flatMap((t) => (t.parts[component] === undefined ? [] : [t.parts[component]!])))
        .p90,
    })),
    bottlenecks,
  };
}
