// `npm run bench`: voxtrace's costs against baselines measured in the same run, written to
// docs/benchmarks.md and printed. The machines are shared and noisy: every timed comparison runs
// BENCH_ROUNDS rounds (default 5) and reports medians, ratios are taken within a round, and the
// load average is recorded. Run it when `uptime` shows a low load.
//
// Baselines are bare OpenTelemetry producing the very spans voxtrace produced (captured from a
// voxtrace run, so the baseline cannot drift from what voxtrace emits), prom-client's Summary for
// the monitor, exact order statistics for the sketches.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProxyTracerProvider, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { applyContentPolicy, createVoxtrace } from '@voxtrace/core';
import * as prettier from 'prettier';
import { observeRetellEvent } from '@voxtrace/retell';
import { observeVapiMessage } from '@voxtrace/vapi';
import { accuracyRows, observationRows } from './bench-monitor.mjs';
import { fmt, heapUsed, machine, measure, median, ROUNDS, row, table } from './bench-util.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = (name) => JSON.parse(readFileSync(path.resolve(root, 'fixtures', name), 'utf8'));
const T0 = 1_763_700_000_000;
const started = machine();
console.log(
  `node ${started.node}, ${started.cores} × ${started.cpu}, load ${started.load1.toFixed(2)} ${started.load5.toFixed(2)}, ${ROUNDS} rounds`,
);
if (started.busy)
  console.log('!! the machine is busy (load > cores): expect noisy figures; rerun when uptime is low');

/** An exporter that drops everything: the network is not what is measured. */
const noopExporter = {
  export: (_spans, done) => done({ code: 0 }),
  shutdown: async () => {},
  forceFlush: async () => {},
};
/** Both sides batch their spans the same way, as a real export would. */
const batch = () =>
  new BatchSpanProcessor(noopExporter, { maxQueueSize: 100_000, scheduledDelayMillis: 60_000 });
const capturing = (into) => ({
  onStart() {},
  onEnd: (s) => into.push(s),
  forceFlush: async () => {},
  shutdown: async () => {},
});

// ---- the typical turn ------------------------------------------------------------------------------

/**
 * The VoiceEvents of a typical turn with a tool call, as an agent records them: the caller speaks,
 * STT and end-of-turn detection, an LLM call that asks for a tool, the tool, a second LLM call that
 * answers, TTS and the agent speaking. 17 events → 7 spans (turn, stt, turn_detection, llm, tool_call,
 * llm, tts).
 */
function recordTurn(conv, t) {
  const r = (type, dt, extra) => conv.record({ type, at: t + dt, ...extra });
  r('user.speech.started', 0);
  r('user.speech.ended', 1000);
  r('stt.final', 1150, { transcript: 'what time is my appointment', provider: 'deepgram', model: 'nova-3' });
  r('turn.end_detected', 1300, { delayMs: 300 });
  r('llm.started', 1300, { provider: 'openai', model: 'gpt-4o-mini' });
  r('llm.first_token', 1600);
  r('llm.ended', 1650, { inputTokens: 500, outputTokens: 12 });
  r('tool.started', 1660, { name: 'get_appointment', callId: 'c1', arguments: { day: 'friday' } });
  r('tool.ended', 1860, { name: 'get_appointment', callId: 'c1', result: { time: '10:00' } });
  r('llm.started', 1870, { provider: 'openai', model: 'gpt-4o-mini' });
  r('llm.first_token', 2100);
  r('tts.started', 2110, { provider: 'cartesia', voice: 'sonic' });
  r('tts.first_audio', 2200);
  r('agent.speech.started', 2210);
  r('llm.ended', 2300, { inputTokens: 540, outputTokens: 20 });
  r('tts.ended', 3000, { characters: 40 });
  r('agent.speech.ended', 3100);
}
const EVENTS_PER_TURN = 17;

/** A voxtrace instance recording turns into one long call, each turn finalized as the next begins. */
function turnRecorder(options) {
  const vt = createVoxtrace({ otlp: false, spanProcessors: [batch()], lateGraceMs: 0, ...options });
  const conv = vt.startConversation({ id: 'bench', startedAt: T0 });
  let t = T0;
  return {
    vt,
    turn: () => {
      recordTurn(conv, t);
      t += 5000;
    },
  };
}

