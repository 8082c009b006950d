// Monitor benchmarks (run after `npm run build`): `node --expose-gc scripts/bench-monitor.mjs`,
// or `import { run } from './bench-monitor.mjs'; await run()` from a bench runner.
//
// Measures, in the same run: the monitor observing one finished turn (every counter and sketch
// insert of the hot path) against one prom-client `Summary.observe` (the in-process quantile
// alternative), plus the cost of `snapshot()` and `evaluate()` over a full 5-minute window.
import { pathToFileURL } from 'node:url';
import { createMonitor } from '@voxtrace/core';
import { Registry, Summary } from 'prom-client';
import { Bench } from 'tinybench';

const T0 = Date.UTC(2026, 1, 16, 10);

/** A deterministic PRNG and lognormal draw, so every run measures the same data. */
function lognormals(n, median, sigma, seed = 1) {
  let a = seed;
  const rand = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
    return median * Math.exp(sigma * z);
  });
}

/** A finished turn as the pipeline delivers it: STT, end-of-turn, one LLM call, one TTS call. */
function turn(e2e, i) {
  const stt = 120;
  const detect = 250;
  const tts = 90;
  const network = 50;
  const llm = Math.max(1, e2e - detect - tts - network);
  const end = T0 + i * 5000;
  const call = (startedAt, extra) => ({
    startedAt,
    endedAt: startedAt + 500,
    durationMs: 500,
    error: null,
    cancelled: false,
    unfinished: false,
    attributes: {},
    ...extra,
  });
  return {
    conversationId: 'bench',
    index: i + 1,
    initiator: 'user',
    startedAt: end - 1500,
    endedAt: end + e2e + 2000,
    userSpeechStartedAt: end - 1500,
    userSpeechEndedAt: end,
    agentSpeechStartedAt: end + e2e,
    agentSpeechEndedAt: end + e2e + 2000,
    e2eLatencyMs: e2e,
    stt: {
      startedAt: end,
      endedAt: end + stt,
      latencyMs: stt,
      transcript: 'I need to move my appointment',
      confidence: 0.93,
      provider: 'deepgram',
      model: null,
      audioDurationMs: null,
      finals: 1,
      partials: 0,
      attributes: {},
    },
    turnDetection: { startedAt: end, endedAt: end + detect, delayMs: detect, attributes: {} },
    llm: [
      call(end + detect, {
        firstTokenAt: end + detect + llm,
        ttftMs: llm,
        provider: 'openai',
        model: null,
        inputTokens: null,
        outputTokens: null,
        input: null,
        output: null,
      }),
    ],
    tools: [],
    tts: [
      call(end + detect + llm, {
        firstAudioAt: end + e2e - network,
        ttfbMs: tts,
        provider: 'elevenlabs',
        model: null,
        voice: null,
        characters: null,
        text: null,
      }),
    ],
    interrupted: false,
    errors: [],
    breakdown: { stt: 0, turn_detection: detect, llm, tool: 0, tts, other: network },
    bottleneck: null,
    attributes: {},
  };
}

const info = { id: 'bench', platform: 'custom', startedAt: T0, traceId: '0'.repeat(32), attributes: {} };

/** Runs the benchmarks, prints a table and the ratios, and returns the tinybench tasks. */
export async function run({ time = 1000 } = {}) {
  const latencies = lognormals(4096, 900, 0.5);
  const turns = latencies.map((v, i) => turn(v, i));

  // Hot path: 200 turns per second of clock, so a bucket rotates every 2 000 observations.
  let clock = T0;
  const monitor = createMonitor({ now: () => clock, evaluationIntervalMs: 0 });
  const conv = monitor.startConversation(info);
  let i = 0;

  const registry = new Registry();
  const summary = new Summary({ name: 'bench_turn_seconds', help: 'bench', registers: [registry] });
  const windowed = new Summary({
    name: 'bench_turn_windowed_seconds',
    help: 'bench',
    maxAgeSeconds: 300,
    ageBuckets: 5,
    registers: [registry],
  });
  let j = 0;

  // A full window for snapshot/evaluate: 5 minutes at 20 turns per second (6 000 turns).
  let fullClock = T0;
  const full = createMonitor({ now: () => fullClock, evaluationIntervalMs: 0 });
  const fullConv = full.startConversation(info);
  for (let k = 0; k < 6000; k++) {
    fullClock = T0 + k * 50;
    fullConv.turn(turns[k % turns.length]);
  }

  const bench = new Bench({ time });
  bench
    .add('monitor: observe one turn', () => {
      clock += 5;
      conv.turn(turns[i++ & 4095]);
    })
    .add('prom-client Summary.observe (no window)', () => {
      summary.observe(latencies[j++ & 4095] / 1000);
    })
    .add('prom-client Summary.observe (maxAgeSeconds 300, ageBuckets 5)', () => {
      windowed.observe(latencies[j++ & 4095] / 1000);
    })
    .add('monitor: snapshot() of a full 5-minute window (6 000 turns)', () => {
      full.snapshot();
    })
    .add('monitor: evaluate() of a full 5-minute window (every default rule)', () => {
      full.evaluate();
    });
  await bench.run();
  console.table(bench.table());

  // Mean and median latency (ms) of a task; the median resists GC pauses and a busy machine.
  const stat = (name, key) => bench.tasks.find((x) => x.name === name)?.result?.latency?.[key] ?? Number.NaN;
  const us = (ms) => `${(ms * 1e3).toFixed(2)} µs`;
  const observe = 'monitor: observe one turn';
  for (const name of [
    'prom-client Summary.observe (no window)',
    'prom-client Summary.observe (maxAgeSeconds 300, ageBuckets 5)',
  ]) {
    for (const key of ['mean', 'p50']) {
      const ratio = stat(observe, key) / stat(name, key);
      console.log(
        `${key.padEnd(4)} ${ratio.toFixed(2)}× = monitor turn ${us(stat(observe, key))} / ${name} ${us(stat(name, key))}`,
      );
    }
  }
  for (const name of bench.tasks.map((t) => t.name).filter((n) => /snapshot|evaluate/.test(n)))
    console.log(`${name}: mean ${us(stat(name, 'mean'))}, median ${us(stat(name, 'p50'))}`);
  await monitor.shutdown();
  await full.shutdown();
  return bench.tasks;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await run();
