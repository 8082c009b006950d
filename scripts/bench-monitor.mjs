// The monitor's rows of `npm run bench` (also runnable alone after `npm run build`:
// `node --expose-gc scripts/bench-monitor.mjs`).
//
// - Observation cost against prom-client's `Summary`, the in-process quantile alternative. "One
//   observation" is one latency value going into a 5-minute sliding-window quantile estimate: for
//   the monitor, a finished turn that carries one latency (one sketch insert plus the turn's
//   counters and bucket lookup, i.e. all the fixed per-turn cost); for prom-client, one
//   `Summary.observe` on a summary with the same window (`maxAgeSeconds: 300, ageBuckets: 5`). A
//   typical turn carries 12 latencies, so the second comparison is one full turn against the 12
//   windowed observations prom-client would need for the same percentiles.
// - Sketch accuracy: percentiles of 100 000 latencies (three distributions) against the exact order
//   statistics, with prom-client's Summary (t-digest) on the same data as the baseline.
// - The cost of reading the window: snapshot() and evaluate() over a full 5 minutes.
import { pathToFileURL } from 'node:url';
import { createMonitor } from '@voxtrace/core';
import { Summary } from 'prom-client';
import { fmt, measure, median, row, table } from './bench-util.mjs';

const T0 = Date.UTC(2026, 1, 16, 10);

/** A deterministic PRNG (mulberry32). */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function lognormal(rand, median, sigma) {
  const z = Math.sqrt(-2 * Math.log(Math.max(rand(), 1e-12))) * Math.cos(2 * Math.PI * rand());
  return median * Math.exp(sigma * z);
}

/** The latency distributions of the accuracy rows. */
const DISTRIBUTIONS = {
  'lognormal, median 800 ms, σ 0.6': (r) => lognormal(r, 800, 0.6),
  'lognormal, median 900 ms, σ 1.0 (heavy tail)': (r) => lognormal(r, 900, 1.0),
  'bimodal: 90 % around 700 ms, 10 % around 4 s': (r) =>
    r() < 0.9 ? lognormal(r, 700, 0.3) : lognormal(r, 4000, 0.4),
};

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

/** A finished turn as the pipeline delivers it: STT, end-of-turn, one LLM call, one TTS call (12 latencies). */
function fullTurn(e2e, i) {
  const [stt, detect, tts, network] = [120, 250, 90, 50];
  const llm = Math.max(1, e2e - detect - tts - network);
  const end = T0 + i * 5000;
  return {
    ...oneLatencyTurn(e2e, i),
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
    breakdown: { stt: 0, turn_detection: detect, llm, tool: 0, tts, other: network },
  };
}

/** A finished turn with only its latency known: one value for the window. */
function oneLatencyTurn(e2e, i) {
  const end = T0 + i * 5000;
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
    stt: null,
    turnDetection: null,
    llm: [],
    tools: [],
    tts: [],
    interrupted: false,
    errors: [],
    breakdown: null,
    bottleneck: null,
    attributes: {},
  };
}

const VALUES_PER_FULL_TURN = 12;
const info = { id: 'bench', platform: 'custom', startedAt: T0, traceId: '0'.repeat(32), attributes: {} };

/**
 * Observation cost rows (see the module comment), plus reading the window. `figures` holds the
 * speedups and the per-call times (ns) behind them.
 */