/**
 * Replays captured spans through bare OpenTelemetry: same names, kinds, times, attributes, events
 * and statuses, same parent/child structure. Returns a function making one copy under `parent`.
 */
function bareCopy(tracer, captured) {
  const ms = (hr) => hrTimeToMilliseconds(hr);
  const ids = new Set(captured.map((s) => s.spanContext().spanId));
  const nodes = captured.map((s) => ({
    id: s.spanContext().spanId,
    parent: ids.has(s.parentSpanContext?.spanId) ? s.parentSpanContext.spanId : null,
    name: s.name,
    kind: s.kind,
    start: ms(s.startTime),
    end: ms(s.endTime),
    attributes: s.attributes,
    events: s.events.map((e) => ({ name: e.name, attributes: e.attributes, time: ms(e.time) })),
    status: s.status,
  }));
  const children = (id) => nodes.filter((n) => n.parent === id);
  const make = (node, ctx) => {
    const span = tracer.startSpan(
      node.name,
      { kind: node.kind, startTime: node.start, attributes: { ...node.attributes } },
      ctx,
    );
    for (const e of node.events) span.addEvent(e.name, { ...e.attributes }, e.time);
    if (node.status.code) span.setStatus(node.status);
    const inner = trace.setSpan(ctx, span);
    for (const c of node.kids) make(c, inner);
    span.end(node.end);
  };
  for (const n of nodes) n.kids = children(n.id);
  const roots = nodes.filter((n) => n.parent === null);
  return (parent = ROOT_CONTEXT) => {
    for (const r of roots) make(r, parent);
  };
}

/** The spans voxtrace emits for `run(vt)`, captured. */
async function captureSpans(run, options = {}) {
  const spans = [];
  const vt = createVoxtrace({ otlp: false, spanProcessors: [capturing(spans)], lateGraceMs: 0, ...options });
  await run(vt);
  await vt.shutdown();
  return spans;
}

async function hotPath() {
  const captured = await captureSpans((vt) => {
    const conv = vt.startConversation({ id: 'bench', startedAt: T0 });
    recordTurn(conv, T0);
    conv.end({ endedAt: T0 + 5000 });
  });
  const turnSpans = captured.filter((s) => s.name !== 'conversation');
  if (turnSpans.length !== 7) throw new Error(`expected 7 spans per turn, got ${turnSpans.length}`);
  const provider = new BasicTracerProvider({ spanProcessors: [batch()] });
  const tracer = provider.getTracer('baseline');
  const conversation = trace.setSpan(ROOT_CONTEXT, tracer.startSpan('conversation', { startTime: T0 }));
  const copy = bareCopy(tracer, turnSpans);

  const full = turnRecorder({});
  const main = await measure(
    { voxtrace: full.turn, baseline: () => copy(conversation) },
    { baseline: 'baseline' },
  );

  // Where the time goes: voxtrace's own processing with OpenTelemetry replaced by a no-op provider,
  // then without metrics and monitor, then without content (redaction), and the events alone.
  const noOtel = turnRecorder({ tracerProvider: new ProxyTracerProvider() });
  const noSinks = turnRecorder({ tracerProvider: new ProxyTracerProvider(), metrics: false, monitor: false });
  const noContent = turnRecorder({
    tracerProvider: new ProxyTracerProvider(),
    metrics: false,
    monitor: false,
    content: 'none',
  });
  // Keeps the last event, so the engine cannot optimize the objects away.
  const sink = {
    last: null,
    record(e) {
      this.last = e;
    },
  };
  let t = T0;
  const parts = await measure(
    {
      baseline: () => copy(conversation),
      'no OpenTelemetry': noOtel.turn,
      'no OpenTelemetry, metrics, monitor': noSinks.turn,
      'no OpenTelemetry, metrics, monitor, content': noContent.turn,
      events: () => recordTurn(sink, (t += 5000)),
    },
    { baseline: 'baseline', rounds: Math.max(3, Math.ceil(ROUNDS / 2)) },
  );
  for (const r of [full, noOtel, noSinks, noContent]) await r.vt.shutdown();
  await provider.shutdown();
  return { main, parts };
}

