// `npm run demo`: simulates a few calls through voxtrace's public API (no platform needed), prints
// each turn's latency breakdown and bottleneck, and exports spans over OTLP when
// OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set, else to the console.
import { ConsoleSpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createVoxtrace, otlpConfiguredByEnv } from '@voxtrace/core';
import { E2E_LATENCY_THRESHOLDS } from '@voxtrace/core/thresholds';

const toOtlp = otlpConfiguredByEnv();
const quiet = process.argv.includes('--quiet');
const vt = createVoxtrace({
  serviceName: 'voxtrace-demo',
  spanProcessors: toOtlp || quiet ? [] : [new SimpleSpanProcessor(new ConsoleSpanExporter())],
  onDiagnostic: (d) => console.error(`[voxtrace] ${d.code}: ${d.message}`),
});

// A deterministic pseudo-random source, so the demo prints the same figures every run.
let seed = 42;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31;
  return seed / 2 ** 31;
};
const between = (lo, hi) => Math.round(lo + rand() * (hi - lo));

/** One simulated call: `turns` user turns, one of them calling a tool, one with a slow LLM. */
function simulateCall(id, start, turns, { slowTurn, toolTurn, bargeInTurn }) {
  const conv = vt.startConversation({ id, platform: 'custom', startedAt: start });
  let t = start + 500;
  for (let i = 1; i <= turns; i++) {
    const rec = (type, at, extra = {}) => conv.record({ type, at, ...extra });
    rec('user.speech.started', t);
    t += between(900, 2500);
    const speechEnd = t;
    rec('user.speech.ended', speechEnd);
    const stt = between(120, 260);
    rec('stt.final', speechEnd + stt, {
      transcript:
        i === 1 ? 'Hi, my number is 415-555-0134, I need to move my appointment' : 'Yes, Tuesday works',
      provider: 'deepgram',
      model: 'nova-3',
      confidence: 0.93,
    });
    const eou = between(250, 450);
    rec('turn.end_detected', speechEnd + eou, { delayMs: eou });
    let llmStart = speechEnd + eou;
    if (i === toolTurn) {
      rec('llm.started', llmStart, { provider: 'openai', model: 'gpt-4o-mini' });
      rec('llm.first_token', llmStart + between(250, 400));
      const llmEnd = llmStart + between(450, 600);
      rec('llm.ended', llmEnd, { inputTokens: 812, outputTokens: 24 });
      rec('tool.started', llmEnd + 5, {
        name: 'find_slots',
        callId: `call_${i}`,
        arguments: { day: 'Tuesday' },
      });
      const toolEnd = llmEnd + 5 + between(300, 700);
      rec('tool.ended', toolEnd, {
        name: 'find_slots',
        callId: `call_${i}`,
        result: { slots: ['10:00', '14:30'] },
      });
      llmStart = toolEnd + 5;
    }
    rec('llm.started', llmStart, { provider: 'openai', model: 'gpt-4o-mini' });
    const ttft = i === slowTurn ? between(2400, 3200) : between(280, 520);
    rec('llm.first_token', llmStart + ttft);
    const ttsStart = llmStart + ttft + 10;
    rec('tts.started', ttsStart, { provider: 'cartesia', model: 'sonic-2' });
    const ttfb = between(90, 180);
    rec('tts.first_audio', ttsStart + ttfb);
    const speakAt = ttsStart + ttfb + between(20, 60);
    rec('agent.speech.started', speakAt);
    const llmEnd = llmStart + ttft + between(300, 800);
    rec('llm.ended', llmEnd, { inputTokens: 900 + i * 40, outputTokens: 35 });
    const speakEnd = speakAt + between(1500, 3500);
    rec('tts.ended', speakEnd - 200, { characters: between(60, 160) });
    if (i === bargeInTurn) {
      rec('user.interrupted', speakEnd - 800);
      rec('agent.speech.ended', speakEnd - 700, { interrupted: true });
      t = speakEnd - 800;
    } else {
      rec('agent.speech.ended', speakEnd);
      t = speakEnd + between(400, 1200);
    }
  }
  return conv.end({ outcome: 'completed', taskCompleted: true, endedAt: t + 1000 });
}

const fmt = (ms) => (ms === null || ms === undefined ? '   —  ' : `${String(Math.round(ms)).padStart(5)}ms`);
const now = Date.now() - 60_000;
const calls = [
  simulateCall('conv-demo-1', now, 4, { toolTurn: 2, slowTurn: 3 }),
  simulateCall('conv-demo-2', now + 5_000, 3, { toolTurn: 1, bargeInTurn: 2 }),
  simulateCall('conv-demo-3', now + 9_000, 5, { slowTurn: 5 }),
];

const p90 = E2E_LATENCY_THRESHOLDS.p90;
console.log('\nvoxtrace demo: turn latency = first agent audio − end of user speech\n');
for (const call of calls) {
  console.log(`${call.id}  trace ${call.traceId}  outcome=${call.outcome}  turns=${call.turnCount}`);
  console.log('  turn   e2e      stt      eou      llm     tool      tts    other  bottleneck');
  for (const t of call.turns) {
    const b = t.breakdown ?? {};
    const flag = t.e2eLatencyMs !== null && t.e2eLatencyMs > p90.targetMs ? '  ⚠ above P90 target' : '';
    const bottleneck = t.bottleneck
      ? `${t.bottleneck.component} ${(t.bottleneck.share * 100).toFixed(0)}%`
      : '-';
    console.log(
      `  ${String(t.index).padStart(4)} ${fmt(t.e2eLatencyMs)} ${fmt(b.stt)} ${fmt(b.turn_detection)} ${fmt(b.llm)} ${fmt(b.tool)} ${fmt(b.tts)} ${fmt(b.other)}  ${bottleneck}${t.interrupted ? ' (barge-in)' : ''}${flag}`,
    );
  }
  console.log();
}
console.log(
  toOtlp ? 'Spans exported over OTLP.' : 'Spans printed above (set OTEL_EXPORTER_OTLP_ENDPOINT to export).',
);
await vt.shutdown();
