/**
 * Label cardinality: 100 000 distinct tool names, model names and providers (and 1 000 platforms)
 * keep every metric within its label cap, so a misbehaving agent cannot grow the series without
 * bound. The exposition is parsed and every label of every family counted.
 */
import { createVoxtrace, OVERFLOW_LABEL_VALUE, VOXTRACE_METRIC_NAMES } from '@voxtrace/core';
import { describe, expect, it } from 'vitest';
import { parseExposition, sampleValue } from '../packages/core/test/support/exposition.js';

const T0 = 1_763_700_000_000;
const N = 100_000;
const CAP = 100;

describe('label cardinality', () => {
  it(`${N} distinct tool, model and provider names stay within the cap of every label`, async () => {
    const vt = createVoxtrace({ otlp: false, lateGraceMs: 0, monitor: { evaluationIntervalMs: 0 } });
    let conv = vt.startConversation({ id: 'c-0', platform: 'platform-0', startedAt: T0 });
    const seriesOf = async () =>
      [...parseExposition(await vt.registry!.metrics()).values()].flatMap((f) =>
        f.samples.map((x) => `${x.name}${JSON.stringify(x.labels)}`),
      );
    let halfway: string[] = [];
    for (let i = 0; i < N; i++) {
      if (i === N / 2) halfway = await seriesOf();
      if (i > 0 && i % 100 === 0) {
        conv.end();
        conv = vt.startConversation({ id: `c-${i}`, platform: `platform-${i / 100}`, startedAt: T0 });
      }
      const at = T0 + i * 5000;
      const r = (type: string, dt: number, extra: object = {}) =>
        conv.record({ type, at: at + dt, ...extra } as never);
      const [model, provider, tool] = [`model-${i}`, `provider-${i}`, `tool-${i}`];
      r('user.speech.started', 0);
      r('user.speech.ended', 1000);
      r('stt.final', 1100, { transcript: 'hi', provider, model });
      r('llm.started', 1200, { provider, model });
      r('llm.first_token', 1400);
      r('llm.ended', 1450);
      r('tool.started', 1460, { name: tool, callId: `call-${i}` });
      r('tool.ended', 1600, { name: tool, callId: `call-${i}`, ...(i % 2 ? { error: 'failed' } : {}) });
      r('tts.started', 1610, { provider, model });
      r('tts.first_audio', 1700);
      r('agent.speech.started', 1710);
      r('agent.speech.ended', 3000);
    }
    conv.end();
    expect(vt.stats().turns).toBe(N);

    const families = parseExposition(await vt.registry!.metrics());
    for (const family of families.values()) {
      const values = new Map<string, Set<string>>();
      for (const s of family.samples) {
        for (const [label, value] of Object.entries(s.labels)) {
          if (label === 'le') continue; // histogram buckets: fixed by the bucket list
          if (!values.has(label)) values.set(label, new Set());
          values.get(label)!.add(value);
        }
      }
      // Conversation ids are never label values.
      for (const seen of values.values()) for (const v of seen) expect(v, family.name).not.toMatch(/^c-\d+$/);
      for (const [label, seen] of values) {
        const distinct = [...seen].filter((v) => v !== OVERFLOW_LABEL_VALUE);
        expect(distinct.length, `${family.name}{${label}}`).toBeLessThanOrEqual(CAP);
      }
    }
    // Every series of the registry, buckets included: the second 50 000 names added none.
    expect((await seriesOf()).sort()).toEqual(halfway.sort());

    // The overflow is visible: names past the cap were counted, not silently merged.
    const N_ = VOXTRACE_METRIC_NAMES;
    const overflow = (metric: string, label: string) =>
      sampleValue(families, N_.labelOverflowTotal, { metric, label }) ?? 0;
    expect(overflow(N_.toolCallsTotal, 'tool')).toBe(N - CAP);
    expect(overflow(N_.componentLatencySeconds, 'provider')).toBeGreaterThan(0);
    expect(overflow(N_.conversationsTotal, 'platform')).toBeGreaterThan(0);
    const calls = families.get(N_.toolCallsTotal)!.samples;
    const total = calls.reduce((n, s) => n + s.value, 0);
    expect(total).toBe(N); // no call lost in the merge
    expect(calls.filter((s) => s.labels.tool === OVERFLOW_LABEL_VALUE).reduce((n, s) => n + s.value, 0)).toBe(
      N - CAP,
    );
    await vt.shutdown();
  });
});
