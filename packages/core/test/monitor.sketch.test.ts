// Sketch accuracy through the real pipeline: 100 000 turns with lognormal latencies recorded as
// VoiceEvents, spread over 20 window buckets so the snapshot merges sketches, compared with the
// exact order statistics of the latencies the pipeline computed.
import { createVoxtrace } from '@voxtrace/core';
import { expect, it } from 'vitest';
import { lognormal, rng, T0 } from './support/voice-traffic.js';

it('p50/p90/p95/p99 of 100 000 lognormal latencies are within 1 % of the exact values', async () => {
  let clock = T0;
  const vt = createVoxtrace({ otlp: false, now: () => clock, monitor: { evaluationIntervalMs: 0 } });
  const exact: number[] = [];
  const ttfts: number[] = [];
  vt.on('turn', (t) => {
    exact.push(t.e2eLatencyMs!);
    ttfts.push(t.llm[0]!.ttftMs!);
  });
  const rand = rng(2026);
  const N = 100_000;
  const perCall = 100;
  for (let c = 0; c < N / perCall; c++) {
    const conv = vt.startConversation({ id: `sketch-${c}`, startedAt: T0 });
    let t = T0 + 1000;
    for (let k = 0; k < perCall; k++) {
      const end = t + 1500;
      // Median 800 ms, σ 0.6 (the research note's accuracy benchmark distribution).
      const latency = lognormal(rand, 800, 0.6);
      const ttft = latency * 0.5;
      conv.record({ type: 'user.speech.started', at: t });
      conv.record({ type: 'user.speech.ended', at: end });
      conv.record({ type: 'llm.started', at: end });
      conv.record({ type: 'llm.first_token', at: end + ttft });
      conv.record({ type: 'agent.speech.started', at: end + latency });
      t = end + latency + 3000;
      // 2 ms of clock per turn: the window's 10 s buckets each get 5 000 turns.
      clock += 2;
    }
    conv.end({ outcome: 'completed', endedAt: t });
  }
  expect(exact).toHaveLength(N);

  const s = vt.monitor.snapshot();
  expect(s.latency.count).toBe(N);
  expect(s.window.to - s.window.from).toBe(300_000);
  const sorted = [...exact].sort((a, b) => a - b);
  const sortedTtft = [...ttfts].sort((a, b) => a - b);
  // DDSketch answers the value of rank q·(n − 1) within its relative accuracy.
  const at = (xs: number[], q: number) => xs[Math.floor(q * (xs.length - 1))]!;
  for (const [key, q] of [
    ['p50', 0.5],
    ['p90', 0.9],
    ['p95', 0.95],
    ['p99', 0.99],
  ] as const) {
    const want = at(sorted, q);
    expect(Math.abs(s.latency[key]! - want) / want, `turn latency ${key}`).toBeLessThanOrEqual(0.01);
    const wantTtft = at(sortedTtft, q);
    expect(Math.abs(s.components.llmTtft[key]! - wantTtft) / wantTtft, `LLM TTFT ${key}`).toBeLessThanOrEqual(
      0.01,
    );
  }
  await vt.shutdown();
});