// ---- replay throughput -----------------------------------------------------------------------------

async function replays() {
  const retell = fixture('retell/retell-call_analyzed.json');
  const vapi = fixture('vapi/vapi-end-of-call-report.json');
  const retellBody = (id) => ({ ...retell, call: { ...retell.call, call_id: id } });
  const vapiBody = (id) => ({ ...vapi, message: { ...vapi.message, call: { ...vapi.message.call, id } } });
  const cases = {
    'Retell `call_analyzed`': (vt, id) => observeRetellEvent(vt, retellBody(id)),
    'Vapi `end-of-call-report`': (vt, id) => observeVapiMessage(vt, vapiBody(id)),
  };
  const rows = [];
  for (const [name, replay] of Object.entries(cases)) {
    let spansPerTrace = 0;
    const captured = await captureSpans((vt) => {
      const r = replay(vt, randomUUID());
      if (!r.ok || !['completed', 'recorded'].includes(r.action))
        throw new Error(`${name} did not replay: ${JSON.stringify(r)}`);
    });
    spansPerTrace = captured.length;
    const provider = new BasicTracerProvider({ spanProcessors: [batch()] });
    const copy = bareCopy(provider.getTracer('baseline'), captured);
    const vt = createVoxtrace({ otlp: false, spanProcessors: [batch()] });
    const m = await measure(
      { voxtrace: () => replay(vt, randomUUID()), baseline: () => copy() },
      { baseline: 'baseline' },
    );
    await vt.shutdown();
    await provider.shutdown();
    const ours = 1e6 / m.voxtrace.mean;
    const bare = 1e6 / m.baseline.mean;
    rows.push(
      row(
        `Replay throughput: ${name} fixture through the real adapter → one trace of ${spansPerTrace} spans (baseline: bare OpenTelemetry making the same ${spansPerTrace} spans)`,
        `${fmt.rate(ours)} traces`,
        `${fmt.rate(bare)} traces`,
        fmt.x(bare / ours).replace('×', '× slower'),
        '—',
        null,
      ),
    );
  }
  return rows;
}

// ---- memory --------------------------------------------------------------------------------------

async function memory() {
  const OPEN = 10_000;
  // Heap per open conversation: 10 000 calls, each mid-turn (the caller spoke, the LLM is running).
  const vt = createVoxtrace({ otlp: false, spanProcessors: [batch()] });
  const before = heapUsed();
  const open = [];
  for (let i = 0; i < OPEN; i++) {
    const c = vt.startConversation({ id: `open-${i}`, platform: 'custom', startedAt: T0 });
    c.record({ type: 'user.speech.started', at: T0 + 1 });
    c.record({ type: 'user.speech.ended', at: T0 + 900 });
    c.record({ type: 'stt.final', at: T0 + 1000, transcript: 'I would like to book a table for two' });
    c.record({ type: 'llm.started', at: T0 + 1100, provider: 'openai', model: 'gpt-4o-mini' });
    open.push(c);
  }
  const perConversation = (heapUsed() - before) / OPEN;
  await vt.shutdown();
  open.length = 0;

  // Baseline: the same number of open bare OpenTelemetry spans with the conversation span's attributes.
  const provider = new BasicTracerProvider({ spanProcessors: [batch()] });
  const tracer = provider.getTracer('baseline');
  const spansBefore = heapUsed();
  const spans = [];
  for (let i = 0; i < OPEN; i++) {
    spans.push(
      tracer.startSpan('conversation', {
        startTime: T0,
        attributes: {
          'conversation.id': `open-${i}`,
          'gen_ai.conversation.id': `open-${i}`,
          'voice.platform': 'custom',
        },
      }),
    );
  }
  const perSpan = (heapUsed() - spansBefore) / OPEN;
  spans.length = 0;
  await provider.shutdown();

  // Heap after many finished turns: 100 calls of 10 typical turns at a time, then measured at 10 %,
  // 50 % and 100 %. Everything per call must be released; the monitor's window is bounded.
  const TURNS = Number(process.env.BENCH_TURNS ?? 1_000_000);
  const flat = createVoxtrace({ otlp: false, spanProcessors: [batch()], lateGraceMs: 0 });
  let t = T0;
  let done = 0;
  const runTurns = async (n) => {
    for (; n > 0; n -= 10) {
      const c = flat.startConversation({ id: `flat-${done}`, startedAt: t });
      for (let k = 0; k < 10; k++) {
        recordTurn(c, t);
        t += 5000;
      }
      c.end({ endedAt: t });
      done += 10;
      // Between calls the event loop turns, as in an agent: the span processor exports its batches.
      await new Promise(setImmediate);
    }
  };
  const readings = [];
  for (const share of [0.1, 0.5, 1]) {
    await runTurns(TURNS * share - done);
    readings.push({ turns: done, heap: heapUsed() });
  }
  await flat.shutdown();
  const growth = readings[2].heap - readings[0].heap;
  return [
    row(
      `Memory: heap per open conversation, ${OPEN.toLocaleString('en-US')} open mid-turn (baseline: one open bare OpenTelemetry span with the same attributes)`,
      fmt.kb(perConversation),
      fmt.kb(perSpan),
      fmt.x(perConversation / perSpan),
      '≤ 20 KB',
      perConversation <= 20 * 1024,
    ),
    row(
      `Memory: heap growth from ${readings[0].turns.toLocaleString('en-US')} to ${readings[2].turns.toLocaleString('en-US')} finished turns (heap ${readings
        .map((r) => fmt.mb(r.heap))
        .join(' → ')})`,
      fmt.mb(growth),
      '—',
      '—',
      'flat (< 1 MB)',
      growth < 1024 * 1024,
    ),
  ];
}

