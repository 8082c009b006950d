// `npm run bench`: voxtrace's costs as ratios against baselines measured in the same run
// (the machines are shared and noisy; absolute times vary, ratios much less).

import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createVoxtrace } from '@voxtrace/core';
import { Bench } from 'tinybench';

/** An exporter that drops everything: we measure the hot path, not the network. */
const noopExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
  forceFlush: async () => {},
};
const T0 = 1_763_700_000_000;

// ---- hot path per turn: the VoiceEvents of a typical turn with a tool call ------------------------
const vt = createVoxtrace({
  otlp: false,
  spanProcessors: [
    new BatchSpanProcessor(noopExporter, { maxQueueSize: 100_000, scheduledDelayMillis: 60_000 }),
  ],
  lateGraceMs: 0,
});
const conv = vt.startConversation({ id: 'bench', startedAt: T0 });
let t = T0;
function turn() {
  turnOn(conv);
}
function turnOn(target) {
  const r = (type, dt, extra) => target.record({ type, at: t + dt, ...extra });
  r('user.speech.started', 0);
  r('user.speech.ended', 1000);
  r('stt.final', 1150, { transcript: 'what time is my appointment', provider: 'deepgram', model: 'nova-3' });
  r('turn.end_detected', 1300, { delayMs: 300 });
  r('llm.started', 1300, { provider: 'openai', model: 'gpt-4o-mini' });
  r('llm.first_token', 1600);
  r('llm.ended', 1700, { inputTokens: 500, outputTokens: 12 });
  r('tool.started', 1710, { name: 'get_appointment', callId: 'c1' });
  r('tool.ended', 1910, { name: 'get_appointment', callId: 'c1' });
  r('tts.started', 1920, { provider: 'cartesia' });
  r('tts.first_audio', 2020);
  r('agent.speech.started', 2030);
  r('tts.ended', 3000, { characters: 40 });
  r('agent.speech.ended', 3100);
  // The next turn's first event closes this one; with no late-event grace it is finalized at once.
  t += 5000;
}

// ---- baseline: the same spans with the same attributes and times, straight through OpenTelemetry ----
// Captured from one voxtrace turn, so the baseline cannot drift from what voxtrace really emits.
const captured = [];
{
  const capture = createVoxtrace({
    otlp: false,
    spanProcessors: [
      { onStart() {}, onEnd: (s) => captured.push(s), forceFlush: async () => {}, shutdown: async () => {} },
    ],
    lateGraceMs: 0,
  });
  const c = capture.startConversation({ id: 'bench', startedAt: T0 });
  const saved = t;
  t = T0;
  turnOn(c);
  c.end({ endedAt: T0 + 5000 });
  t = saved;
  await capture.shutdown();
}
const shape = captured
  .filter((s) => s.name !== 'conversation')
  .map((s) => ({
    name: s.name,
    start: s.startTime[0] * 1000 + s.startTime[1] / 1e6 - T0,
    end: s.endTime[0] * 1000 + s.endTime[1] / 1e6 - T0,
    attributes: s.attributes,
  }));
const turnShape = shape.find((s) => s.name === 'turn');
const childShapes = shape.filter((s) => s.name !== 'turn');
const provider = new BasicTracerProvider({
  spanProcessors: [
    new BatchSpanProcessor(noopExporter, { maxQueueSize: 100_000, scheduledDelayMillis: 60_000 }),
  ],
});
const tracer = provider.getTracer('baseline');
const root = tracer.startSpan('conversation', { startTime: T0 });
const rootCtx = trace.setSpan(ROOT_CONTEXT, root);
function bareTurn() {
  const turnSpan = tracer.startSpan(
    'turn',
    { startTime: t + turnShape.start, attributes: { ...turnShape.attributes } },
    rootCtx,
  );
  const ctx = trace.setSpan(rootCtx, turnSpan);
  for (const c of childShapes) {
    tracer.startSpan(c.name, { startTime: t + c.start, attributes: { ...c.attributes } }, ctx).end(t + c.end);
  }
  turnSpan.end(t + turnShape.end);
  t += 5000;
}

