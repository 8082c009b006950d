/**
 * `FastHistogram` (internal: the hot-path histogram of the metrics) is exposed exactly as prom-client's
 * own `Histogram` would expose the same observations: same text in both content types, same JSON.
 */
import fc from 'fast-check';
import { Histogram, Registry, type RegistryContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastHistogram } from '../src/histogram.js';

const BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5];

const observation = fc.record({
  component: fc.constantFrom('llm', 'tts', 'stt'),
  provider: fc.constantFrom('openai', 'deep"gram\\', 'line\nbreak'),
  value: fc.oneof(fc.double({ min: 0, max: 10, noNaN: true }), fc.constantFrom(0, 0.1, 0.25, 5, 5.0001)),
});

async function pair(contentType: RegistryContentType) {
  const ours = new Registry<RegistryContentType>();
  const theirs = new Registry<RegistryContentType>();
  ours.setContentType(contentType);
  theirs.setContentType(contentType);
  const labeled = new FastHistogram({
    name: 'lat',
    help: 'h',
    labelNames: ['component', 'provider'],
    buckets: BUCKETS,
  });
  const plain = new FastHistogram({ name: 'resp', help: 'r', buckets: BUCKETS });
  ours.registerMetric(labeled.asMetric());
  ours.registerMetric(plain.asMetric());
  const pLabeled = new Histogram({
    name: 'lat',
    help: 'h',
    labelNames: ['component', 'provider'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const pPlain = new Histogram({ name: 'resp', help: 'r', buckets: BUCKETS, registers: [theirs] });
  return { ours, theirs, labeled, plain, pLabeled, pPlain };
}

describe('FastHistogram', () => {
  for (const contentType of [Registry.PROMETHEUS_CONTENT_TYPE, Registry.OPENMETRICS_CONTENT_TYPE]) {
    it(`exposes what prom-client's Histogram exposes (${contentType.split(';')[0]})`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(observation, { maxLength: 40 }), fc.boolean(), async (obs, reset) => {
          const p = await pair(contentType);
          expect(await p.ours.metrics()).toBe(await p.theirs.metrics()); // before any observation
          for (const o of obs) {
            p.labeled.labels(o.component, o.provider).observe(o.value);
            p.pLabeled.labels(o.component, o.provider).observe(o.value);
            p.plain.observe(o.value);
            p.pPlain.observe(o.value);
          }
          if (reset) {
            p.ours.resetMetrics();
            p.theirs.resetMetrics();
            p.labeled.labels('llm', 'openai').observe(1);
            p.pLabeled.labels('llm', 'openai').observe(1);
          }
          expect(await p.ours.metrics()).toBe(await p.theirs.metrics());
          expect(await p.ours.getMetricsAsJSON()).toEqual(await p.theirs.getMetricsAsJSON());
        }),
        { numRuns: 200 },
      );
    });
  }

  it('keeps label sets apart whatever characters their values hold', async () => {
    const h = new FastHistogram({ name: 'x', help: 'x', labelNames: ['a', 'b'], buckets: BUCKETS });
    h.labels('p\u0000q', 'r').observe(1);
    h.labels('p', 'q\u0000r').observe(1);
    expect((await h.get()).values.filter((v) => v.metricName === 'x_count')).toHaveLength(2);
  });

  it('ignores a non-finite value instead of throwing', () => {
    const h = new FastHistogram({ name: 'x', help: 'x', buckets: BUCKETS });
    expect(() => h.observe(Number.POSITIVE_INFINITY)).not.toThrow();
  });
});