// ---- redaction of hostile text --------------------------------------------------------------------

/**
 * Pieces that make pattern matchers backtrack or scanners look far ahead (the property test's, see
 * packages/core/test/redaction.property.test.ts), alone and in pairs, each repeated to 1 MB.
 */
const HOSTILE = [
  'x@a.',
  'x@aa.',
  'a@',
  '@',
  '1',
  '1 ',
  '1-',
  '12 ',
  '1.',
  '(1)',
  '+1 ',
  'a dot ',
  'a at ',
  ' at ',
  '(at)',
  '[dot]',
  'at the rate ',
  'one ',
  'oh ',
  'oh 1',
  'double ',
  'twenty ',
  'hundred ',
  'de89 ',
  'gb82',
  'DE89 3704 ',
  'qq 12 ',
  'passport ',
  'passport a1 ',
  'cvv ',
  'expires 12 ',
  'social ',
  'a1',
  'j ',
  'a at 12 ',
  '1\u00a0',
  '1\u2011',
  '\u200b1',
  '٤',
  '४',
  '１',
  '\\u00a0',
  'é',
];

async function redaction() {
  const units = [...HOSTILE, ...HOSTILE.flatMap((a) => HOSTILE.slice(0, 8).map((b) => a + b))];
  const mb = (unit) => unit.repeat(Math.ceil((1 << 20) / unit.length)).slice(0, 1 << 20);
  const benign = mb('I would like to book a table for two at seven thirty on Friday, please. ');
  /** Median ms per call of `applyContentPolicy('redacted', text)`, the path of every content field and error. */
  const perField = (text) => {
    for (let i = 0; i < 3; i++) applyContentPolicy('redacted', text);
    const times = [];
    for (let i = 0; i < 15; i++) {
      const t = performance.now();
      applyContentPolicy('redacted', text);
      times.push(performance.now() - t);
    }
    return median(times);
  };
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    let worst = { ms: 0, unit: '' };
    for (const unit of units) {
      const ms = perField(mb(unit));
      if (ms > worst.ms) worst = { ms, unit };
    }
    rounds.push({ ...worst, benign: perField(benign) });
  }
  const worst = median(rounds.map((x) => x.ms));
  const base = median(rounds.map((x) => x.benign));
  const unit = rounds.find((x) => x.ms === worst)?.unit ?? rounds[0].unit;
  return [
    row(
      `Redaction: worst case of one content field (or error message) of 1 MB of hostile text, over ${units.length} adversarial inputs (worst: ${JSON.stringify(unit)} repeated; baseline: 1 MB of ordinary sentences)`,
      `${worst.toFixed(2)} ms`,
      `${base.toFixed(2)} ms`,
      fmt.x(worst / base),
      '≤ 10 ms',
      worst <= 10,
    ),
  ];
}

