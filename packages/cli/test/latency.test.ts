/** Percentiles and the latency panel, on samples with known answers. */
import { latencyView, latestStretch, percentiles } from '@voxtrace/cli';
import { COMPONENT_LATENCY_THRESHOLDS, E2E_LATENCY_THRESHOLDS } from '@voxtrace/core/thresholds';
import { describe, expect, it } from 'vitest';

const T0 = 1_763_700_000_000;

describe('percentiles', () => {
  it('are nearest-rank: a value some turn had', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentiles(hundred)).toEqual({ count: 100, p50: 50, p90: 90, p95: 95, p99: 99 });
    expect(percentiles([7])).toEqual({ count: 1, p50: 7, p90: 7, p95: 7, p99: 7 });
    expect(percentiles([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).toMatchObject({ p50: 6, p90: 10, p99: 11 });
    expect(percentiles([])).toEqual({ count: 0, p50: null, p90: null, p95: null, p99: null });
  });
});

describe('latencyView', () => {
  // One turn a second for two minutes: 1 s waits, then 6 s waits from the second minute.
  const turns = Array.from({ length: 120 }, (_, i) => ({
    at: T0 + i * 1000,
    e2eMs: i < 60 ? 1000 : 6000,
    bottleneck: i < 60 ? null : 'llm',
    parts: { llm: i < 60 ? 400 : 5400, tts: 120 },
  }));
  const components = turns.flatMap((t, i) => [
    { at: t.at, metric: 'llmTtft' as const, ms: i < 60 ? 400 : 5400 },
    { at: t.at, metric: 'stt' as const, ms: 150 },
  ]);
  const view = latencyView(turns, components, 30_000);

  it('points each cover the trailing window, on bucket boundaries', () => {
    expect(view.bucketMs).toBe(2000);
    expect(view.series.every((p) => p.at % 2000 === 0)).toBe(true);
    const at = (t: number) => view.series.find((p) => p.at === T0 + t)!;
    expect(at(30_000)).toMatchObject({ count: 30, p50: 1000, p99: 1000 });
    // 20 fast and 10 slow turns in (60 s, 70 s]'s window: P50 fast, P90 slow.
    expect(at(70_000)).toMatchObject({ count: 30, p50: 1000, p90: 6000 });
    expect(at(100_000)).toMatchObject({ count: 30, p50: 6000 });
    expect(view.series[0]!.at).toBeLessThanOrEqual(T0 + 2000);
    expect(view.series.at(-1)!.at).toBeGreaterThanOrEqual(T0 + 119_000);
  });

  it('"current" figures are the last window of data, against the seed thresholds', () => {
    expect(view.current).toEqual({ count: 30, p50: 6000, p90: 6000, p95: 6000, p99: 6000 });
    expect(view.thresholds).toEqual(E2E_LATENCY_THRESHOLDS);
    expect(view.components.find((c) => c.metric === 'llmTtft')).toEqual({
      metric: 'llmTtft',
      label: 'LLM TTFT',
      count: 30,
      p90: 5400,
      threshold: COMPONENT_LATENCY_THRESHOLDS.llmTtft,
    });
    expect(view.components.find((c) => c.metric === 'tool')).toEqual({
      metric: 'tool',
      label: 'tool',
      count: 0,
      p90: null,
      threshold: null,
    });
    expect(view.parts.find((p) => p.component === 'llm')).toEqual({ component: 'llm', p90: 5400 });
    expect(view.bottlenecks).toEqual({ llm: 30 });
  });

  it('turns without a known latency are left out; no turns, no series', () => {
    expect(latencyView([{ at: T0, e2eMs: null, bottleneck: null, parts: {} }], [], 60_000)).toMatchObject({
      series: [],
      from: null,
      to: null,
      current: { count: 0, p90: null },
    });
  });
});

describe('a call from a past day', () => {
  it('is listed but not charted: the series covers the latest stretch of activity', () => {
    const yesterday = { at: T0 - 26 * 3600_000, e2eMs: 900, bottleneck: null, parts: {} };
    const today = Array.from({ length: 60 }, (_, i) => ({
      at: T0 + i * 1000,
      e2eMs: 1000,
      bottleneck: null,
      parts: {},
    }));
    const view = latencyView([yesterday, ...today], [], 30_000);
    expect(view.from).toBe(T0);
    expect(view.to).toBe(T0 + 59_000);
    expect(view.bucketMs).toBe(1000);
    expect(view.series.every((p) => p.at > T0)).toBe(true);
    expect(latestStretch([T0 - 26 * 3600_000, T0, T0 + 59_000])).toEqual({ from: T0, to: T0 + 59_000 });
    expect(latestStretch([T0, T0 + 3600_000, T0 + 7200_000])).toEqual({ from: T0, to: T0 + 7200_000 });
    expect(latestStretch([])).toBeNull();
  });
});
