// Prometheus metrics: what voxtrace serves over real HTTP on 127.0.0.1, checked with promtool (when
// installed; required under CI=true) and a strict parser, against the records fed in.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createFetchMetricsHandler,
  createMetricsHandler,
  createVoxtrace,
  MetricsError,
  VOXTRACE_METRIC_NAMES,
  type Voxtrace,
} from '@voxtrace/core';
import { RESPONSE_LATENCY_BUCKETS_SECONDS, SEED_METRIC_NAMES } from '@voxtrace/core/thresholds';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseExposition, promtoolCheck, sampleValue } from './support/exposition.js';
import { T0 } from './support/voice-traffic.js';

let vt: Voxtrace | undefined;
let server: Server | undefined;
afterEach(async () => {
  await vt?.shutdown();
  vt = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Checks `text` with promtool; without promtool, warns loudly, and fails under CI=true. */
function promtool(text: string): void {
  const r = promtoolCheck(text);
  if (r === null) {
    if (process.env.CI === 'true')
      throw new Error('promtool is not on PATH; CI must install it (Debian package prometheus)');
    console.warn(
      '\n!!! promtool not on PATH: `promtool check metrics` SKIPPED; only the built-in parser checked the exposition.\n',
    );
    return;
  }
  expect(r.output, 'promtool check metrics').toBe('');
  expect(r.status).toBe(0);
}

/** One call: `turns` user turns of 1.2 s latency (STT 150 ms, TTFT 400 ms, TTS 100 ms). */
function call(
  v: Voxtrace,
  id: string,
  opts: { turns?: number; llmError?: boolean; sttError?: boolean; tools?: string[]; platform?: string } = {},
) {
  const conv = v.startConversation({ id, platform: opts.platform ?? 'vapi', startedAt: T0 });
  let t = T0 + 100;
  for (let k = 0; k < (opts.turns ?? 1); k++) {
    const end = t + 1000;
    conv.record({ type: 'user.speech.started', at: t });
    conv.record({ type: 'user.speech.ended', at: end });
    if (opts.sttError) conv.record({ type: 'error', at: end + 150, layer: 'stt', message: 'deepgram 503' });
    else
      conv.record({
        type: 'stt.final',
        at: end + 150,
        transcript: 'yes',
        latencyMs: 150,
        provider: 'deepgram',
      });
    conv.record({ type: 'turn.end_detected', at: end + 300, delayMs: 300 });
    conv.record({ type: 'llm.started', at: end + 300, provider: 'openai' });
    conv.record({ type: 'llm.first_token', at: end + 700 });
    (opts.tools ?? []).forEach((name, i) => {
      conv.record({ type: 'tool.started', at: end + 700, name, callId: `${id}-${k}-${i}` });
      conv.record({
        type: 'tool.ended',
        at: end + 710,
        name,
        callId: `${id}-${k}-${i}`,
        ...(i % 2 ? { error: 'timeout' } : {}),
      });
    });
    conv.record({ type: 'tts.started', at: end + 700, provider: 'cartesia' });
    conv.record({ type: 'tts.first_audio', at: end + 800 });
    conv.record({ type: 'agent.speech.started', at: end + 1200 });
    conv.record({ type: 'llm.ended', at: end + 900, ...(opts.llmError ? { error: 'rate limited' } : {}) });
    conv.record({ type: 'agent.speech.ended', at: end + 3000 });
    t = end + 3500;
  }
  return conv;
}

describe('exposition', () => {
  it("is valid, serves seed 003's names with the right types and voxtrace's own, over Node http", async () => {
    vt = createVoxtrace({ otlp: false, now: () => T0 });
    call(vt, 'conv-a', { turns: 3 }).end({ outcome: 'completed', taskCompleted: true });
    call(vt, 'conv-b', { llmError: true }).end({ outcome: 'error' });
    call(vt, 'conv-c', { sttError: true }).end({ outcome: 'abandoned' });
    call(vt, 'conv-d', { tools: ['find_slots', 'book'] }).end({ outcome: 'transferred' });
    vt.startConversation({ id: 'conv-e', platform: 'retell' }).record({ type: 'bogus' } as never);

    const url = await serve(createMetricsHandler(vt));
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    promtool(text);
    const m = parseExposition(text);

    expect(m.get(SEED_METRIC_NAMES.requestsTotal)?.type).toBe('counter');
    expect(m.get(SEED_METRIC_NAMES.responseSeconds)?.type).toBe('histogram');
    expect(m.get(SEED_METRIC_NAMES.sttRequestsTotal)?.type).toBe('counter');
    expect(m.get(SEED_METRIC_NAMES.sttErrorsTotal)?.type).toBe('counter');
    expect(m.get(SEED_METRIC_NAMES.workersActive)?.type).toBe('gauge');
    for (const name of Object.values(VOXTRACE_METRIC_NAMES)) expect(m.has(name), name).toBe(true);

    // One request per turn: conv-a 3, conv-b 1 (LLM error), conv-c 1 (STT error), conv-d 1 (tool error).
    expect(sampleValue(m, 'agent_requests_total', { status: 'success' })).toBe(3);
    expect(sampleValue(m, 'agent_requests_total', { status: 'error' })).toBe(3);
    expect(sampleValue(m, 'stt_transcription_requests_total')).toBe(6);
    expect(sampleValue(m, 'stt_transcription_errors_total')).toBe(1);
    expect(sampleValue(m, 'agent_workers_active')).toBe(1);
    // Six turns with a 1.2 s latency (the STT-failed turn too): bucket 1.5 s holds them, 1 s not.
    expect(sampleValue(m, 'agent_response_seconds_bucket', { le: '1' })).toBe(0);
    expect(sampleValue(m, 'agent_response_seconds_bucket', { le: '1.5' })).toBe(6);
    expect(sampleValue(m, 'agent_response_seconds_count')).toBe(6);
    expect(sampleValue(m, 'agent_response_seconds_sum')).toBeCloseTo(7.2, 9);
    const les = m
      .get('agent_response_seconds')!
      .samples.filter((s) => s.name.endsWith('_bucket'))
      .map((s) => s.labels.le);
    expect(les).toEqual([...RESPONSE_LATENCY_BUCKETS_SECONDS.map(String), '+Inf']);

    const comp = (component: string, provider: string, le: string) =>
      sampleValue(m, 'voxtrace_component_latency_seconds_bucket', { component, provider, le });
    expect(comp('stt', 'deepgram', '0.15')).toBe(5);
    expect(comp('llm_ttft', 'openai', '0.4')).toBe(6);
    expect(comp('tts_ttfb', 'cartesia', '0.1')).toBe(6);
    expect(comp('turn_detection', 'unknown', '0.3')).toBe(6);
    expect(comp('network', 'unknown', '0.4')).toBe(6);
    expect(sampleValue(m, 'voxtrace_conversations_total', { platform: 'vapi', outcome: 'error' })).toBe(1);
    expect(sampleValue(m, 'voxtrace_conversations_total', { platform: 'vapi', outcome: 'transferred' })).toBe(
      1,
    );
    expect(sampleValue(m, 'voxtrace_active_conversations', { platform: 'vapi' })).toBe(0);
    expect(sampleValue(m, 'voxtrace_active_conversations', { platform: 'retell' })).toBe(1);
    expect(sampleValue(m, 'voxtrace_component_errors_total', { component: 'llm' })).toBe(1);
    expect(sampleValue(m, 'voxtrace_component_errors_total', { component: 'stt' })).toBe(1);
    expect(sampleValue(m, 'voxtrace_tool_calls_total', { tool: 'find_slots', status: 'success' })).toBe(1);
    expect(sampleValue(m, 'voxtrace_tool_calls_total', { tool: 'book', status: 'error' })).toBe(1);
    expect(sampleValue(m, 'voxtrace_events_dropped_total', { reason: 'invalid_event' })).toBe(1);
    expect(sampleValue(m, 'voxtrace_diagnostics_total', { code: 'invalid_event' })).toBe(1);
    expect(sampleValue(m, 'voxtrace_severity')).toBe(0);
    // The fleet counters: STT results (conv-c's STT failed: no result), component calls, turn errors.
    expect(sampleValue(m, 'voxtrace_stt_results_total', { result: 'transcript' })).toBe(5);
    expect(sampleValue(m, 'voxtrace_stt_results_total', { result: 'empty' })).toBe(0);
    expect(sampleValue(m, 'voxtrace_component_calls_total', { component: 'llm' })).toBe(6);
    expect(sampleValue(m, 'voxtrace_component_calls_total', { component: 'tool' })).toBe(2);
    expect(sampleValue(m, 'voxtrace_component_calls_total', { component: 'tts' })).toBe(6);
    expect(sampleValue(m, 'voxtrace_turn_errors_total', { layer: 'llm' })).toBe(1);
    expect(sampleValue(m, 'voxtrace_turn_errors_total', { layer: 'tool' })).toBe(1);
    expect(sampleValue(m, 'voxtrace_turn_errors_total', { layer: 'tts' })).toBe(0);
    expect(sampleValue(m, 'voxtrace_task_results_total', { completed: 'true' })).toBe(1);
    expect(sampleValue(m, 'voxtrace_task_results_total', { completed: 'false' })).toBe(0);
    expect(sampleValue(m, 'voxtrace_call_connect_failures_total')).toBe(0);
    expect(sampleValue(m, 'voxtrace_latency_spike_calls_total')).toBe(0);
    // Every outcome of a platform exists from its first call, so `rate()` sees the first failure.
    expect(sampleValue(m, 'voxtrace_conversations_total', { platform: 'vapi', outcome: 'voicemail' })).toBe(
      0,
    );
    // Conversation ids are never labels.
    expect(text).not.toMatch(/conv-[a-e]/);

    expect((await fetch(`${url}/other`)).status).toBe(404);
    const post = await fetch(`${url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    const head = await fetch(`${url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('observes the network part only for turns whose whole wait was measured', async () => {
    vt = createVoxtrace({ otlp: false, now: () => T0 });
    const turn = (id: string, report: (type: string) => boolean) => {
      const conv = vt!.startConversation({ id, startedAt: T0 });
      const events = [
        { type: 'user.speech.started', at: T0 },
        { type: 'user.speech.ended', at: T0 + 1000 },
        { type: 'stt.final', at: T0 + 1150, transcript: 'yes', latencyMs: 150 },
        { type: 'turn.end_detected', at: T0 + 1300, delayMs: 300 },
        { type: 'llm.started', at: T0 + 1300 },
        { type: 'llm.first_token', at: T0 + 1700 },
        { type: 'tts.started', at: T0 + 1700 },
        { type: 'tts.first_audio', at: T0 + 1800 },
        { type: 'agent.speech.started', at: T0 + 1850 },
      ] as const;
      for (const e of events) if (report(e.type)) conv.record(e);
      conv.end();
    };
    turn('full', () => true);
    turn('only-llm', (type) => !/^(stt|turn|tts)\./.test(type));
    turn('no-tts', (type) => !type.startsWith('tts.'));
    const m = parseExposition(await vt.registry!.metrics());
    // One observation (the full turn's 50 ms), not three with 450 and 150 ms of unmeasured time.
    expect(
      sampleValue(m, 'voxtrace_component_latency_seconds_count', {
        component: 'network',
        provider: 'unknown',
      }),
    ).toBe(1);
    expect(
      sampleValue(m, 'voxtrace_component_latency_seconds_sum', { component: 'network', provider: 'unknown' }),
    ).toBeCloseTo(0.05, 9);
  });

  it('stays within the label cap when fed 10 000 distinct tool names', async () => {
    vt = createVoxtrace({ otlp: false, now: () => T0 });
    for (let c = 0; c < 100; c++) {
      const tools = Array.from({ length: 100 }, (_, i) => `tool_${c}_${i}`);
      call(vt, `conv-${c}`, { tools, platform: `platform-${c % 150}` }).end({ outcome: 'completed' });
    }
    const text = await vt.registry!.metrics();
    promtool(text);
    const m = parseExposition(text);
    const tools = m.get('voxtrace_tool_calls_total')!.samples;
    const names = new Set(tools.map((s) => s.labels.tool));
    expect(names.size).toBe(101);
    expect(names.has('__other__')).toBe(true);
    expect(tools.reduce((n, s) => n + s.value, 0)).toBe(10_000);
    expect(
      sampleValue(m, 'voxtrace_label_overflow_total', { metric: 'voxtrace_tool_calls_total', label: 'tool' }),
    ).toBe(9900);
    // Platform: 100 distinct values, all within the cap.
    expect(new Set(m.get('voxtrace_conversations_total')!.samples.map((s) => s.labels.platform)).size).toBe(
      100,
    );
    // Every labelled series of every metric stays bounded.
    for (const f of m.values()) {
      for (const label of new Set(f.samples.flatMap((s) => Object.keys(s.labels)))) {
        expect(
          new Set(f.samples.map((s) => s.labels[label])).size,
          `${f.name}{${label}}`,
        ).toBeLessThanOrEqual(101);
      }
    }
  });

  it('honours labelCap and a user registry; a registry already holding the names is refused', async () => {
    const registry = new Registry();
    // Invalid monitor options are refused before anything is registered in the user's registry.
    expect(() =>
      createVoxtrace({ otlp: false, metrics: { registry }, monitor: { rules: [{ name: 'x' } as never] } }),
    ).toThrow(/invalid monitor rule #0/);
    expect(registry.getMetricsAsArray()).toEqual([]);
    vt = createVoxtrace({ otlp: false, metrics: { registry, labelCap: 3 } });
    expect(vt.registry).toBe(registry);
    for (let c = 0; c < 10; c++) call(vt, `c${c}`, { platform: `p${c}` }).end({ outcome: 'completed' });
    const m = parseExposition(await registry.metrics());
    expect([
      ...new Set(m.get('voxtrace_conversations_total')!.samples.map((s) => s.labels.platform)),
    ]).toEqual(['p0', 'p1', 'p2', '__other__']);
    expect(
      sampleValue(m, 'voxtrace_conversations_total', { platform: '__other__', outcome: 'completed' }),
    ).toBe(7);
    expect(() => createVoxtrace({ otlp: false, metrics: { registry } })).toThrow(MetricsError);
    expect(() => createVoxtrace({ otlp: false, metrics: { labelCap: 0 } })).toThrow(RangeError);
  });

  it("counts what the monitor's rates count, so a fleet's rules compute the same figures", async () => {
    vt = createVoxtrace({ otlp: false, now: () => T0, monitor: { evaluationIntervalMs: 0 } });
    // Two calls that never connect, one unanswered (not an attempt), one slow call (a 9 s turn),
    // TTS and tool failures, an empty transcript, task results.
    for (const id of ['x1', 'x2']) {
      const c = vt.startConversation({ id, startedAt: T0 });
      c.record({ type: 'error', at: T0 + 10, layer: 'telephony', message: 'SIP 503' });
      c.end({ outcome: 'error', endedAt: T0 + 20 });
    }
    vt.startConversation({ id: 'x3', startedAt: T0 }).end({ outcome: 'unanswered', endedAt: T0 + 5 });
    call(vt, 'ok', { turns: 4, tools: ['a', 'b', 'c'] }).end({ outcome: 'completed', taskCompleted: true });
    call(vt, 'tasks', { turns: 2 }).end({ outcome: 'completed', taskCompleted: false });
    const slow = vt.startConversation({ id: 'slow', startedAt: T0 });
    slow.record({ type: 'user.speech.started', at: T0 });
    slow.record({ type: 'user.speech.ended', at: T0 + 1000 });
    slow.record({ type: 'stt.final', at: T0 + 1100, transcript: '' });
    slow.record({ type: 'tts.started', at: T0 + 9000 });
    slow.record({ type: 'tts.ended', at: T0 + 9500, error: 'voice not found' });
    slow.record({ type: 'agent.speech.started', at: T0 + 10_000 });
    slow.end({ outcome: 'completed', endedAt: T0 + 12_000 });

    const m = parseExposition(await vt.registry!.metrics());
    const v = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(m, name, labels) ?? Number.NaN;
    const sum = (name: string, filter: (l: Record<string, string>) => boolean = () => true) =>
      m
        .get(name)!
        .samples.filter((s) => filter(s.labels))
        .reduce((n, s) => n + s.value, 0);
    const calls = sum('voxtrace_conversations_total');
    const attempts = sum(
      'voxtrace_conversations_total',
      (l) => !['unanswered', 'voicemail'].includes(l.outcome!),
    );
    const rates = vt.monitor.snapshot().rates;
    expect(rates.callConnectRate).toBeCloseTo(1 - v('voxtrace_call_connect_failures_total') / attempts, 12);
    expect(rates.callConnectRate).toBeCloseTo(3 / 5, 12);
    const tasks = v('voxtrace_task_results_total', { completed: 'true' });
    expect(rates.taskCompletionRate).toBe(
      tasks / (tasks + v('voxtrace_task_results_total', { completed: 'false' })),
    );
    expect(rates.latencySpikeCallShare).toBe(v('voxtrace_latency_spike_calls_total') / calls);
    expect(v('voxtrace_latency_spike_calls_total')).toBe(1);
    expect(rates.sttTranscriptRate).toBe(
      v('voxtrace_stt_results_total', { result: 'transcript' }) / v('stt_transcription_requests_total'),
    );
    expect(v('voxtrace_stt_results_total', { result: 'empty' })).toBe(1);
    for (const [layer, rate] of [
      ['tts', rates.ttsErrorRate],
      ['tool', rates.toolErrorRate],
      ['llm', rates.llmErrorRate],
    ] as const) {
      const errors = v('voxtrace_turn_errors_total', { layer });
      const made = v('voxtrace_component_calls_total', { component: layer });
      expect(rate, layer).toBe(errors / Math.max(made, errors));
    }
    expect(rates.ttsErrorRate).toBe(1 / 7);
    expect(rates.toolErrorRate).toBe(4 / 12);
  });

  it('reports the current severity and agent_workers_active, and turns off with metrics: false', async () => {
    let clock = T0;
    vt = createVoxtrace({
      otlp: false,
      now: () => clock,
      monitor: { evaluationIntervalMs: 0, rules: (d) => d.filter((r) => r.name === 'NoActiveAgents') },
    });
    vt.monitor.setWorkersActive(0);
    vt.monitor.evaluate();
    clock += 60_000;
    expect(vt.monitor.evaluate().severity).toBe('SEV-1');
    const text = await vt.registry!.metrics();
    promtool(text);
    const m = parseExposition(text);
    expect(sampleValue(m, 'voxtrace_severity')).toBe(3);
    expect(sampleValue(m, 'agent_workers_active')).toBe(0);
    const fetchHandler = createFetchMetricsHandler(vt);
    const res = await fetchHandler(new Request('http://x/metrics'));
    expect(await res.text()).toContain('voxtrace_severity 3');
    await vt.shutdown();
    expect(sampleValue(parseExposition(await vt.registry!.metrics()), 'agent_workers_active')).toBe(0);

    const off = createVoxtrace({ otlp: false, metrics: false });
    expect(off.registry).toBeNull();
    expect(() => createMetricsHandler(off)).toThrow(MetricsError);
    await off.shutdown();
  });
});

describe('the exposition parser used when promtool is missing', () => {
  it('rejects malformed text and inconsistent histograms', () => {
    const ok = '# HELP a_total x\n# TYPE a_total counter\na_total{k="v"} 1\n';
    expect(sampleValue(parseExposition(ok), 'a_total', { k: 'v' })).toBe(1);
    expect(() => parseExposition('a_total 1\n')).toThrow(/without a TYPE/);
    expect(() => parseExposition('# TYPE a counter\na{k=v} 1\n')).toThrow(/not quoted/);
    expect(() => parseExposition('# TYPE a counter\na one\n')).toThrow(/bad value/);
    const hist = (inf: number) =>
      `# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} ${inf}\nh_sum 3\nh_count 3\n`;
    expect(() => parseExposition(hist(3))).not.toThrow();
    expect(() => parseExposition(hist(1))).toThrow(/bucket counts decrease/);
  });
});