// ---- the table -----------------------------------------------------------------------------------

// \`node --expose-gc scripts/bench.mjs memory\` (or hot, monitor, replay) runs only those sections and
// prints them; the document is written only by a full run.
const only = new Set(process.argv.slice(2));
const want = (section) => only.size === 0 || only.has(section);
if (only.size > 0) {
  if (want('hot')) {
    const { main } = await hotPath();
    console.log(
      table([
        row(
          'hot path per turn',
          fmt.us(main.voxtrace.p50),
          fmt.us(main.baseline.p50),
          fmt.x(main.voxtrace.ratio),
          '≤ 1.3×',
          main.voxtrace.ratio <= 1.3,
        ),
      ]),
    );
  }
  if (want('monitor'))
    console.log(table([...(await observationRows({ rounds: ROUNDS })), ...(await accuracyRows())]));
  if (want('replay')) console.log(table(await replays()));
  if (want('memory')) console.log(table(await memory()));
  if (want('redaction')) console.log(table(await redaction()));
  process.exit(0);
}

const hot = await hotPath();
const { main, parts } = hot;
const base = main.baseline.p50;
const hotRows = [
  row(
    `Hot path per turn: ${EVENTS_PER_TURN} VoiceEvents of a turn with a tool call through a default \`createVoxtrace\` (Conversation, trace, metrics, monitor) vs bare OpenTelemetry making the same 7 spans with the same attributes (p50)`,
    fmt.us(main.voxtrace.p50),
    fmt.us(base),
    fmt.x(main.voxtrace.ratio),
    '≤ 1.3×',
    main.voxtrace.ratio <= 1.3,
  ),
  row(
    'Hot path per turn, absolute (p50)',
    fmt.us(main.voxtrace.p50),
    '—',
    '—',
    '≤ 50 µs',
    main.voxtrace.p50 <= 50,
  ),
];
console.log(table(hotRows));
const observation = await observationRows({ rounds: ROUNDS });
const monitorRows = [...observation, ...(await accuracyRows())];
console.log(table(monitorRows));
const replayRows = await replays();
console.log(table(replayRows));
const memoryRows = await memory();
console.log(table(memoryRows));
const redactionRows = await redaction();
console.log(table(redactionRows));
const finished = machine();

const partRows = [
  ['Bare OpenTelemetry: the 7 spans (the baseline)', parts.baseline],
  ['voxtrace with OpenTelemetry replaced by a no-op provider: its own processing', parts['no OpenTelemetry']],
  ['… and without metrics and monitor', parts['no OpenTelemetry, metrics, monitor']],
  [
    '… and without content on spans (no redaction, no JSON of tool arguments)',
    parts['no OpenTelemetry, metrics, monitor, content'],
  ],
  [`The agent building the ${EVENTS_PER_TURN} event objects (no voxtrace at all)`, parts.events],
];
const own = parts['no OpenTelemetry'].p50;
const noSinks = parts['no OpenTelemetry, metrics, monitor'].p50;
const noContent = parts['no OpenTelemetry, metrics, monitor, content'].p50;
const events = parts.events.p50;
const allowed = 0.3 * base;

/** What the monitor rows mean when the per-latency target is missed. */
function monitorNote(f) {
  if (f.one >= 10) return '';
  const perValue = f.turnNs / f.valuesPerTurn;
  return `## The monitor's per-latency row

The monitor observes finished turns, not single values: whatever a turn carries, it finds the window's bucket,
updates about 20 counters, and also inserts the turn's latency into the hour-of-week baseline (a second sketch).
The first monitor row charges all of that fixed cost (${fmt.ns(f.oneNs / 1000)}) to a turn carrying a single latency, and so
lands just short of the 10× line (${f.one.toFixed(1)}×). In a real turn that cost is shared by ${f.valuesPerTurn} latencies:
${fmt.ns(perValue / 1000)} per latency, ${(f.windowedNs / perValue).toFixed(0)}× less than one windowed \`Summary.observe\`
(${fmt.ns(f.windowedNs / 1000)}), as the second row shows for a whole turn. A good part of the single-latency cost is the two
sketch inserts (window and hour-of-week baseline, each a logarithm and a bin increment); feeding the baseline
from the window's buckets instead would save one, at the price of changing how turns during an incident are kept
out of the baseline, which was not worth it for a row whose real-world form (a whole turn) is ${f.turn.toFixed(0)}× faster.`;
}

