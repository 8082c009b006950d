import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  createVoxtrace,
  type Diagnostic,
  traceIdForConversation,
  type VoxtraceOptions,
} from '@voxtrace/core';
import { afterEach, describe, expect, it } from 'vitest';

const T0 = 1_763_700_000_000;
const instances: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(instances.splice(0).map((i) => i.shutdown()));
});

/** Keeps every ended span (an InMemorySpanExporter forgets them on shutdown) and counts open ones. */
class Collector implements SpanProcessor {
  readonly ended: ReadableSpan[] = [];
  open = 0;
  onStart(_span: Span): void {
    this.open++;
  }
  onEnd(span: ReadableSpan): void {
    this.open--;
    this.ended.push(span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

function setup(options: VoxtraceOptions = {}) {
  const collector = new Collector();
  const diagnostics: Diagnostic[] = [];
  const vt = createVoxtrace({
    otlp: false,
    spanProcessors: [collector],
    onDiagnostic: (d) => diagnostics.push(d),
    ...options,
  });
  instances.push(vt);
  const spans = () => collector.ended;
  const byName = (name: string) => spans().filter((s) => s.name === name);
  return { vt, spans, byName, diagnostics, collector };
}

const ms = (s: ReadableSpan, which: 'startTime' | 'endTime') =>
  s[which][0] * 1000 + Math.round(s[which][1] / 1e6);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

/** A tool turn with an email in the transcript. */
function recordToolTurn(conv: { record(e: object): void }, t: number) {
  const r = (type: string, dt: number, extra: object = {}) => conv.record({ type, at: t + dt, ...extra });
  r('user.speech.started', 0);
  r('user.speech.ended', 1000);
  r('stt.final', 1150, {
    transcript: 'I am jane.doe@example.com, card 4242 4242 4242 4242, call me at +1 415 555 0134',
    provider: 'deepgram',
    model: 'nova-3',
    confidence: 0.92,
  });
  r('turn.end_detected', 1300, { delayMs: 300 });
  r('llm.started', 1300, { provider: 'openai', model: 'gpt-4o' });
  r('llm.first_token', 1600);
  r('llm.ended', 1700, { inputTokens: 500, outputTokens: 12 });
  r('tool.started', 1710, {
    name: 'lookup_order',
    callId: 'call_9',
    arguments: { email: 'jane.doe@example.com' },
  });
  r('tool.ended', 2110, { name: 'lookup_order', callId: 'call_9', result: { status: 'shipped' } });
  r('llm.started', 2120, { provider: 'openai', model: 'gpt-4o' });
  r('llm.first_token', 2400);
  r('tts.started', 2410, { provider: 'cartesia', voice: 'sonic-en' });
  r('tts.first_audio', 2510);
  r('agent.speech.started', 2520);
  r('llm.ended', 2700, { inputTokens: 540, outputTokens: 30, output: 'Jane, your order is on its way.' });
  r('tts.ended', 3900, { characters: 31 });
  r('agent.speech.ended', 4000);
}

describe('span model', () => {
  it('builds conversation → turn → components with event times, parents and attributes', () => {
    const { vt, spans, byName } = setup();
    const conv = vt.startConversation({
      id: 'call-1',
      platform: 'custom',
      startedAt: T0,
      attributes: { tenant: 'acme' },
    });
    recordToolTurn(conv, T0 + 100);
    conv.end({ outcome: 'completed', taskCompleted: true, endedAt: T0 + 5000 });

    expect(
      spans()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['conversation', 'llm', 'llm', 'stt', 'tool_call', 'tts', 'turn', 'turn_detection'].sort());
    const [root] = byName('conversation');
    const [turn] = byName('turn');
    expect(parentOf(root!)).toBeUndefined();
    expect(parentOf(turn!)).toBe(root!.spanContext().spanId);
    for (const s of spans().filter((x) => !['conversation', 'turn'].includes(x.name))) {
      expect(parentOf(s), s.name).toBe(turn!.spanContext().spanId);
      expect(s.spanContext().traceId).toBe(root!.spanContext().traceId);
      expect(s.attributes['conversation.id']).toBe('call-1');
      expect(s.attributes['turn.index']).toBe(1);
    }
    expect(root!.spanContext().traceId).toBe(traceIdForConversation('call-1'));
    expect(ms(root!, 'startTime')).toBe(T0);
    expect(ms(root!, 'endTime')).toBe(T0 + 5000);
    expect(root!.attributes).toMatchObject({
      'conversation.id': 'call-1',
      'gen_ai.conversation.id': 'call-1',
      'voice.platform': 'custom',
      'voice.call.outcome': 'completed',
      'voice.call.task_completed': true,
      'voice.turn.count': 1,
      tenant: 'acme',
    });

    expect(ms(turn!, 'startTime')).toBe(T0 + 100);
    expect(turn!.attributes).toMatchObject({
      'voice.platform': 'custom',
      'turn.user_speech.started_at_ms': T0 + 100,
      'turn.user_speech.ended_at_ms': T0 + 1100,
      'turn.agent_speech.started_at_ms': T0 + 2620,
      'turn.agent_speech.ended_at_ms': T0 + 4100,
    });
    expect(turn!.attributes).toMatchObject({
      'turn.index': 1,
      'turn.e2e_latency_ms': 1520,
      'turn.interrupted': false,
    });

    const [stt] = byName('stt');
    expect([ms(stt!, 'startTime'), ms(stt!, 'endTime')]).toEqual([T0 + 1100, T0 + 1250]);
    expect(stt!.attributes).toMatchObject({ 'component.provider': 'deepgram', 'component.latency_ms': 150 });

    const [first, second] = byName('llm').sort((a, b) => ms(a, 'startTime') - ms(b, 'startTime'));
    expect([ms(first!, 'startTime'), ms(first!, 'endTime')]).toEqual([T0 + 1400, T0 + 1800]);
    expect(second!.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 540,
      'gen_ai.usage.output_tokens': 30,
      'gen_ai.response.time_to_first_chunk': 0.28,
      'component.latency_ms': 280,
    });

    const [tool] = byName('tool_call');
    expect([ms(tool!, 'startTime'), ms(tool!, 'endTime')]).toEqual([T0 + 1810, T0 + 2210]);
    expect(tool!.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'lookup_order',
      'gen_ai.tool.call.id': 'call_9',
      'component.latency_ms': 400,
    });

    const [tts] = byName('tts');
    expect(tts!.attributes).toMatchObject({
      'tts.ttfb_ms': 100,
      'tts.characters': 31,
      'tts.voice': 'sonic-en',
    });
  });

  it('redacts content by default: no email, card or phone number on any span', () => {
    const { vt, spans } = setup();
    const conv = vt.startConversation({ id: 'call-2', startedAt: T0 });
    recordToolTurn(conv, T0);
    conv.end({ endedAt: T0 + 5000 });
    const all = JSON.stringify(spans().map((s) => s.attributes));
    expect(all).not.toContain('jane.doe@example.com');
    expect(all).not.toContain('4242 4242 4242 4242');
    expect(all).not.toContain('555 0134');
    expect(all).toContain('[EMAIL]');
    expect(all).toContain('[CARD]');
    expect(all).toContain('[PHONE]');
    const tool = spans().find((s) => s.name === 'tool_call')!;
    expect(tool.attributes['gen_ai.tool.call.arguments']).toBe('{"email":"[EMAIL]"}');
  });

  it("content 'none' shows no text at all; 'full' shows it as is", () => {
    const none = setup({ content: 'none' });
    const c1 = none.vt.startConversation({ id: 'n', startedAt: T0 });
    recordToolTurn(c1, T0);
    c1.end({ endedAt: T0 + 5000 });
    const keys = none.spans().flatMap((s) => Object.keys(s.attributes));
    for (const k of ['stt.transcript', 'turn.user.transcript', 'llm.output', 'gen_ai.tool.call.arguments']) {
      expect(keys).not.toContain(k);
    }

    const full = setup({ content: 'full' });
    const c2 = full.vt.startConversation({ id: 'f', startedAt: T0 });
    recordToolTurn(c2, T0);
    c2.end({ endedAt: T0 + 5000 });
    expect(JSON.stringify(full.spans().map((s) => s.attributes))).toContain('jane.doe@example.com');
  });

  it('failures: ERROR status and component.error on the failing layer', () => {
    const { vt, byName } = setup();
    const conv = vt.startConversation({ id: 'call-3', startedAt: T0 });
    const r = (type: string, dt: number, extra: object = {}) =>
      conv.record({ type, at: T0 + dt, ...extra } as never);
    r('user.speech.started', 0);
    r('user.speech.ended', 1000);
    r('llm.started', 1300, { model: 'gpt-4o' });
    r('llm.ended', 1500, { error: 'rate limited (429)' });
    r('tool.started', 1600, { name: 'crm', callId: 'c' });
    r('tool.ended', 1700, { name: 'crm', callId: 'c', error: 'timeout' });
    r('error', 1800, { layer: 'tts', message: 'tts socket closed for a@b.co', recoverable: false });
    conv.end({ endedAt: T0 + 3000 });

    const [llm] = byName('llm');
    expect(llm!.status.code).toBe(SpanStatusCode.ERROR);
    expect(llm!.attributes['component.error']).toBe('rate limited (429)');
    expect(byName('tool_call')[0]!.attributes['component.error']).toBe('timeout');
    // A TTS error without a TTS span still shows the failing layer, redacted.
    const [tts] = byName('tts');
    expect(tts!.status.code).toBe(SpanStatusCode.ERROR);
    expect(tts!.attributes['component.error']).toBe('tts socket closed for [EMAIL]');
    const [turn] = byName('turn');
    expect(turn!.status.code).toBe(SpanStatusCode.ERROR);
    expect(turn!.attributes['turn.error_layers']).toEqual(['llm', 'tool', 'tts']);
    const [root] = byName('conversation');
    expect(root!.attributes['voice.call.outcome']).toBe('error');
    expect(root!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('cancelled and unfinished components are marked', () => {
    const { vt, byName } = setup();
    const conv = vt.startConversation({ id: 'call-4', startedAt: T0 });
    const r = (type: string, dt: number, extra: object = {}) =>
      conv.record({ type, at: T0 + dt, ...extra } as never);
    r('user.speech.started', 0);
    r('user.speech.ended', 1000);
    r('llm.started', 1100);
    r('llm.ended', 1200, { cancelled: true });
    r('tool.started', 1300, { name: 'slow', callId: 's' });
    conv.end({ endedAt: T0 + 2000 });
    expect(byName('llm')[0]!.attributes['component.cancelled']).toBe(true);
    const [tool] = byName('tool_call');
    expect(tool!.attributes['component.unfinished']).toBe(true);
    expect(ms(tool!, 'endTime')).toBe(T0 + 2000);
  });
});

describe('conversation lifecycle', () => {
  it('every span is ended: on end(), after the idle timeout and on shutdown()', async () => {
    let now = T0;
    const { vt, byName, collector } = setup({ now: () => now, idleTimeoutMs: 60_000 });
    const a = vt.startConversation({ id: 'a' });
    const b = vt.startConversation({ id: 'b' });
    const c = vt.startConversation({ id: 'c' });
    for (const conv of [a, b, c]) {
      conv.record({ type: 'user.speech.started' });
      conv.record({ type: 'llm.started' });
    }
    a.end();
    now += 30_000;
    b.record({ type: 'user.speech.ended' }); // b stays active
    now += 40_000; // c idle for 70 s
    vt.tick();
    expect(vt.stats().openConversations).toBe(1);
    const ended = () =>
      Object.fromEntries(byName('conversation').map((s) => [s.attributes['conversation.id'], s]));
    expect(ended().c!.attributes).toMatchObject({
      'voice.call.outcome': 'abandoned',
      'voice.call.end_reason': 'idle_timeout',
    });
    await vt.shutdown();
    expect(ended().b!.attributes).toMatchObject({
      'voice.call.outcome': 'abandoned',
      'voice.call.end_reason': 'shutdown',
    });
    expect(byName('conversation')).toHaveLength(3);
    expect(byName('turn')).toHaveLength(3);
    expect(byName('llm').every((s) => s.attributes['component.unfinished'] === true)).toBe(true);
    expect(collector.open).toBe(0);
  });

  it('startConversation is idempotent for an open id', () => {
    const { vt } = setup();
    expect(vt.startConversation({ id: 'x' })).toBe(vt.startConversation({ id: 'x' }));
  });

  it('the open-conversation cap ends the least recently active call', () => {
    let now = T0;
    const { vt, diagnostics } = setup({ now: () => now, maxConversations: 2 });
    const a = vt.startConversation({ id: 'a' });
    now += 10;
    vt.startConversation({ id: 'b' });
    now += 10;
    a.record({ type: 'user.speech.started' });
    vt.startConversation({ id: 'c' });
    expect(vt.getConversation('b')).toBeUndefined();
    expect(vt.getConversation('a')).toBeDefined();
    expect(diagnostics.map((d) => d.code)).toEqual(['conversation_evicted']);
  });

  it('trace ids derive from the conversation id: a UUID call id is its own trace id', () => {
    const { vt } = setup();
    const id = '73a6da0f-8c41-4c5e-9a2e-5b0c7d1e2f30';
    expect(vt.startConversation({ id }).traceId).toBe('73a6da0f8c414c5e9a2e5b0c7d1e2f30');
    expect(vt.startConversation({ id: 'room-42' }).traceId).toBe(traceIdForConversation('room-42'));
    expect(traceIdForConversation('room-42')).toMatch(/^[0-9a-f]{32}$/);
    expect(traceIdForConversation('room-42')).not.toBe(traceIdForConversation('room-43'));
    const random = setup({ deriveTraceId: false });
    expect(random.vt.startConversation({ id: 'room-42' }).traceId).not.toBe(
      traceIdForConversation('room-42'),
    );
  });

  it("spans go into a user's tracer provider, joined by the derived trace id", async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const vt = createVoxtrace({ tracerProvider: provider });
    const conv = vt.startConversation({ id: 'shared-1', startedAt: T0 });
    conv.record({ type: 'user.speech.started', at: T0 + 1 });
    conv.end({ endedAt: T0 + 10 });
    await vt.shutdown();
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name).sort()).toEqual(['conversation', 'turn']);
    expect(spans.every((s) => s.spanContext().traceId === traceIdForConversation('shared-1'))).toBe(true);
    // voxtrace flushes but does not shut down a provider it does not own
    provider.getTracer('still-usable').startSpan('after').end();
    expect(exporter.getFinishedSpans()).toHaveLength(3);
  });

  it('a throwing sink or listener is counted and never reaches the caller', async () => {
    const { vt } = setup({
      sinks: [
        {
          startConversation: () => ({
            event: () => {
              throw new Error('sink bug');
            },
            turn: () => {
              throw new Error('sink bug');
            },
          }),
        },
      ],
    });
    vt.on('turn', () => {
      throw new Error('listener bug');
    });
    const conv = vt.startConversation({ id: 's', startedAt: T0 });
    expect(() => {
      conv.record({ type: 'user.speech.started', at: T0 });
      conv.record({ type: 'user.speech.ended', at: T0 + 10 });
      conv.end({ endedAt: T0 + 20 });
    }).not.toThrow();
    const { diagnostics } = vt.stats();
    expect(diagnostics.sink_error).toBe(3);
    expect(diagnostics.callback_error).toBe(1);
  });

  it('adapters report through vt.diagnose: counted and passed on', () => {
    const { vt, diagnostics } = setup();
    vt.diagnose({ code: 'adapter_error', message: 'bad webhook' });
    expect(vt.stats().diagnostics.adapter_error).toBe(1);
    expect(diagnostics.map((d) => d.message)).toEqual(['bad webhook']);
  });

  it('rejects inconsistent threshold overrides at creation', () => {
    expect(() =>
      createVoxtrace({ otlp: false, thresholds: { e2eLatency: { p90: { warningMs: 9000 } } } }),
    ).toThrow(/e2eLatency\.p90\.warningMs/);
  });
});