const bench = new Bench({ time: 1500, warmupTime: 300 });
bench.add(`voxtrace: one turn (14 events → Conversation → ${shape.length} spans)`, turn);
bench.add(`baseline: the same ${shape.length} spans and attributes, bare OpenTelemetry`, bareTurn);
await bench.run();

const rows = bench.tasks.map((task) => {
  const r = task.result;
  return {
    name: task.name,
    p50us: r.latency.p50 * 1000,
    p99us: r.latency.p99 * 1000,
    meanUs: r.latency.mean * 1000,
  };
});
const [ours, base] = rows;
console.log('\nhot path per turn');
for (const row of rows) {
  console.log(
    `  ${row.name.padEnd(58)} p50 ${row.p50us.toFixed(1).padStart(7)} µs   p99 ${row.p99us.toFixed(1).padStart(7)} µs`,
  );
}
const ratio = ours.p50us / base.p50us;
console.log(
  `  ratio (p50) ${ratio.toFixed(2)}   target ≤ 1.3 ${ratio <= 1.3 ? 'met' : 'NOT met'};  p50 ≤ 50 µs ${ours.p50us <= 50 ? 'met' : 'NOT met'}`,
);
await vt.shutdown();
await provider.shutdown();

// ---- memory -------------------------------------------------------------------------------------
const heap = () => {
  globalThis.gc?.();
  globalThis.gc?.();
  return process.memoryUsage().heapUsed;
};
if (!globalThis.gc) console.log('\n(run with --expose-gc for memory rows)');
else {
  // Heap per open conversation: 10 000 calls, each mid-turn (user spoke, LLM running).
  const mem = createVoxtrace({
    otlp: false,
    spanProcessors: [{ onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} }],
  });
  const before = heap();
  const open = [];
  for (let i = 0; i < 10_000; i++) {
    const c = mem.startConversation({ id: `open-${i}`, platform: 'custom', startedAt: T0 });
    c.record({ type: 'user.speech.started', at: T0 + 1 });
    c.record({ type: 'user.speech.ended', at: T0 + 900 });
    c.record({ type: 'stt.final', at: T0 + 1000, transcript: 'I would like to book a table for two' });
    c.record({ type: 'llm.started', at: T0 + 1100, provider: 'openai', model: 'gpt-4o-mini' });
    open.push(c);
  }
  const perConversation = (heap() - before) / 10_000;
  await mem.shutdown();

  // Heap after many finished turns: nothing is retained per finished conversation.
  const flat = createVoxtrace({
    otlp: false,
    spanProcessors: [{ onStart() {}, onEnd() {}, forceFlush: async () => {}, shutdown: async () => {} }],
    lateGraceMs: 0,
  });
  let tt = T0;
  const runTurns = (n) => {
    for (let i = 0; i < n; i += 10) {
      const c = flat.startConversation({ id: `flat-${tt}`, startedAt: tt });
      for (let k = 0; k < 10; k++) {
        const r = (type, dt, extra) => c.record({ type, at: tt + dt, ...extra });
        r('user.speech.started', 0);
        r('user.speech.ended', 1000);
        r('llm.started', 1300, { model: 'gpt-4o-mini' });
        r('llm.first_token', 1600);
        r('agent.speech.started', 1700);
        r('llm.ended', 1800);
        r('agent.speech.ended', 3000);
        tt += 5000;
      }
      c.end({ endedAt: tt });
    }
  };
  const TURNS = Number(process.env.BENCH_TURNS ?? 1_000_000);
  runTurns(TURNS / 10);
  const afterWarm = heap();
  runTurns(TURNS - TURNS / 10);
  const afterAll = heap();
  await flat.shutdown();
  const growth = (afterAll - afterWarm) / 1024 / 1024;
  console.log('\nmemory');
  console.log(
    `  heap per open conversation (10 000 open, mid-turn)   ${(perConversation / 1024).toFixed(1)} KB   target ≤ 20 KB ${perConversation <= 20 * 1024 ? 'met' : 'NOT met'}`,
  );
  console.log(
    `  heap growth from ${TURNS / 10} to ${TURNS} finished turns    ${growth.toFixed(2)} MB   target flat (< 5 MB) ${Math.abs(growth) < 5 ? 'met' : 'NOT met'}`,
  );
}