const doc = `# Benchmarks

Generated by \`npm run bench\` (\`scripts/bench.mjs\`, \`scripts/bench-monitor.mjs\`) on ${new Date().toISOString().slice(0, 10)}:
Node ${started.node}, ${started.cores} × ${started.cpu}; load average ${started.load1.toFixed(2)} at the start,
${finished.load1.toFixed(2)} at the end${started.busy || finished.busy ? ' (**busy: the machine is shared; figures are noisier than usual**)' : ''}.
Every timed comparison ran ${ROUNDS} rounds (tinybench); the table gives medians over rounds, and each ratio
is the median of the ratios taken within a round, so a busy moment weighs on both sides of it.
Absolute times vary from machine to machine and run to run; the ratios much less.

${table([...hotRows, ...monitorRows, ...replayRows, ...memoryRows, ...redactionRows])}

## What each row measures

- **Hot path per turn.** One turn of a call with a tool call, as an agent records it (${EVENTS_PER_TURN} \`VoiceEvent\`s:
  speech, STT, end-of-turn, LLM asking for a tool, the tool, LLM answering, TTS, agent speech) through
  \`conv.record()\` on a default \`createVoxtrace\`: validation, the conversation state machine, the turn record and
  latency breakdown, the trace (7 spans, content redacted), Prometheus metrics and the monitor. Spans go to a
  \`BatchSpanProcessor\` with an exporter that drops them, on both sides. The baseline is bare OpenTelemetry making
  the same 7 spans with the same attributes, times and parent: they are captured from a voxtrace run, so the
  baseline always matches what voxtrace really emits. Time includes the agent building its event objects.
- **Monitor vs prom-client \`Summary\`.** "One observation" is one latency value entering a 5-minute
  sliding-window quantile estimate. For the monitor that is a finished turn carrying one latency: the sketch
  insert plus everything the monitor does per turn (bucket lookup, counters, the hour-of-week baseline), so the
  fixed per-turn cost is charged to the one value. For prom-client it is one \`Summary.observe\` on a summary with the
  same window (\`maxAgeSeconds: 300, ageBuckets: 5\`). A real turn carries 12 latencies, so the second row compares
  one full turn with the 12 windowed observations prom-client would need for the same percentiles. Calls are
  timed in batches of 64 so the timing loop's own cost does not blur operations of tens of nanoseconds.
- **Sketch accuracy.** 100 000 latencies spread over 20 window buckets (the snapshot merges them), compared at
  p50, p90, p95 and p99 with the exact order statistic of rank q·(n − 1). The baseline is prom-client's
  \`Summary\` (t-digest) on the same data.
- **Replay throughput.** A post-call report fixture (from \`fixtures/\`) handed to the adapter's own entry
  point (\`observeRetellEvent\`, \`observeVapiMessage\`) with a fresh call id each time: parsing, validation, the
  adapter's translation, the conversation and its whole trace, metrics and monitor. The baseline makes the same
  spans with bare OpenTelemetry.
- **Redaction.** One content field (a transcript, an LLM text, a tool's arguments or result) or error message
  of 1 MB through \`applyContentPolicy('redacted', …)\`, the path every field takes to a span: capped at 4096
  characters plus a 512-character look-ahead, then scanned. The inputs repeat the pieces that make pattern
  matchers backtrack (\`x@a.\`, digit runs, "a dot", "at", number words, separators, other scripts' digits),
  alone and in pairs; the row gives the slowest input's median (15 calls), median over rounds. The baseline is
  1 MB of ordinary sentences through the same path.
- **Memory.** Heap after full garbage collections (\`--expose-gc\`). Open conversations are mid-turn (the caller
  spoke, STT returned, the LLM is running). The flat-heap row runs ${Number(process.env.BENCH_TURNS ?? 1_000_000).toLocaleString('en-US')} typical turns
  in calls of 10 and compares the heap at 10 % and at 100 %.

## Where the hot path's time goes

Medians of ${Math.max(3, Math.ceil(ROUNDS / 2))} rounds, same turn, ratio to the bare OpenTelemetry baseline of the same round:

| Configuration | p50 per turn | Ratio to baseline |
|---|---:|---:|
${partRows.map(([name, m]) => `| ${name} | ${fmt.us(m.p50)} | ${fmt.x(m.ratio)} |`).join('\n')}

OpenTelemetry's own cost for voxtrace's spans is about the baseline's (the full hot path minus voxtrace's own
processing: ${fmt.us(main.voxtrace.p50 - own)} against ${fmt.us(base)}); the rest is voxtrace's processing of the ${EVENTS_PER_TURN} events:
${fmt.us(own)} per turn, ${fmt.ns(own / EVENTS_PER_TURN)} per event. Of it, metrics and monitor take ${fmt.us(own - noSinks)},
content redaction ${fmt.us(noSinks - noContent)}, and the agent's own event objects ${fmt.us(events)}; the remaining
${fmt.us(noContent - events)} are validation, the conversation state machine, the turn record with its latency
breakdown, and building the spans' attributes (a profile puts the largest shares in validation, about 70 ns per
event, and in the clock read and dispatch of \`record()\`; the no-op provider's own span handling is about 1 µs of
it).

${monitorNote(observation.figures)}

${
  main.voxtrace.ratio <= 1.3
    ? 'The ratio target is met.'
    : `## Why the ratio target (≤ 1.3×) is not met, and what it should be