export async function observationRows({ rounds } = {}) {
  const latencies = Array.from(
    { length: 4096 },
    (
      (r) => () =>
        lognormal(r, 900, 0.5)
    )(rng(1)),
  );
  const full = latencies.map((v, i) => fullTurn(v, i));
  const single = latencies.map((v, i) => oneLatencyTurn(v, i));

  // 200 turns per second of clock: a window bucket rotates every 2 000 observations.
  let clock = T0;
  const monitor = createMonitor({ now: () => clock, evaluationIntervalMs: 0 });
  const conv = monitor.startConversation(info);
  const windowed = new Summary({
    name: 'bench_windowed_seconds',
    help: 'bench',
    maxAgeSeconds: 300,
    ageBuckets: 5,
    registers: [],
  });
  const plain = new Summary({ name: 'bench_seconds', help: 'bench', registers: [] });
  let i = 0;
  let j = 0;
  // Calls are timed in batches of 64, so the timing loop's own ~40 ns per call does not blur
  // operations that take tens of nanoseconds; the table reports the time of one.
  const B = 64;
  const m = await measure(
    {
      'monitor: one latency': () => {
        for (let k = 0; k < B; k++) {
          clock += 5;
          conv.turn(single[i++ & 4095]);
        }
      },
      'prom-client Summary.observe, 5-min window': () => {
        for (let k = 0; k < B; k++) windowed.observe(latencies[j++ & 4095] / 1000);
      },
      'prom-client Summary.observe, no window': () => {
        for (let k = 0; k < B; k++) plain.observe(latencies[j++ & 4095] / 1000);
      },
      'monitor: one full turn': () => {
        for (let k = 0; k < B; k++) {
          clock += 5;
          conv.turn(full[i++ & 4095]);
        }
      },
      'prom-client: the same 12 windowed observations': () => {
        for (let k = 0; k < B * VALUES_PER_FULL_TURN; k++) windowed.observe(latencies[j++ & 4095] / 1000);
      },
    },
    { rounds, time: 600 },
  );
  for (const v of Object.values(m)) {
    v.p50 /= B;
    v.mean /= B;
  }
  // Ratios in the same round, so a busy moment weighs on both sides.
  const speedup = (ours, theirs) => median(m[ours].rounds.map((v, r) => m[theirs].rounds[r] / v));
  const one = speedup('monitor: one latency', 'prom-client Summary.observe, 5-min window');
  const oneNoWindow = speedup('monitor: one latency', 'prom-client Summary.observe, no window');
  const turn = speedup('monitor: one full turn', 'prom-client: the same 12 windowed observations');

  // Reading a full window: 5 minutes at 20 turns per second (6 000 turns).
  let fullClock = T0;
  const read = createMonitor({ now: () => fullClock, evaluationIntervalMs: 0 });
  const readConv = read.startConversation(info);
  for (let k = 0; k < 6000; k++) {
    fullClock = T0 + k * 50;
    readConv.turn(full[k % full.length]);
  }
  const q = await measure(
    { snapshot: () => read.snapshot(), evaluate: () => read.evaluate() },
    { rounds: Math.min(rounds ?? 3, 3), time: 500 },
  );
  await monitor.shutdown();
  await read.shutdown();

  const rows = [
    row(
      'Monitor: one latency into a 5-min sliding-window quantile estimate (a turn carrying one latency, with its counters) vs one `Summary.observe` with the same window',
      fmt.ns(m['monitor: one latency'].p50),
      fmt.ns(m['prom-client Summary.observe, 5-min window'].p50),
      `${one.toFixed(1)}× faster`,
      '≥ 10× faster',
      one >= 10,
    ),
    row(
      'Monitor: one finished turn (12 latencies + counters) vs the 12 windowed `Summary.observe` calls giving the same percentiles',
      fmt.ns(m['monitor: one full turn'].p50),
      fmt.ns(m['prom-client: the same 12 windowed observations'].p50),
      `${turn.toFixed(1)}× faster`,
      '≥ 10× faster',
      turn >= 10,
    ),
    row(
      "Monitor: one latency vs one `Summary.observe` without a window (informational: prom-client's cheapest form, all-time quantiles)",
      fmt.ns(m['monitor: one latency'].p50),
      fmt.ns(m['prom-client Summary.observe, no window'].p50),
      `${oneNoWindow.toFixed(1)}× faster`,
      '—',
      null,
    ),
    row(
      'Monitor: `snapshot()` of a full 5-min window (6 000 turns, 30 buckets merged)',
      fmt.us(q.snapshot.p50),
      '—',
      '—',
      '—',
      null,
    ),
    row(
      'Monitor: `evaluate()` of a full 5-min window (every default rule)',
      fmt.us(q.evaluate.p50),
      '—',
      '—',
      '—',
      null,
    ),
  ];
  const figures = {
    one,
    turn,
    oneNs: m['monitor: one latency'].p50 * 1000,
    turnNs: m['monitor: one full turn'].p50 * 1000,
    windowedNs: m['prom-client Summary.observe, 5-min window'].p50 * 1000,
    valuesPerTurn: VALUES_PER_FULL_TURN,
  };
  return Object.assign(rows, { figures });
}

/** Exact value at quantile q: the order statistic of rank q·(n − 1), as DDSketch defines it. */
const exactAt = (sorted, q) => sorted[Math.floor(q * (sorted.length - 1))];
const QUANTILES = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
];

/** Sketch accuracy rows: worst relative error over p50, p90, p95 and p99, per distribution. */
export async function accuracyRows() {
  const N = 100_000;
  const rows = [];
  for (const [name, draw] of Object.entries(DISTRIBUTIONS)) {
    const rand = rng(2026);
    const values = Array.from({ length: N }, () => draw(rand));
    // 2 ms of clock per value: 20 window buckets, merged by the snapshot.
    let clock = T0;
    const monitor = createMonitor({ now: () => clock, evaluationIntervalMs: 0 });
    const conv = monitor.startConversation(info);
    const summary = new Summary({
      name: 'bench_accuracy',
      help: 'bench',
      percentiles: [0.5, 0.9, 0.95, 0.99],
      registers: [],
    });
    values.forEach((v, i) => {
      clock += 2;
      conv.turn(oneLatencyTurn(v, i));
      summary.observe(v);
    });
    const snapshot = monitor.snapshot();
    const theirs = (await summary.get()).values;
    const sorted = [...values].sort((a, b) => a - b);
    let ours = 0;
    let baseline = 0;
    for (const [key, q] of QUANTILES) {
      const want = exactAt(sorted, q);
      ours = Math.max(ours, Math.abs(snapshot.latency[key] - want) / want);
      const t = theirs.find((v) => v.labels.quantile === q).value;
      baseline = Math.max(baseline, Math.abs(t - want) / want);
    }
    await monitor.shutdown();
    rows.push(
      row(
        `Sketch accuracy, worst relative error at p50/p90/p95/p99 of ${N.toLocaleString('en-US')} latencies, ${name} (baseline: prom-client \`Summary\`, t-digest, same data)`,
        fmt.pct(ours),
        fmt.pct(baseline),
        '—',
        '≤ 1 %',
        ours <= 0.01,
      ),
    );
  }
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(table([...(await observationRows()), ...(await accuracyRows())]));
}