A ratio of 1.3 to bare OpenTelemetry leaves ${fmt.us(allowed)} per turn (30 % of the ${fmt.us(base)} OpenTelemetry needs for 7
spans) for everything voxtrace does with ${EVENTS_PER_TURN} events: ${fmt.ns(allowed / EVENTS_PER_TURN)} per event to validate untrusted input,
route it to its turn, deduplicate it, read the clock for the idle timeout, and, once per turn, compute the latency
breakdown, redact the transcript and the tool's arguments and result, update the Prometheus metrics and feed the
monitor. The measurements above show the budget is below what the work costs even without OpenTelemetry: the
agent building the events alone takes ${fmt.us(events)}, and voxtrace's processing ${fmt.us(own)}.

The costs that were found and removed (see the git log of \`packages/core\`): zod validation of each event
(~0.2 µs and two allocations per event; now a fast path that accepts, without copying, exactly what the schema
would return unchanged, property-tested against the schema, with zod still explaining every refusal); the
dedupe window keeping the caller's event objects; allocations of the latency breakdown (now scratch typed
arrays); prom-client's \`Histogram.observe\` (~0.3 µs each, ten per turn: label hashing and bucket keys by string;
now a typed-array histogram exposed exactly as prom-client exposes one, checked against it by a test); redaction
running every pattern on text without digits or \`@\`. Before them, this turn measured 41 µs against 13 µs for
bare OpenTelemetry (3.2×) on the same machine.

What remains is proportional to the events and cannot go without dropping a promise: validation of untrusted
input, the per-event routing and deduplication, the clock read for idle timeouts, and redaction of content by
default. The p50 target (≤ 50 µs per turn, about 3 µs per event) is the meaningful one for an agent, whose turns
take seconds: it is met with room to spare. A ratio target for this turn shape should be ≤ 2.5× against bare
OpenTelemetry, or be stated per event (≤ 1 µs of voxtrace processing per event), which is what the table above
measures.`
}
`;
// Formatted as the repository's prettier config wants it, so \`npm run lint\` passes after a run.
const target = path.resolve(root, 'docs/benchmarks.md');
writeFileSync(
  target,
  await prettier.format(doc, { ...(await prettier.resolveConfig(target)), filepath: target }),
);
console.log(`\nwritten to docs/benchmarks.md`);
